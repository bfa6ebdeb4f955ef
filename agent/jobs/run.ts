// `lastseen-agent job run NAME -- CMD [ARGS...]`: runs a command and reports its start and end.
//
// The command always runs, whatever happens to the reporting: a monitoring failure must never stop
// a backup. It is exec'd without a shell (PATH lookup only), stdin is passed through, stdout and
// stderr are copied to ours while a bounded tail of both is kept for the end event, and SIGINT,
// SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 are forwarded to it.
//
// Exit code (what runJob returns, for the CLI to exit with): the command's own exit code; when it
// died of a signal, 128 + the signal's number (the shell convention: SIGTERM -> 143, SIGKILL -> 137);
// 127 when the command does not exist, 126 when it cannot be executed.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { constants as osConstants } from "node:os";
import type { Writable } from "node:stream";
import { checkBody } from "../../proto/codec.js";
import { JOB_NAME_RE, LIMITS } from "../../proto/limits.js";
import type { AgentBody, JobEvent } from "../../proto/types.js";
import { OutputTail } from "./tail.js";

export type EmitFn = (body: AgentBody) => Promise<void>;

export interface RunJobOptions {
  name: string;
  command: string;
  args: string[];
  /** Durably hands an event to the agent (the spool); may throw. */
  emit: EmitFn;
  /** Wall clock in ms (tests pass a fake). */
  clock?: () => number;
  /** Lines of output kept for the end event (default 20). */
  tailLines?: number;
  /** Bytes of output kept for the end event (default 4096, at most LIMITS.maxOutputTail). */
  tailBytes?: number;
  /** Where the command's stdout and stderr are copied to (default process.stdout / process.stderr). */
  stdout?: Writable;
  stderr?: Writable;
  /** How long one emit may take before the run goes on without it (default 15 s). */
  emitTimeoutMs?: number;
  /** After the command exits, how long to wait for its output pipes to close (default 2 s);
   *  a background process it left behind may hold them open. */
  drainTimeoutMs?: number;
  /** The signal source; default `process` (tests pass an EventEmitter). */
  signalSource?: SignalSource;
}

