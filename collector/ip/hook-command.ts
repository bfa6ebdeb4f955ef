// Runs the `command` of an on-change hook: argv without a shell, the new address in LASTSEEN_*
// environment variables, in its own process group. Exit 0 = ok. On timeout (or when the collector
// stops) the whole group is killed: SIGTERM, then SIGKILL after a grace period, so a script's
// children (nsupdate, curl) do not outlive it.
import { spawn } from "node:child_process";
import { IpHookError } from "./errors.js";

export interface HookCommandOptions {
  /** argv: the program and its arguments. */
  readonly command: readonly string[];
  /** The complete environment of the command. */
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** Time between SIGTERM and SIGKILL. Default 2000 ms. */
  readonly killGraceMs?: number;
  /** Aborting kills the process group like a timeout (the collector is stopping). */
  readonly signal?: AbortSignal;
  /** For messages: `host home, IPv4`. */
  readonly label: string;
}

export interface HookCommandResult {
  pid: number;
}

const STDERR_TAIL_BYTES = 4096;
const STDERR_TAIL_LINES = 5;
/** How long to wait for stderr to close after the process exited (a grandchild may hold it). */
const STDIO_DRAIN_MS = 1000;

export function runHookCommand(o: HookCommandOptions): Promise<HookCommandResult> {
  const [file, ...args] = o.command;
  const what = `on_ip_change command ${JSON.stringify(file ?? "")} for ${o.label}`;
  if (!file) return Promise.reject(new IpHookError("LASTSEEN_ERR_IP_HOOK_SPAWN", `${what}: the command is empty`));
  return new Promise<HookCommandResult>((resolve, reject) => {
    const child = spawn(file, args, { env: o.env, detached: true, stdio: ["ignore", "pipe", "pipe"], shell: false });
    let stderr = Buffer.alloc(0);
    let why: "timeout" | "aborted" | null = null;
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;

    const killGroup = (signal: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch (err) {
        // ESRCH: the group is gone already. Anything else: at least the process itself.
        if ((err as NodeJS.ErrnoException).code !== "ESRCH") child.kill(signal);
      }
    };
    const stop = (reason: "timeout" | "aborted"): void => {
      if (why !== null || settled) return;
      why = reason;
      killGroup("SIGTERM");
      killTimer = setTimeout(() => killGroup("SIGKILL"), o.killGraceMs ?? 2000);
      killTimer.unref();
    };
    const timer = setTimeout(() => stop("timeout"), o.timeoutMs);
    const onAbort = (): void => stop("aborted");
    o.signal?.addEventListener("abort", onAbort, { once: true });
    if (o.signal?.aborted) onAbort();

    const finish = (err: IpHookError | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (killTimer && why === null) clearTimeout(killTimer);
      o.signal?.removeEventListener("abort", onAbort);
      if (err) reject(err);
      else resolve({ pid: child.pid ?? 0 });
    };

    child.stdout.resume(); // not used; drained so the command never blocks on a full pipe
    child.stderr.on("data", (chunk: Buffer) => {
      stderr = Buffer.concat([stderr, chunk]);
      if (stderr.length > STDERR_TAIL_BYTES) stderr = stderr.subarray(stderr.length - STDERR_TAIL_BYTES);
    });

    child.on("error", (err: NodeJS.ErrnoException) => {
      finish(new IpHookError("LASTSEEN_ERR_IP_HOOK_SPAWN", `${what}: cannot run it (${err.code ?? err.message})`, { cause: err }));
    });

    child.on("exit", (code, signal) => {
      const report = (): void => {
        const tail = lastLines(stderr.toString("utf8"));
        const suffix = tail ? `; stderr: ${tail}` : "";
        if (why === "timeout") {
          finish(new IpHookError("LASTSEEN_ERR_IP_HOOK_TIMEOUT", `${what} timed out after ${o.timeoutMs} ms; process group ${child.pid} was killed${suffix}`));
        } else if (why === "aborted") {
          finish(new IpHookError("LASTSEEN_ERR_IP_HOOK_FAILED", `${what} was stopped with the collector (pid ${child.pid})`));
        } else if (signal) {
          finish(new IpHookError("LASTSEEN_ERR_IP_HOOK_FAILED", `${what} was killed by ${signal} (pid ${child.pid})${suffix}`));
        } else if (code !== 0) {
          finish(new IpHookError("LASTSEEN_ERR_IP_HOOK_FAILED", `${what} exited with code ${code} (pid ${child.pid})${suffix}`));
        } else {
          finish(null);
        }
      };
      if (child.stderr.readableEnded) {
        report();
        return;
      }
      const drain = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        report();
      }, STDIO_DRAIN_MS);
      drain.unref();
      child.stderr.once("end", () => {
        clearTimeout(drain);
        report();
      });
    });
  });
}

function lastLines(text: string): string {
  const lines = text.split("\n").map((l) => l.trimEnd()).filter((l) => l.length > 0);
  return lines.slice(-STDERR_TAIL_LINES).join(" | ");
}
