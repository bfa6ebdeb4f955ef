// Benchmark: many concurrent agent connections held by one collector process.
//
//   node dist/test/bench/connections.js [--connections 10000] [--clients 4] [--heartbeat 5] [--hold 30]
//
// A fresh data directory with one agent token per simulated host; one collector process (pinned
// to CPU 0, open-file limit raised with prlimit); several client processes (pinned to CPU 1, each
// on its own loopback source address 127.0.0.2, 127.0.0.3, ... so that no source address runs
// short of ephemeral ports) open real WebSockets that speak the agent's protocol: Hello, wait for
// Welcome, then a heartbeat every --heartbeat seconds at a random phase. Connections are made in
// stages (a quarter, half, all); after each, the collector's VmRSS and VmHWM are read from
// /proc/PID/status. Then all connections are held for --hold seconds while it measures whether
// heartbeats are processed on time, two ways: every heartbeat is followed by a WebSocket ping, and
// since the collector handles one connection's frames in order, send-to-pong is an upper bound on
// how late the heartbeat was processed; and a sample of hosts is read back from the JSON API
// (state, connected, age of lastSeen). Nothing here asserts a timing.
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { collectorSchema } from "../../collector/config.js";
import { parseArgs } from "./lib/args.js";
import { benchTempDir, runMain } from "./lib/children.js";
import { startCollectorProc, type CollectorProc } from "./lib/collector-proc.js";
import type { FromConnWorker, ToConnWorker } from "./lib/conn-messages.js";
import { keepProfile, printProfile } from "./lib/profile-report.js";
import { wallMs } from "./lib/pool.js";
import { machineLine, mib, openFileLimits, reachableNofile, readCpuSeconds, readMem } from "./lib/proc-stats.js";
import { Histogram, table } from "./lib/stats.js";
import { createAgentTokens, hostNames } from "./lib/tokens.js";
import { WorkerProc } from "./lib/worker-proc.js";

const DEFAULTS = {
  connections: 10_000,
  clients: 4,
  heartbeat: 5,
  hold: 30,
  concurrency: 100,
  sample: 200,
  nofile: 65_536,
  collectorCpu: "0",
  loadCpu: "1",
  logLevel: "info",
  profile: false,
};

const USAGE = `usage: node dist/test/bench/connections.js [options]
  --connections N   concurrent agent connections (${DEFAULTS.connections})
  --clients N       client processes, each on its own source address 127.0.0.2... (${DEFAULTS.clients})
  --heartbeat S     heartbeat interval of every simulated agent, seconds (${DEFAULTS.heartbeat})
  --hold S          how long all connections are held while heartbeat lag is measured (${DEFAULTS.hold})
  --concurrency N   connection attempts in flight per client process (${DEFAULTS.concurrency})
  --sample N        hosts read back from the JSON API after the hold (${DEFAULTS.sample})
  --nofile N        open-file limit of the collector and the clients, set with prlimit (${DEFAULTS.nofile})
  --collector-cpu C CPU the collector is pinned to, or "none" (${DEFAULTS.collectorCpu})
  --load-cpu C      CPU of the client processes, or "none" (${DEFAULTS.loadCpu})
  --log-level LEVEL the collector's log level (${DEFAULTS.logLevel})
  --profile         run the collector under node --cpu-prof and summarise where its time went`;

type Worker = WorkerProc<ToConnWorker, FromConnWorker>;

