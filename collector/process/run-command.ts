// Runs an operator-configured command (an exec channel, an IP on-change hook): argv without a
// shell, in its own process group, optional stdin, bounded in time. On timeout, or when aborted,
// the whole group is killed (SIGTERM, then SIGKILL after a grace period), so a script's children
// do not outlive it. Resolves with what happened; callers turn that into their own errors.
import { spawn } from "node:child_process";

export interface RunCommandOptions {
  /** argv: the program and its arguments (never run through a shell). */
  readonly command: readonly string[];
  /** The complete environment of the command. */
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** Time between SIGTERM and SIGKILL. Default 2000 ms. */
  readonly killGraceMs?: number;
  /** Aborting kills the process group like a timeout. */
  readonly signal?: AbortSignal;
  readonly stdin?: string;
  readonly cwd?: string;
}

export type RunOutcome =
  | { kind: "exited"; code: number; pid: number; stderrTail: string }
  | { kind: "signaled"; signal: string; pid: number; stderrTail: string }
  | { kind: "timeout" | "aborted"; pid: number; stderrTail: string }
  | { kind: "spawn-failed"; code: string; cause: Error }
  | { kind: "stdin-failed"; code: string; pid: number };

const STDERR_TAIL_BYTES = 8192;
const STDERR_TAIL_LINES = 5;
/** How long to wait for stderr to close after the process exited (a grandchild may hold it). */
const STDIO_DRAIN_MS = 1000;

export function runCommand(o: RunCommandOptions): Promise<RunOutcome> {
  const [file, ...args] = o.command;
  if (!file) return Promise.resolve({ kind: "spawn-failed", code: "EMPTY", cause: new Error("the command is empty") });
  return new Promise<RunOutcome>((resolve) => {
    const child = spawn(file, args, {
      env: o.env, cwd: o.cwd, detached: true, shell: false, stdio: [o.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    const pid = child.pid ?? 0;
    // Both are pipes (stdio above), never null.
    const out = child.stdout!;
    const errOut = child.stderr!;
    let stderr = Buffer.alloc(0);
    let stopped: "timeout" | "aborted" | null = null;
    let settled = false;

    const killGroup = (signal: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch (err) {
        // ESRCH: the group is gone already. Anything else (EPERM after a setuid exec): at least
        // the process itself.
        if ((err as NodeJS.ErrnoException).code !== "ESRCH") child.kill(signal);
      }
    };
    const stop = (why: "timeout" | "aborted"): void => {
      if (stopped !== null || settled) return;
      stopped = why;
      killGroup("SIGTERM");
      setTimeout(() => killGroup("SIGKILL"), o.killGraceMs ?? 2000).unref();
    };
    const timer = setTimeout(() => stop("timeout"), o.timeoutMs);
    const onAbort = (): void => stop("aborted");
    o.signal?.addEventListener("abort", onAbort, { once: true });
    if (o.signal?.aborted) onAbort();

    const finish = (outcome: RunOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      o.signal?.removeEventListener("abort", onAbort);
      resolve(outcome);
    };

    out.resume(); // not used; drained so the command never blocks on a full pipe
    errOut.on("data", (chunk: Buffer) => {
      stderr = Buffer.concat([stderr, chunk]);
      if (stderr.length > STDERR_TAIL_BYTES) stderr = stderr.subarray(stderr.length - STDERR_TAIL_BYTES);
    });
    if (child.stdin) {
      child.stdin.on("error", (err: NodeJS.ErrnoException) => {
        // EPIPE: the command exited without reading stdin; it may use the environment only.
        if (err.code !== "EPIPE") finish({ kind: "stdin-failed", code: err.code ?? err.message, pid });
      });
      child.stdin.end(o.stdin);
    }
    child.on("error", (err: NodeJS.ErrnoException) => finish({ kind: "spawn-failed", code: err.code ?? err.message, cause: err }));
    child.on("exit", (code, signal) => {
      const report = (): void => {
        const stderrTail = lastLines(stderr.toString("utf8"));
        if (stopped !== null) finish({ kind: stopped, pid, stderrTail });
        else if (signal) finish({ kind: "signaled", signal, pid, stderrTail });
        else finish({ kind: "exited", code: code ?? 0, pid, stderrTail });
      };
      if (errOut.readableEnded) return report();
      const drain = setTimeout(() => {
        out.destroy();
        errOut.destroy();
        report();
      }, STDIO_DRAIN_MS);
      drain.unref();
      errOut.once("end", () => {
        clearTimeout(drain);
        report();
      });
    });
  });
}

function lastLines(text: string): string {
  return text.split("\n").map((l) => l.trimEnd()).filter((l) => l.length > 0).slice(-STDERR_TAIL_LINES).join(" | ");
}
