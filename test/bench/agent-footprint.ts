// Benchmark: what an idle `lastseen-agent run` costs, and how fast the one-shot commands start.
//
//   node dist/test/bench/agent-footprint.js [--minutes 10] [--heartbeats 30s,1s] [--sample 5] [--startup-runs 10]
//
// Starts a real collector on loopback and one real agent per heartbeat interval (default 30 s,
// the agent's default, and 1 s), each with its own token and state directory and the agent's
// default probes (its public-IP probe limited to local sources: no public address is ever
// contacted). While they idle for --minutes, it samples every agent's VmRSS and VmHWM
// (/proc/PID/status) and CPU time (utime + stime, /proc/PID/stat), then reports peak and steady
// RSS and CPU seconds per hour extrapolated from the idle period (after the agent connected).
// Then it times the one-shot commands that must start fast thanks to lazy imports:
// `lastseen-agent --version`, `--help`, `status` (against a running agent) and `status` with no
// agent, against `node -e 0` as the floor. Nothing here asserts a timing.
import { spawnSync } from "node:child_process";
import { closeSync, mkdirSync, openSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "./lib/args.js";
import { benchTempDir, runMain, spawnNode, stopChild } from "./lib/children.js";
import { shebangNodeFlags } from "../helpers/shebang.js";
import { AGENT_CLI, COLLECTOR_CLI, startCollectorProc } from "./lib/collector-proc.js";
import { wallMs } from "./lib/pool.js";
import { machineLine, mib, readCpuSeconds, readMem } from "./lib/proc-stats.js";
import { median, table } from "./lib/stats.js";
import { createAgentTokens } from "./lib/tokens.js";

const DEFAULTS = {
  minutes: 10,
  heartbeats: "30s,1s",
  sample: 5,
  startupRuns: 10,
  nodeOptions: "",
};

const USAGE = `usage: node dist/test/bench/agent-footprint.js [options]
  --minutes M       idle time to observe the agents (${DEFAULTS.minutes})
  --heartbeats LIST one agent per heartbeat interval (${DEFAULTS.heartbeats})
  --sample S        seconds between samples (${DEFAULTS.sample})
  --startup-runs N  runs of each one-shot command for the start-up times (${DEFAULTS.startupRuns})
  --node-options S  NODE_OPTIONS for the agents, to try flags (e.g. "--max-semi-space-size=1")`;

/** The public-IP probe keeps its local sources (interfaces, the collector) and nothing public. */
const AGENT_TOML = `[public_ip]
stun = []
dns = false
http = []
natpmp = false
upnp = false
`;

interface Sample {
  t: number;
  rssKiB: number;
  hwmKiB: number;
  anonKiB: number;
  fileKiB: number;
  cpuS: number;
}

interface RunningAgent {
  name: string;
  heartbeat: string;
  state: string;
  pid: number;
  spawnedAt: number;
  connectedAt: number;
  cpuAtConnect: number;
  samples: Sample[];
  stop(): Promise<void>;
}

interface HostView {
  connected: boolean;
}

/** Wall time of one run of `node ARGS`, with its exit code. */
function timeOnce(args: string[]): { ms: number; exit: number | null } {
  const t0 = wallMs();
  const r = spawnSync(process.execPath, args, { encoding: "utf8", timeout: 30_000 });
  const ms = wallMs() - t0;
  if (r.error) throw new Error(`node ${args.join(" ")} failed: ${r.error.message}`);
  return { ms, exit: r.status };
}

/** The goal is "RSS under 60 MB"; MB read as 10^6 bytes (58.6 MiB), the stricter reading. */
function goal(steadyKiB: number, peakKiB: number): string {
  const limitKiB = 60e6 / 1024;
  if (peakKiB < limitKiB) return "met (also the peak)";
  if (steadyKiB < limitKiB) return "met (steady), peak above";
  return "NOT met";
}

export async function main(argv = process.argv.slice(2)): Promise<void> {
  const o = parseArgs(argv, DEFAULTS, USAGE);
  const intervals = o.heartbeats.split(",").map((s) => s.trim()).filter(Boolean);
  if (intervals.length === 0 || intervals.some((s) => !/^\d+(ms|s|m)$/.test(s))) throw new Error(`--heartbeats: "${o.heartbeats}" is not a list like 30s,1s`);
  console.log(`agent footprint benchmark: ${machineLine()}`);
  console.log(`${intervals.length} idle agent(s) (heartbeat ${intervals.join(", ")}) observed for ${o.minutes} min, a sample every ${o.sample} s`);

  const root = benchTempDir("lastseen-bench-agent-");
  const data = join(root, "collector");
  // Each interval twice: as the installed binary runs (the V8 flags of its #! line) and with
  // plain node, so the effect of the flags is measured in the same run.
  const variants = intervals.flatMap((hb) => [
    { hb, name: `idle-${hb}`, flags: shebangNodeFlags(AGENT_CLI) },
    { hb, name: `idle-${hb}-plain-node`, flags: [] as string[] },
  ]);
  const names = variants.map((v) => v.name);
  const tokens = createAgentTokens(data, names);
  const collector = await startCollectorProc({ data, logLevel: "info" });
  const agentToml = join(root, "agent.toml");
  writeFileSync(agentToml, AGENT_TOML);

  const agents: RunningAgent[] = [];
  for (const [i, { hb, name, flags }] of variants.entries()) {
    const state = join(root, `agent-${name}`);
    mkdirSync(state, { recursive: true });
    const logFile = join(root, `agent-${name}.log`);
    const fd = openSync(logFile, "a");
    const env: NodeJS.ProcessEnv = { ...process.env, LASTSEEN_TOKEN: tokens[i]!.token, LASTSEEN_LOG_LEVEL: "info", NODE_OPTIONS: o.nodeOptions };
    delete env.LASTSEEN_AGENT_CONFIG;
    const spawnedAt = wallMs();
    const child = spawnNode(AGENT_CLI, ["run", "--collector", collector.agentUrl, "--state", state, "--heartbeat", hb, "--config", agentToml], { nodeFlags: flags }, { stdio: ["ignore", fd, fd], env });
    closeSync(fd);
    agents.push({
      name, heartbeat: hb, state, pid: child.pid!, spawnedAt, connectedAt: 0, cpuAtConnect: 0, samples: [],
      stop: () => stopChild(child, 10_000),
    });
  }
  // The floor: an idle node process with a timer and nothing loaded.
  const bare = spawnNode("-e", ["setInterval(() => {}, 30000)"], {}, { stdio: "ignore", env: { ...process.env, NODE_OPTIONS: o.nodeOptions } });
  const floorAgent: RunningAgent = {
    name: "node -e setInterval (floor)", heartbeat: "-", state: "", pid: bare.pid!, spawnedAt: wallMs(), connectedAt: 0, cpuAtConnect: 0, samples: [],
    stop: () => stopChild(bare, 5000),
  };
  for (const a of agents) {
    const deadline = Date.now() + 60_000;
    while (!(await collector.api<HostView>(`/v1/hosts/${a.name}`)).connected) {
      if (Date.now() > deadline) throw new Error(`agent ${a.name} (pid ${a.pid}) did not connect within 60 s; see ${join(root, `agent-${a.name}.log`)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    a.connectedAt = wallMs();
    a.cpuAtConnect = readCpuSeconds(a.pid);
  }
  console.log(table(["agent", "pid", "start to connected ms", "CPU s at connect", "RSS MiB at connect"],
    agents.map((a) => [a.name, a.pid, Math.round(a.connectedAt - a.spawnedAt), a.cpuAtConnect, mib(readMem(a.pid).rssKiB)])));
  floorAgent.connectedAt = wallMs();
  floorAgent.cpuAtConnect = readCpuSeconds(floorAgent.pid);
  agents.push(floorAgent);

  const end = wallMs() + o.minutes * 60_000;
  let nextReport = wallMs() + 60_000;
  while (wallMs() < end) {
    for (const a of agents) {
      const m = readMem(a.pid);
      a.samples.push({ t: wallMs(), ...m, cpuS: readCpuSeconds(a.pid) });
    }
    if (wallMs() >= nextReport) {
      nextReport += 60_000;
      console.log(`  ${((wallMs() - agents[0]!.connectedAt) / 60_000).toFixed(0)} min: ` +
        agents.map((a) => `${a.name} RSS ${mib(a.samples.at(-1)!.rssKiB)} MiB, CPU ${a.samples.at(-1)!.cpuS.toFixed(2)} s`).join("; "));
    }
    await new Promise((r) => setTimeout(r, Math.min(o.sample * 1000, Math.max(0, end - wallMs()))));
  }

  agents.pop();
  await floorAgent.stop();
  const measured = [...agents, floorAgent];
  console.log("");
  console.log(table(["agent", "idle min", "RSS steady MiB", "anon/file MiB", "RSS min-max MiB", "peak (VmHWM) MiB", "CPU s idle", "CPU s/hour", "% of a core", "goal RSS < 60 MB"],
    measured.map((a) => {
      const last = a.samples.at(-1)!;
      const idleS = (last.t - a.connectedAt) / 1000;
      const idleCpu = last.cpuS - a.cpuAtConnect;
      const steady = median(a.samples.slice(Math.floor(a.samples.length / 2)).map((s) => s.rssKiB));
      const rss = a.samples.map((s) => s.rssKiB);
      const tail = a.samples.slice(Math.floor(a.samples.length / 2));
      const split = `${mib(median(tail.map((s) => s.anonKiB)))} / ${mib(median(tail.map((s) => s.fileKiB)))}`;
      return [a.name, idleS / 60, mib(steady), split, `${mib(Math.min(...rss))}-${mib(Math.max(...rss))}`, mib(last.hwmKiB), idleCpu,
        (idleCpu / idleS) * 3600, `${((idleCpu / idleS) * 100).toFixed(3)} %`, a === floorAgent ? "-" : goal(steady, last.hwmKiB)];
    })));

  // Start-up of the one-shot commands, while the agents still run (status talks to one).
  const noAgent = join(root, "no-agent");
  mkdirSync(noAgent);
  const commands: [string, string[]][] = [
    ["node -e 0 (floor)", ["-e", "0"]],
    ["lastseen-agent --version", [AGENT_CLI, "--version"]],
    ["lastseen-agent --help", [AGENT_CLI, "--help"]],
    ["lastseen-agent status (agent running)", [AGENT_CLI, "status", "--state", agents[0]!.state]],
    ["lastseen-agent status (no agent)", [AGENT_CLI, "status", "--state", noAgent]],
    ["lastseen --help (collector CLI)", [COLLECTOR_CLI, "--help"]],
  ];
  // Round by round, every command once per round, so that machine noise hits all of them alike.
  const times = commands.map(() => [] as number[]);
  const exits = commands.map(() => null as number | null);
  for (let round = 0; round <= o.startupRuns; round++) {
    commands.forEach(([, args], i) => {
      const r = timeOnce(args);
      exits[i] = r.exit;
      if (round > 0) times[i]!.push(r.ms); // round 0 warms the page cache
    });
  }
  const floor = median(times[0]!);
  const rows = commands.map(([label], i) => [label, median(times[i]!), Math.min(...times[i]!), median(times[i]!) - floor, String(exits[i])]);
  console.log("");
  console.log(`start-up, medians of ${o.startupRuns} interleaved rounds after one warm-up round:`);
  console.log(table(["command", "median ms", "min ms", "above node ms", "exit"], rows));

  for (const a of agents) {
    const t0 = wallMs();
    await a.stop();
    console.log(`${a.name} stopped on SIGTERM in ${Math.round(wallMs() - t0)} ms`);
  }
  await collector.stop();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) runMain(() => main());
