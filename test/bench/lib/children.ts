// Every process and temporary directory a benchmark starts is registered here, so that it is
// stopped and removed at the end, on an error, and on Ctrl-C (SIGINT) or SIGTERM.
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const live = new Set<ChildProcess>();
const dirs = new Set<string>();
let installed = false;
/** A signal arrived: errors from processes dying of it are expected, not news. */
let stopping = false;

export interface SpawnPlan {
  /** Pin to this CPU with taskset (null: no pinning). */
  cpu?: number | null;
  /** Open-file limit (soft and hard) set with prlimit before exec. */
  nofile?: number;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeFlags?: string[];
}

/**
 * Starts `node script args` wrapped in prlimit and taskset when asked. Both wrappers exec, so the
 * child's pid is node's pid (what /proc/PID/status describes).
 */
export function spawnNode(script: string, args: string[], plan: SpawnPlan, opts: SpawnOptions): ChildProcess {
  const cmd: string[] = [];
  if (plan.nofile !== undefined) cmd.push("prlimit", `--nofile=${plan.nofile}:${plan.nofile}`);
  if (plan.cpu !== undefined && plan.cpu !== null) cmd.push("taskset", "-c", String(plan.cpu));
  cmd.push(process.execPath, ...(plan.nodeFlags ?? []), script, ...args);
  const child = spawn(cmd[0]!, cmd.slice(1), opts);
  return track(child);
}

export function track(child: ChildProcess): ChildProcess {
  installCleanup();
  live.add(child);
  child.once("exit", () => live.delete(child));
  return child;
}

export function benchTempDir(prefix: string): string {
  installCleanup();
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.add(dir);
  return dir;
}

/** Keeps a directory after the run (e.g. a CPU profile the user wants to open). */
export function keepDir(dir: string): void {
  dirs.delete(dir);
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  dirs.delete(dir);
}

export function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
}

/** SIGTERM, then SIGKILL after graceMs. */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited(child);
  clearTimeout(timer);
}

export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((c) => stopChild(c, 5000)));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs.clear();
}

function killAllNow(): void {
  for (const c of live) {
    if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}

function installCleanup(): void {
  if (installed) return;
  installed = true;
  const onSignal = (signal: NodeJS.Signals) => {
    stopping = true;
    console.error(`\n${signal}: stopping ${live.size} benchmark process(es) and removing temporary directories...`);
    stopAll().then(
      () => process.exit(130),
      (err: unknown) => {
        console.error(err);
        process.exit(130);
      },
    );
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  process.once("exit", killAllNow);
}

/** Runs a benchmark's main(), then stops whatever is left; exit code 1 on an error. */
export function runMain(main: () => Promise<void>): void {
  main().then(
    () => stopAll(),
    async (err: unknown) => {
      if (stopping) return; // the signal handler cleans up and exits
      console.error(err instanceof Error ? err.stack ?? err.message : err);
      process.exitCode = 1;
      await stopAll();
    },
  ).then(
    () => process.exit(),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
