// Benchmark: durable ingest rate of one collector process pinned to one core.
//
//   node dist/test/bench/ingest.js [--agents 1,10,100] [--window 100,1000] [--events 100000] [--runs 3]
//                                  [--profile] [--default-limits] [--heartbeat-seconds 3]
//
// For every (agents, window) pair and run: a fresh data directory with one agent token per
// simulated agent; `taskset -c 0 node dist/collector/cli.js serve`; load generators (child
// processes pinned to CPU 1) open one real WebSocket per agent and speak the agent's protocol:
// Hello, wait for Welcome, then stream JobEvent envelopes (encoded up front, as the agent's
// outbox holds them) with increasing seq, at most `window` unacknowledged, plus a heartbeat per
// agent per second. Reported: acknowledged (= committed, durable) events per second, ack latency
// p50/p99 (send to cumulative ack), the collector's CPU use, the approximate events per commit.
// Then a heartbeat-only phase: each agent sends rounds of heartbeats closed by one event whose ack
// proves the collector processed the round; reported as heartbeats per second.
// At the end the collector is stopped and a read-only SQLite count checks that every acknowledged
// event is stored exactly once. With --profile the collector runs under `node --cpu-prof` and the
// profile is summarised (top functions, time by area).
//
// By default the collector's per-connection rate limit (2,000 frames/s, burst 20,000) is lifted
// in the benchmark's config so that the collector's capacity is measured, not its limiter; pass
// --default-limits to keep it. Nothing here asserts a timing.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { numberList, parseArgs } from "./lib/args.js";
import { benchTempDir, keepDir, removeDir, runMain } from "./lib/children.js";
import { startCollectorProc } from "./lib/collector-proc.js";
import type { FromIngestWorker, ToIngestWorker } from "./lib/ingest-messages.js";
import type { IdStyle } from "./lib/event-ids.js";
import type { EventKind } from "./lib/sim-agent.js";
import { keepProfile, printProfile } from "./lib/profile-report.js";
import { machineLine, readCpuSeconds, readMem, readWriteBytes } from "./lib/proc-stats.js";
import { Histogram, median, table } from "./lib/stats.js";
import { countStoredEvents, createAgentTokens, hostNames } from "./lib/tokens.js";
import { WorkerProc } from "./lib/worker-proc.js";

const DEFAULTS = {
  agents: "1,10,100",
  window: "100,1000",
  events: 100_000,
  kind: "jobEvent",
  ids: "random",
  runs: 3,
  heartbeatSeconds: 3,
  heartbeatsPerRound: 200,
  heartbeatEvery: 1000,
  clients: 1,
  collectorCpu: 0,
  loadCpu: 1,
  profile: false,
  defaultLimits: false,
  keep: false,
  logLevel: "info",
};

const USAGE = `usage: node dist/test/bench/ingest.js [options]
  --agents LIST            simulated agents (connections), comma-separated sweep (${DEFAULTS.agents})
  --window LIST            unacknowledged events in flight per agent, sweep (${DEFAULTS.window}; the agent uses 1000)
  --events N               events per configuration and run, split over the agents (${DEFAULTS.events})
  --kind K                 jobEvent: ends of backup jobs (stored raw and applied to the job state);
                           addressReport: reports without an accepted address (stored raw, nothing derived)
  --ids STYLE              event ids: random (UUIDv4, what the agent sends) or time-ordered (UUIDv7 layout)
  --runs N                 runs per configuration; tables give medians (${DEFAULTS.runs})
  --heartbeat-seconds S    length of the heartbeat-only phase, 0 to skip (${DEFAULTS.heartbeatSeconds})
  --heartbeats-per-round N heartbeats before each barrier event in that phase (${DEFAULTS.heartbeatsPerRound})
  --heartbeat-every MS     heartbeat interval of each agent while streaming events (${DEFAULTS.heartbeatEvery})
  --clients N              load-generator processes (${DEFAULTS.clients})
  --collector-cpu N        CPU the collector is pinned to (${DEFAULTS.collectorCpu})
  --load-cpu N             CPU the load generators (and this script) are pinned to (${DEFAULTS.loadCpu})
  --profile                run the collector under node --cpu-prof and summarise where time goes
  --default-limits         keep the collector's per-connection rate limit (else lifted)
  --keep                   keep the data directories (and profiles)
  --log-level LEVEL        the collector's log level (${DEFAULTS.logLevel})`;

type Options = typeof DEFAULTS;

interface RunResult {
  agents: number;
  window: number;
  run: number;
  events: number;
  eventsPerSec: number;
  p50: number;
  p99: number;
  maxMs: number;
  /** CPU seconds per second of the collector, and of the load generators, in each phase. */
  cpuEvents: number;
  loadEvents: number;
  eventsPerCommit: number;
  /** Bytes the collector wrote to storage per stored event (WAL, checkpoints). */
  bytesPerEvent: number;
  heartbeatsPerSec: number;
  /** The collector's own heartbeat counter (GET /v1/stats) over the same time. */
  countedHeartbeatsPerSec: number;
  cpuHeartbeats: number;
  loadHeartbeats: number;
  rssMiB: number;
  throttles: number;
  verified: string;
  profile: string | null;
}

