// Load generator of the ingest benchmark: a child process (pinned by the parent to its own CPU)
// holding some of the simulated agents. It obeys the parent's IPC messages phase by phase and
// exits when the parent goes away.
import type { FromIngestWorker, ToIngestWorker } from "./ingest-messages.js";
import { inPool, wallMs } from "./pool.js";
import { SimAgent, encodeHeartbeat } from "./sim-agent.js";
import { Histogram } from "./stats.js";

let agents: SimAgent[] = [];
let heartbeatMs = 1000;

function send(msg: FromIngestWorker): void {
  process.send?.(msg);
}

async function setup(m: Extract<ToIngestWorker, { type: "setup" }>): Promise<void> {
  heartbeatMs = m.heartbeatMs;
  const t0 = wallMs();
  agents = m.hosts.map((h) => new SimAgent({ url: m.url, name: h.name, token: h.token, localAddress: m.localAddress, heartbeatIntervalMs: m.heartbeatMs }));
  await inPool(agents, 100, async (a) => {
    await a.connect();
  });
  const connectMs = wallMs() - t0;
  for (const a of agents) a.prepareEvents(m.eventsPerAgent, m.kind, m.ids);
  send({ type: "ready", connectMs });
}

async function events(window: number): Promise<void> {
  const latency = new Histogram();
  const hb = heartbeatMs > 0 ? setInterval(() => { for (const a of agents) a.sendHeartbeat(); }, heartbeatMs) : null;
  const startMs = wallMs();
  try {
    await Promise.all(agents.map((a) => a.stream(window, latency)));
  } finally {
    if (hb) clearInterval(hb);
  }
  const endMs = wallMs();
  send({
    type: "events-done", startMs, endMs, acked: agents.reduce((s, a) => s + a.acked - a.highWater, 0), latency: latency.toJSON(),
    throttles: agents.reduce((s, a) => s + a.throttles, 0), rejects: agents.reduce((s, a) => s + a.rejects, 0),
    heartbeatsSent: agents.reduce((s, a) => s + a.heartbeatsSent, 0),
  });
}

async function heartbeats(durationMs: number, perRound: number): Promise<void> {
  const frame = encodeHeartbeat();
  const startMs = wallMs();
  const end = startMs + durationMs;
  let heartbeats = 0;
  let barriers = 0;
  const before = agents.reduce((s, a) => s + a.throttles, 0);
  // Up to 4 rounds in flight per agent, so the barrier's commit (an fsync) does not idle the link.
  await Promise.all(agents.map(async (a) => {
    const inFlight: Promise<void>[] = [];
    while (wallMs() < end) {
      inFlight.push(a.heartbeatRound(perRound, frame).then(() => {
        heartbeats += perRound;
        barriers++;
      }));
      if (inFlight.length >= 4) await inFlight.shift();
    }
    await Promise.all(inFlight);
  }));
  send({ type: "heartbeats-done", startMs, endMs: wallMs(), heartbeats, barriers, throttles: agents.reduce((s, a) => s + a.throttles, 0) - before });
}

function fail(err: unknown): void {
  send({ type: "error", message: err instanceof Error ? err.message : String(err) });
}

process.on("message", (m: ToIngestWorker) => {
  switch (m.type) {
    case "setup": return void setup(m).catch(fail);
    case "events": return void events(m.window).catch(fail);
    case "heartbeats": return void heartbeats(m.durationMs, m.perRound).catch(fail);
    case "close":
      // The parent disconnects the IPC channel when it has read this; then this process exits.
      void Promise.all(agents.map((a) => a.close())).then(() => send({ type: "closed" }));
      return;
  }
});
// The parent is gone (finished, crashed or killed): nothing left to measure.
process.on("disconnect", () => process.exit(0));