/** What runJob listens on for signals to forward: `process` or a stand-in. */
export interface SignalSource {
  on(event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  removeListener(event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

export const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"];
/** Signals that, arriving before the command started, mean it should not start at all. */
const STOP_SIGNALS: ReadonlySet<NodeJS.Signals> = new Set(["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"]);

export const EXIT_NOT_FOUND = 127;
export const EXIT_CANNOT_EXECUTE = 126;

/** Exit code for a death by signal: 128 + its number (shell convention). */
export function exitCodeForSignal(signal: NodeJS.Signals): number {
  return 128 + (osConstants.signals[signal] ?? 0);
}

interface Outcome {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  message: string;
  /** What runJob returns. */
  code: number;
}

export async function runJob(opts: RunJobOptions): Promise<number> {
  const clock = opts.clock ?? Date.now;
  const out = opts.stdout ?? process.stdout;
  const err = opts.stderr ?? process.stderr;
  const signals = opts.signalSource ?? process;
  const emitTimeoutMs = opts.emitTimeoutMs ?? 15_000;
  const prefix = `lastseen-agent job run ${opts.name}`;
  const warn = (msg: string): void => writeSafely(err, `${prefix}: ${msg}\n`);

  const reportable = JOB_NAME_RE.test(opts.name);
  if (!reportable) {
    warn(`warning: invalid job name ${JSON.stringify(opts.name)} (letters, digits and . _ : @ + -, at most 128, starting with a letter or digit): this run is NOT reported`);
  }
  const base = { job: opts.name, runId: randomUUID(), pid: process.pid };
  const report = async (event: JobEvent): Promise<void> => {
    if (!reportable) return;
    try {
      const body = checkBody({ kind: "jobEvent", value: event });
      await withTimeout(opts.emit(body), emitTimeoutMs, `reporting the ${event.phase} took longer than ${emitTimeoutMs} ms`);
    } catch (e) {
      warn(`warning: could not report the ${event.phase} of run ${event.runId}: ${(e as Error).message}`);
    }
  };

  // Listen before anything else, so a stop during the start report is not lost.
  let child: ChildProcess | null = null;
  let stopBeforeStart: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (child === null) {
      if (STOP_SIGNALS.has(signal)) stopBeforeStart ??= signal;
      return;
    }
    if (child.exitCode === null && child.signalCode === null) {
      try {
        child.kill(signal);
      } catch (e) {
        warn(`warning: could not forward ${signal} to pid ${child.pid}: ${(e as Error).message}`);
      }
    }
  };
  for (const s of FORWARDED_SIGNALS) signals.on(s, onSignal);

  try {
    const startedAtMs = clock();
    await report({ ...base, phase: "start", startedAtMs, endedAtMs: 0, exitCode: null, signal: "", outputTail: "", message: "" });

    const tail = new OutputTail(opts.tailLines, opts.tailBytes);
    let outcome: Outcome | undefined;
    const stop = stopBeforeStart as NodeJS.Signals | null;
    if (stop !== null) {
      outcome = { exitCode: null, signal: stop, code: exitCodeForSignal(stop), message: `${stop} arrived before ${opts.command} was started; it did not run` };
      warn(outcome.message);
    } else {
      let spawned: ChildProcess | null = null;
      try {
        spawned = spawn(opts.command, opts.args, { stdio: ["inherit", "pipe", "pipe"], shell: false });
      } catch (e) {
        // Node throws synchronously for some spawn errors (bad arguments, EINVAL, ...).
        outcome = spawnFailure(opts.command, e as NodeJS.ErrnoException);
      }
      if (spawned !== null) {
        child = spawned;
        outcome = await supervise(spawned, opts.command, tail, out, err, opts.drainTimeoutMs ?? 2000, warn);
      }
      if (outcome?.message) warn(outcome.message);
    }
    const o = outcome as Outcome;
    await report({
      ...base, phase: "end", startedAtMs, endedAtMs: clock(), exitCode: o.exitCode, signal: o.signal ?? "",
      outputTail: tail.text(), message: o.message.slice(0, LIMITS.maxMessage),
    });
    return o.code;
  } finally {
    for (const s of FORWARDED_SIGNALS) signals.removeListener(s, onSignal);
  }
}

/** Copies the child's output, waits for it to exit and its pipes to drain. */
function supervise(
  child: ChildProcess, command: string, tail: OutputTail, out: Writable, err: Writable,
  drainTimeoutMs: number, warn: (msg: string) => void,
): Promise<Outcome> {
  return new Promise((resolve) => {
    const pipes = [child.stdout, child.stderr].filter((p) => p !== null);
    const sinks: [NodeJS.ReadableStream | null, Writable][] = [[child.stdout, out], [child.stderr, err]];
    const cleanups: (() => void)[] = [];
    for (const [src, dst] of sinks) {
      if (!src) continue;
      src.on("data", (chunk: Buffer) => tail.push(chunk));
      src.pipe(dst, { end: false });
      // A closed terminal or reader (EPIPE) stops the copy, never the command.
      const onError = (e: Error): void => {
        src.unpipe(dst);
        src.resume();
        if (dst !== err) warn(`warning: cannot copy output any more (${e.message}); the command goes on`);
      };
      // Stays attached: a late EPIPE on our stdout must not crash the wrapper after the command ended.
      dst.on("error", onError);
      cleanups.push(() => src.unpipe(dst));
    }
    let done = false;
    const finish = (o: Outcome): void => {
      if (done) return;
      done = true;
      for (const c of cleanups) c();
      resolve(o);
    };

    child.on("error", (e: NodeJS.ErrnoException) => {
      if (child.pid !== undefined) {
        warn(`warning: ${e.message}`);
        return;
      }
      finish(spawnFailure(command, e));
    });
    child.once("exit", (exitCode, signal) => {
      const outcome: Outcome = signal !== null
        ? { exitCode: null, signal, code: exitCodeForSignal(signal), message: "" }
        : { exitCode: exitCode ?? 0, signal: null, code: exitCode ?? 0, message: "" };
      const open = pipes.filter((p) => !p.readableEnded && !p.destroyed);
      if (open.length === 0) return finish(outcome);
      const timer = setTimeout(() => {
        for (const p of open) p.destroy();
        finish(outcome);
      }, drainTimeoutMs);
      let pending = open.length;
      for (const p of open) {
        p.once("close", () => {
          if (--pending === 0) {
            clearTimeout(timer);
            finish(outcome);
          }
        });
      }
    });
  });
}

function spawnFailure(command: string, e: NodeJS.ErrnoException): Outcome {
  const notFound = e.code === "ENOENT" || e.code === "ENOTDIR";
  const code = notFound ? EXIT_NOT_FOUND : EXIT_CANNOT_EXECUTE;
  const why = notFound ? "command not found" : e.code === "EACCES" ? "permission denied" : `cannot execute: ${e.message}`;
  return { exitCode: code, signal: null, code, message: `cannot run ${JSON.stringify(command)}: ${why}${e.code ? ` (${e.code})` : ""}` };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(what)), ms);
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function writeSafely(stream: Writable, text: string): void {
  if (stream.destroyed || stream.writableEnded) return;
  stream.write(text);
}