type Worker = WorkerProc<ToIngestWorker, FromIngestWorker>;

async function oneRun(o: Options, kind: EventKind, agents: number, window: number, run: number): Promise<RunResult> {
  const data = benchTempDir("lastseen-bench-ingest-");
  const hosts = createAgentTokens(data, hostNames("ingest", agents));
  const profileDir = join(data, "profile");
  const limits = o.defaultLimits ? "" : "[limits]\nmessages_per_second = 10000000\nmessage_burst = 10000000\n";
  const collector = await startCollectorProc({
    data, cpu: o.collectorCpu, logLevel: o.logLevel, toml: limits,
    nodeFlags: o.profile ? ["--cpu-prof", "--cpu-prof-dir", profileDir] : [],
  });
  const workers: Worker[] = [];
  try {
    const clients = Math.min(o.clients, agents);
    for (let c = 0; c < clients; c++) workers.push(new WorkerProc("ingest-worker.js", { cpu: o.loadCpu }, `load generator ${c + 1}`));
    const perAgent = Math.ceil(o.events / agents);
    workers.forEach((w, c) => w.send({
      type: "setup", url: collector.agentUrl, hosts: hosts.filter((_, i) => i % clients === c), eventsPerAgent: perAgent, kind, ids: o.ids as IdStyle, heartbeatMs: o.heartbeatEvery,
    }));
    for (const w of workers) await w.next("ready");

    // Phase 1: events.
    const loadCpu = () => workers.reduce((s, w) => s + readCpuSeconds(w.child.pid!), 0);
    const s0 = await collector.stats();
    const w0 = readWriteBytes(collector.pid);
    const cpu0 = readCpuSeconds(collector.pid);
    const load0 = loadCpu();
    for (const w of workers) w.send({ type: "events", window });
    const done = await Promise.all(workers.map((w) => w.next("events-done")));
    const cpu1 = readCpuSeconds(collector.pid);
    const load1 = loadCpu();
    const s1 = await collector.stats();
    const bytesPerEvent = (readWriteBytes(collector.pid) - w0) / Math.max(1, s1.eventsStored - s0.eventsStored);
    const rssMiB = readMem(collector.pid).rssKiB / 1024;
    const start = Math.min(...done.map((d) => d.startMs));
    const end = Math.max(...done.map((d) => d.endMs));
    const acked = done.reduce((s, d) => s + d.acked, 0);
    const latency = new Histogram();
    for (const d of done) latency.merge(d.latency);

    // Phase 2: heartbeats only (with one barrier event per round).
    let heartbeatsPerSec = NaN;
    let cpuHeartbeats = NaN;
    let loadHeartbeats = NaN;
    let countedHeartbeatsPerSec = NaN;
    let barriers = 0;
    if (o.heartbeatSeconds > 0) {
      const h0 = (await collector.stats()).heartbeats;
      const c0 = readCpuSeconds(collector.pid);
      const l0 = loadCpu();
      for (const w of workers) w.send({ type: "heartbeats", durationMs: o.heartbeatSeconds * 1000, perRound: o.heartbeatsPerRound });
      const hb = await Promise.all(workers.map((w) => w.next("heartbeats-done")));
      const c1 = readCpuSeconds(collector.pid);
      const wall = (Math.max(...hb.map((h) => h.endMs)) - Math.min(...hb.map((h) => h.startMs))) / 1000;
      heartbeatsPerSec = hb.reduce((s, h) => s + h.heartbeats, 0) / wall;
      cpuHeartbeats = (c1 - c0) / wall;
      loadHeartbeats = (loadCpu() - l0) / wall;
      countedHeartbeatsPerSec = ((await collector.stats()).heartbeats - h0) / wall;
      barriers = hb.reduce((s, h) => s + h.barriers, 0);
    }

    for (const w of workers) w.send({ type: "close" });
    for (const w of workers) {
      await w.next("closed");
      w.disconnect();
    }
    await collector.stop();

    const stored = countStoredEvents(data);
    const expected = acked + barriers;
    const problems: string[] = [];
    if (stored.rows !== expected) problems.push(`${stored.rows} rows for ${expected} acknowledged events`);
    if (stored.distinctEventIds !== stored.rows) problems.push(`${stored.rows - stored.distinctEventIds} duplicate event ids`);
    if (stored.distinctSeqs !== stored.rows) problems.push(`${stored.rows - stored.distinctSeqs} duplicate seqs`);
    if (stored.highWaterSum !== stored.rows) problems.push(`high-water seqs sum to ${stored.highWaterSum}, not ${stored.rows}`);
    const eventsPerCommit = (s1.eventsStored - s0.eventsStored) / Math.max(1, s1.commitBatches - s0.commitBatches);

    const profile = o.profile ? keepProfile(profileDir, `collector-ingest-${kind}-a${agents}-w${window}-r${run}`) : null;
    if (o.keep) keepDir(data);
    else removeDir(data);
    return {
      agents, window, run, events: acked, eventsPerSec: acked / ((end - start) / 1000), p50: latency.percentile(50), p99: latency.percentile(99),
      maxMs: latency.maxMs, cpuEvents: (cpu1 - cpu0) / ((end - start) / 1000), loadEvents: (load1 - load0) / ((end - start) / 1000), eventsPerCommit, bytesPerEvent,
      heartbeatsPerSec, countedHeartbeatsPerSec, cpuHeartbeats, loadHeartbeats, rssMiB,
      throttles: done.reduce((s, d) => s + d.throttles, 0), verified: problems.length === 0 ? `ok ${stored.rows}` : `FAILED: ${problems.join("; ")}`, profile,
    };
  } finally {
    for (const w of workers) w.disconnect();
    await collector.stop();
  }
}

