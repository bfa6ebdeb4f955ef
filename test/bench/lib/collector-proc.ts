// A real collector process (`node dist/collector/cli.js serve`) for a benchmark: optionally pinned
// to one CPU, with a raised open-file limit and a CPU profile; its log goes to a file in the data
// directory so that a chatty log cannot fill the benchmark's memory.
import type { ChildProcess } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dataFiles } from "../../../collector/data-dir.js";
import { spawnNode, stopChild, type SpawnPlan } from "./children.js";

export const DIST = join(import.meta.dirname, "..", "..", "..");
export const COLLECTOR_CLI = join(DIST, "collector", "cli.js");
export const AGENT_CLI = join(DIST, "agent", "cli.js");

export interface CollectorProc {
  child: ChildProcess;
  pid: number;
  /** http://127.0.0.1:PORT */
  url: string;
  /** ws://127.0.0.1:PORT/v1/agent */
  agentUrl: string;
  adminToken: string;
  logFile: string;
  /** GET on the JSON API with the admin token. */
  api<T>(path: string): Promise<T>;
  /** The collector's counters (GET /v1/stats). */
  stats(): Promise<CollectorCounters>;
  /** SIGTERM and wait (a CPU profile is written on this clean exit). */
  stop(): Promise<void>;
}

/** The counters of GET /v1/stats the benchmarks read. */
export interface CollectorCounters {
  connectionsOpened: number;
  connectionsClosed: number;
  framesReceived: number;
  eventsStored: number;
  eventsDuplicate: number;
  heartbeats: number;
  commitBatches: number;
  commitFailures: number;
  throttled: number;
}

export interface CollectorPlan extends SpawnPlan {
  data: string;
  /** TOML written to DATA/bench.toml and passed with --config. */
  toml?: string;
  logLevel?: string;
}

export async function startCollectorProc(plan: CollectorPlan): Promise<CollectorProc> {
  for (const f of [COLLECTOR_CLI, AGENT_CLI]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: run \`npm run build\` first`);
  }
  const files = dataFiles(plan.data);
  rmSync(files.api, { force: true });
  const args = ["serve", "--listen", "127.0.0.1:0", "--data", plan.data, "--log-level", plan.logLevel ?? "info"];
  if (plan.toml !== undefined) {
    const config = join(plan.data, "bench.toml");
    writeFileSync(config, plan.toml);
    args.push("--config", config);
  }
  const logFile = join(plan.data, "collector.log");
  const fd = openSync(logFile, "a");
  const env = { ...process.env };
  delete env.LASTSEEN_CONFIG; // the bench decides the configuration alone
  const child = spawnNode(COLLECTOR_CLI, args, plan, { stdio: ["ignore", fd, fd], env });
  closeSync(fd);
  const deadline = Date.now() + 30_000;
  let info: { url: string; pid: number } | null = null;
  while (!info) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the collector exited (${child.exitCode ?? child.signalCode}) before listening; its log ${logFile}:\n${readFileSync(logFile, "utf8").slice(-2000)}`);
    }
    if (Date.now() > deadline) throw new Error(`the collector did not write ${files.api} within 30 s; its log: ${logFile}`);
    if (existsSync(files.api)) info = JSON.parse(readFileSync(files.api, "utf8")) as { url: string; pid: number };
    else await new Promise((r) => setTimeout(r, 50));
  }
  if (info.pid !== child.pid) throw new Error(`api.json names pid ${info.pid}, but the collector started here is pid ${child.pid}`);
  const adminToken = readFileSync(files.adminToken, "utf8").trim();
  const url = info.url;
  const api = async <T>(path: string): Promise<T> => {
    let res: Response | null = null;
    // One retry: a kept-alive connection the server closed just then fails the first attempt.
    for (let attempt = 1; !res; attempt++) {
      try {
        res = await fetch(url + path, { headers: { authorization: `Bearer ${adminToken}` } });
      } catch (err) {
        if (attempt < 2) continue;
        const cause = (err as Error & { cause?: Error }).cause;
        throw new Error(`GET ${url}${path} failed: ${cause?.message ?? (err as Error).message} (collector pid ${child.pid}, log ${logFile})`, { cause: err });
      }
    }
    if (!res.ok) throw new Error(`GET ${path} on the collector answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as T;
  };
  return {
    child, pid: child.pid!, url, agentUrl: `${url.replace(/^http/, "ws")}/v1/agent`, adminToken, logFile, api,
    stats: () => api<CollectorCounters>("/v1/stats"),
    stop: () => stopChild(child, 30_000),
  };
}
