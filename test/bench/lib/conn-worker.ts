// Client process of the connections benchmark: holds a share of the simulated agents on one
// loopback source address, each sending a heartbeat (followed by a ping that measures how late
// the collector processed it) every interval, started at a random phase.
import type { FromConnWorker, ToConnWorker } from "./conn-messages.js";
import { inPool, wallMs } from "./pool.js";
import { SimAgent } from "./sim-agent.js";
import { Histogram } from "./stats.js";

let agents: SimAgent[] = [];
let connected = 0;
let concurrency = 100;
let heartbeatMs = 5000;
let lag = new Histogram();
let heartbeats = 0;
const timers: NodeJS.Timeout[] = [];

function send(msg: FromConnWorker): void {
  process.send?.(msg);
}

function startHeartbeats(a: SimAgent): void {
  const beat = () => {
    if (!a.connected) return;
    a.sendProbedHeartbeat(lag);
    heartbeats++;
  };
  // A random phase, as real agents started at different times.
  const first = setTimeout(() => {
    beat();
    timers.push(setInterval(beat, heartbeatMs));
  }, Math.random() * heartbeatMs);
  timers.push(first);
}

async function connectUpTo(upTo: number): Promise<void> {
  const batch = agents.slice(connected, Math.min(upTo, agents.length));
  const t0 = wallMs();
  let failed = 0;
  const firstFailures: string[] = [];
  await inPool(batch, concurrency, async (a) => {
    try {
      await a.connect();
      startHeartbeats(a);
    } catch (err) {
      failed++;
      if (firstFailures.length < 5) firstFailures.push((err as Error).message);
    }
  });
  connected += batch.length;
  send({ type: "connected", connected: agents.filter((a) => a.connected).length, ms: wallMs() - t0, failed, firstFailures });
}

function stats(): void {
  const dropped = agents.slice(0, connected).filter((a) => !a.connected);
  const reasons = [...new Set(dropped.map((a) => a.closedWith ?? "?"))].slice(0, 5);
  send({
    type: "stats", lag: lag.toJSON(), heartbeats, unansweredPings: agents.reduce((s, a) => s + a.unansweredPings, 0),
    open: connected - dropped.length, dropped: dropped.length, droppedReasons: reasons,
  });
}

function fail(err: unknown): void {
  send({ type: "error", message: err instanceof Error ? err.message : String(err) });
}

process.on("message", (m: ToConnWorker) => {
  switch (m.type) {
    case "setup":
      heartbeatMs = m.heartbeatMs;
      concurrency = m.concurrency;
      agents = m.hosts.map((h) => new SimAgent({ url: m.url, name: h.name, token: h.token, localAddress: m.localAddress, heartbeatIntervalMs: m.heartbeatMs, timeoutMs: 60_000 }));
      return send({ type: "connected", connected: 0, ms: 0, failed: 0, firstFailures: [] });
    case "connect": return void connectUpTo(m.upTo).catch(fail);
    case "reset":
      lag = new Histogram();
      heartbeats = 0;
      return;
    case "stats": return stats();
    case "close":
      for (const t of timers) clearTimeout(t);
      void Promise.all(agents.map((a) => a.close())).then(() => send({ type: "closed" }), fail);
      return;
  }
});
process.on("disconnect", () => process.exit(0));