function pinSelf(cpu: number): void {
  const r = spawnSync("taskset", ["-a", "-p", "-c", String(cpu), String(process.pid)], { encoding: "utf8" });
  if (r.status !== 0) console.error(`warning: could not pin this process to CPU ${cpu}: ${r.stderr || r.error?.message}`);
}

export async function main(argv = process.argv.slice(2)): Promise<void> {
  const o = parseArgs(argv, DEFAULTS, USAGE);
  const agentList = numberList(o.agents, "agents");
  const windows = numberList(o.window, "window");
  if (o.kind !== "jobEvent" && o.kind !== "addressReport") throw new Error(`--kind: "${o.kind}" is neither jobEvent nor addressReport`);
  const kind: EventKind = o.kind;
  if (o.ids !== "random" && o.ids !== "time-ordered") throw new Error(`--ids: "${o.ids}" is neither random nor time-ordered`);
  pinSelf(o.loadCpu);
  console.log(`ingest benchmark: ${machineLine()}`);
  console.log(`collector pinned to CPU ${o.collectorCpu}, ${o.clients} load generator(s) and this script on CPU ${o.loadCpu}; ` +
    `${o.events} ${o.kind} events (${o.ids} ids) per run, ${o.runs} run(s) per configuration, rate limit ${o.defaultLimits ? "default" : "lifted"}${o.profile ? ", CPU profile ON (slower)" : ""}`);
  const results: RunResult[] = [];
  for (const agents of agentList) {
    for (const window of windows) {
      for (let run = 1; run <= o.runs; run++) {
        const r = await oneRun(o, kind, agents, window, run);
        results.push(r);
        console.log(`  agents ${agents}, window ${window}, run ${run}: ${Math.round(r.eventsPerSec)} events/s (p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, ` +
          `CPU collector ${pct(r.cpuEvents)} load ${pct(r.loadEvents)}, ${r.eventsPerCommit.toFixed(0)} events/commit, ${r.bytesPerEvent.toFixed(0)} B written/event), ` +
          `${Math.round(r.heartbeatsPerSec)} heartbeats/s (collector counted ${Math.round(r.countedHeartbeatsPerSec)}/s; CPU collector ${pct(r.cpuHeartbeats)} load ${pct(r.loadHeartbeats)}); stored: ${r.verified}`);
        if (r.profile) printProfile(r.profile);
      }
    }
  }
  console.log("");
  console.log(`medians of ${o.runs} run(s) per configuration (durable = committed with synchronous=FULL before the ack):`);
  const rows: (string | number)[][] = [];
  for (const agents of agentList) {
    for (const window of windows) {
      const rs = results.filter((r) => r.agents === agents && r.window === window);
      const m = (f: (r: RunResult) => number) => median(rs.map(f));
      rows.push([
        agents, window, m((r) => r.eventsPerSec), m((r) => r.p50), m((r) => r.p99), `${pct(m((r) => r.cpuEvents))} / ${pct(m((r) => r.loadEvents))}`,
        Math.round(m((r) => r.eventsPerCommit)), Math.round(m((r) => r.bytesPerEvent)), m((r) => r.heartbeatsPerSec), `${pct(m((r) => r.cpuHeartbeats))} / ${pct(m((r) => r.loadHeartbeats))}`,
        m((r) => r.rssMiB), rs.every((r) => r.verified.startsWith("ok")) ? "all ok" : "FAILED", rs.reduce((s, r) => s + r.throttles, 0),
      ]);
    }
  }
  console.log(table(["agents", "window", "events/s", "ack p50 ms", "ack p99 ms", "CPU coll/load", "ev/commit", "B/event", "heartbeats/s", "CPU coll/load", "RSS MiB", "exactly once", "throttled"], rows));
  console.log("CPU coll/load: CPU seconds per second of the collector / of the load generators during that phase (100 % = one core busy).");
  const best = Math.max(...rows.map((r) => r[2] as number));
  console.log(`\nbest median: ${Math.round(best)} durable events/s (goal: at least 20,000/s, ratio ${(best / 20_000).toFixed(2)}x)`);
  if (results.some((r) => !r.verified.startsWith("ok"))) process.exitCode = 1;
}


const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(0)} %` : "-");

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) runMain(() => main());