const cpuOf = (s: string, option: string): number | null => {
  if (s === "none") return null;
  const n = Number(s);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--${option}: "${s}" is neither a CPU number nor "none"`);
  return n;
};

interface HostView {
  name: string;
  state: string;
  lastSeen: string | null;
  connected: boolean;
}

/** limits.max_connections as the collector will have it: the benchmark leaves the default. */
function maxConnectionsOf(): string {
  return `${collectorSchema.parse({}).limits.max_connections} (default of limits.max_connections)`;
}

async function snapshot(collector: CollectorProc, label: string, connected: number, connectMs: number, rows: (string | number)[][]): Promise<void> {
  await new Promise((r) => setTimeout(r, 2000)); // let allocations settle
  const m = readMem(collector.pid);
  const perConn = rows.length > 0 && connected > 0 ? ((m.rssKiB - Number(rows[0]![5])) / connected) : NaN;
  rows.push([label, connected, connectMs > 0 ? (connectMs / 1000).toFixed(1) : "-", connectMs > 0 ? Math.round((connected - Number(rows.at(-1)?.[1] ?? 0)) / (connectMs / 1000)) : "-",
    mib(m.rssKiB), m.rssKiB, mib(m.hwmKiB), Number.isFinite(perConn) ? perConn.toFixed(1) : "-"]);
}

export async function main(argv = process.argv.slice(2)): Promise<void> {
  const o = parseArgs(argv, DEFAULTS, USAGE);
  const collectorCpu = cpuOf(o.collectorCpu, "collector-cpu");
  const loadCpu = cpuOf(o.loadCpu, "load-cpu");
  const n = o.connections;
  const clients = Math.max(1, Math.min(o.clients, 250));
  const { nofile, note } = reachableNofile(o.nofile);
  console.log(`connections benchmark: ${machineLine()}`);
  console.log(`${n} agents over ${clients} client process(es) (CPU ${loadCpu ?? "any"}), collector on CPU ${collectorCpu ?? "any"}, ` +
    `heartbeat every ${o.heartbeat} s, open-file limit ${nofile}, max_connections ${maxConnectionsOf()}`);
  if (note) console.log(`  note: ${note}`);
  if (n + 100 > nofile) console.log(`  warning: ${n} connections need more than the open-file limit ${nofile}; expect failures`);

  const data = benchTempDir("lastseen-bench-conns-");
  let t = wallMs();
  const hosts = createAgentTokens(data, hostNames("conn", n));
  console.log(`  ${n} tokens created in ${((wallMs() - t) / 1000).toFixed(1)} s`);
  const profileDir = join(data, "profile");
  const collector = await startCollectorProc({
    data, cpu: collectorCpu, nofile, logLevel: o.logLevel, nodeFlags: o.profile ? ["--cpu-prof", "--cpu-prof-dir", profileDir] : [],
  });
  console.log(`  collector pid ${collector.pid}, open-file limit ${openFileLimits(collector.pid).soft}, log ${collector.logFile}`);

  const workers: Worker[] = [];
  for (let c = 0; c < clients; c++) {
    const w: Worker = new WorkerProc("conn-worker.js", { cpu: loadCpu, nofile }, `client ${c + 1}`);
    w.send({
      type: "setup", url: collector.agentUrl, hosts: hosts.filter((_, i) => i % clients === c), localAddress: `127.0.0.${2 + c}`,
      heartbeatMs: o.heartbeat * 1000, concurrency: o.concurrency,
    });
    workers.push(w);
  }
  for (const w of workers) await w.next("connected");

  const rows: (string | number)[][] = [];
  await snapshot(collector, "idle, no agents", 0, 0, rows);
  const stages = [...new Set([Math.round(n / 4), Math.round(n / 2), n])].filter((s) => s > 0);
  let totalConnectMs = 0;
  let failures = 0;
  for (const stage of stages) {
    t = wallMs();
    workers.forEach((w, c) => w.send({ type: "connect", upTo: Math.ceil((stage - c) / clients) }));
    const res = await Promise.all(workers.map((w) => w.next("connected", 900_000)));
    const ms = wallMs() - t;
    totalConnectMs += ms;
    const connected = res.reduce((s, r) => s + r.connected, 0);
    const failed = res.reduce((s, r) => s + r.failed, 0);
    failures += failed;
    if (failed > 0) console.log(`  ${failed} connection(s) failed, e.g. ${res.flatMap((r) => r.firstFailures).slice(0, 3).join(" | ")}`);
    await snapshot(collector, `${stage} connected`, connected, ms, rows);
  }
  console.log("");
  console.log(table(["stage", "agents", "connect s", "conn/s", "RSS MiB", "RSS KiB", "peak MiB", "KiB/agent"], rows));
  console.log(`  all ${n} connected in ${(totalConnectMs / 1000).toFixed(1)} s (${Math.round(n / (totalConnectMs / 1000))} connections/s), ${failures} failed`);

  // While later stages connected, the earlier agents kept sending heartbeats: how late were they?
  for (const w of workers) w.send({ type: "stats" });
  const during = new Histogram();
  for (const x of await Promise.all(workers.map((w) => w.next("stats")))) during.merge(x.lag);
  console.log(`  heartbeat lag while connecting (agents already connected): p50 ${during.percentile(50).toFixed(1)} ms, ` +
    `p99 ${during.percentile(99).toFixed(1)} ms, max ${during.maxMs.toFixed(1)} ms over ${during.count} heartbeats`);

  // Hold: heartbeat lag.
  for (const w of workers) w.send({ type: "reset" });
  const counted0 = (await collector.stats()).heartbeats;
  const cpu0 = readCpuSeconds(collector.pid);
  t = wallMs();
  console.log(`\nholding ${n} connections for ${o.hold} s...`);
  await new Promise((r) => setTimeout(r, o.hold * 1000));
  for (const w of workers) w.send({ type: "stats" });
  const st = await Promise.all(workers.map((w) => w.next("stats")));
  const holdS = (wallMs() - t) / 1000;
  const cpu = (readCpuSeconds(collector.pid) - cpu0) / holdS;
  const lag = new Histogram();
  for (const s of st) lag.merge(s.lag);
  const sent = st.reduce((s, x) => s + x.heartbeats, 0);
  const open = st.reduce((s, x) => s + x.open, 0);
  const dropped = st.reduce((s, x) => s + x.dropped, 0);
  const mem = readMem(collector.pid);
  const counted = (await collector.stats()).heartbeats - counted0;

  // The collector's own view of a sample of hosts, and the cost of listing all of them.
  const now = Date.now();
  const sample = Array.from({ length: Math.min(o.sample, n) }, (_, i) => hosts[Math.floor((i * n) / Math.min(o.sample, n))]!.name);
  const views: HostView[] = [];
  for (const name of sample) views.push(await collector.api<HostView>(`/v1/hosts/${name}`));
  const ages = views.map((v) => (v.lastSeen ? now - Date.parse(v.lastSeen) : Infinity));
  t = wallMs();
  const all = await collector.api<HostView[]>("/v1/hosts");
  const listMs = wallMs() - t;

  console.log(table(["measure", "value"], [
    ["heartbeats sent during the hold", `${sent} (expected ~${Math.round((n * o.hold) / o.heartbeat)}, ${(sent / holdS).toFixed(0)}/s)`],
    ["heartbeats counted by the collector (GET /v1/stats)", `${counted} (${(counted / holdS).toFixed(0)}/s, expected ${(n / o.heartbeat).toFixed(0)}/s)`],
    ["heartbeat lag p50 / p99 / max (send to pong)", `${lag.percentile(50).toFixed(1)} / ${lag.percentile(99).toFixed(1)} / ${lag.maxMs.toFixed(1)} ms`],
    ["heartbeats still unanswered at the end", st.reduce((s, x) => s + x.unansweredPings, 0)],
    ["connections open / dropped during the hold", `${open} / ${dropped}${dropped > 0 ? ` (${st.flatMap((s) => s.droppedReasons).slice(0, 3).join(" | ")})` : ""}`],
    ["collector CPU during the hold", `${(cpu * 100).toFixed(1)} % of one core`],
    ["collector RSS after the hold (peak)", `${mib(mem.rssKiB)} MiB (${mib(mem.hwmKiB)} MiB), goal < 1024 MiB`],
    [`API sample of ${views.length} hosts: state up / connected`, `${views.filter((v) => v.state === "up").length} / ${views.filter((v) => v.connected).length}`],
    ["API sample: age of lastSeen max (interval)", `${(Math.max(...ages) / 1000).toFixed(2)} s (${o.heartbeat} s)`],
    ["GET /v1/hosts, all hosts", `${all.length} hosts, ${all.filter((h) => h.connected).length} connected, ${listMs.toFixed(0)} ms`],
  ]));
  const onTime = lag.percentile(99) < 1000 && views.every((v) => v.state === "up") && Math.max(...ages) <= o.heartbeat * 1000 + 1000 && dropped === 0;
  console.log(`\nheartbeat processing ${onTime ? "kept up" : "did NOT keep up"} with ${n} agents at one heartbeat per ${o.heartbeat} s ` +
    `(criteria: p99 lag < 1 s, every sampled host up, lastSeen no older than the interval + 1 s, no connection dropped).`);

  t = wallMs();
  for (const w of workers) w.send({ type: "close" });
  for (const w of workers) {
    await w.next("closed", 120_000);
    w.disconnect();
  }
  const closeMs = wallMs() - t;
  t = wallMs();
  await collector.stop();
  console.log(`clients closed ${n} connections in ${(closeMs / 1000).toFixed(1)} s; the collector stopped in ${((wallMs() - t) / 1000).toFixed(1)} s`);
  if (o.profile) printProfile(keepProfile(profileDir, `collector-connections-${n}`));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) runMain(() => main());
