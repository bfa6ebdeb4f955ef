// Real lastseen processes for integration tests: the compiled CLIs (dist/, built by `npm test`)
// started as child processes, with helpers to wait for them and to kill them.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { shebangNodeFlags } from "./shebang.js";

export const ROOT = join(import.meta.dirname, "..", "..");
export const COLLECTOR_CLI = join(ROOT, "dist", "collector", "cli.js");
export const AGENT_CLI = join(ROOT, "dist", "agent", "cli.js");

if (!existsSync(COLLECTOR_CLI) || !existsSync(AGENT_CLI)) {
  throw new Error("dist/ is missing: run `npm run build` first (npm test does it)");
}

export function tempDir(prefix = "lastseen-test-"): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A TCP port that was free a moment ago (for processes that must restart on the same port). */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, host, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Proc {
  child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or signal) once the process ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function start(cli: string, args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(process.execPath, [...shebangNodeFlags(cli), cli, ...args], { env: { ...process.env, LASTSEEN_LOG_LEVEL: "debug", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => { out += d.toString(); });
  child.stderr!.on("data", (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  return {
    child, exited, output: () => out,
    kill: (signal = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export async function waitFor<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 20_000, everyMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Runs a CLI to completion. */
export function run(cli: string, args: string[], env: NodeJS.ProcessEnv = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...shebangNodeFlags(cli), cli, ...args], { env: { ...process.env, ...env }, encoding: "utf8", timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export interface CollectorProc extends Proc {
  url: string;
  port: number;
  data: string;
}

/** Starts `lastseen serve` and waits until its API answers. */
export async function startCollector(data: string, opts: { port?: number; args?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<CollectorProc> {
  const port = opts.port ?? 0;
  rmSync(join(data, "api.json"), { force: true });
  const p = start(COLLECTOR_CLI, ["serve", "--listen", `127.0.0.1:${port}`, "--data", data, ...(opts.args ?? [])], opts.env);
  const info = await waitFor("the collector's api.json", () => {
    if (p.child.exitCode !== null) throw new Error(`collector exited: ${p.output()}`);
    const f = join(data, "api.json");
    return existsSync(f) ? (JSON.parse(readFileSync(f, "utf8")) as { url: string; pid: number }) : null;
  });
  const url = info.url;
  return { ...p, url, port: Number(new URL(url).port), data };
}

export function addToken(data: string, name: string): string {
  const r = run(COLLECTOR_CLI, ["token", "add", name, "--data", data]);
  if (r.code !== 0) throw new Error(`token add failed: ${r.stderr}`);
  return r.stdout.trim();
}

export function startAgent(collectorUrl: string, token: string, state: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Proc {
  return start(AGENT_CLI, ["run", "--collector", collectorUrl.replace(/^http/, "ws"), "--state", state, "--heartbeat", "1s", ...args], { LASTSEEN_TOKEN: token, ...env });
}

export function cliJson<T>(args: string[]): T {
  const r = run(COLLECTOR_CLI, [...args, "--json"]);
  if (r.code !== 0) throw new Error(`lastseen ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
