// `lastseen-agent job start|ok|fail NAME` for scripts that report by themselves.
//
// `job start` makes a run id, keeps it with the start time in <state>/jobs/<NAME>.run and reports
// the start; `job ok` / `job fail` report the end of that run (or of --run-id), with the duration
// from the stored start, then remove the file. An end without a recorded start is reported with
// duration 0 and a note on stderr.
//
// Reporting problems (the spool cannot be written, a damaged run file) are warnings: the functions
// return normally so that a script under `set -e` goes on with its backup. Wrong arguments throw.
import { randomUUID } from "node:crypto";
import type { Writable } from "node:stream";
import { checkBody } from "../../proto/codec.js";
import { JOB_NAME_RE, LIMITS } from "../../proto/limits.js";
import type { JobEvent } from "../../proto/types.js";
import { JobError } from "./errors.js";
import type { EmitFn } from "./run.js";
import type { RunRecord } from "./run-file.js";
import { readRunFile, removeRunFile, runFilePath, writeRunFile } from "./run-file.js";

export interface ManualJobOptions {
  name: string;
  /** The agent's state directory (holds jobs/<NAME>.run). */
  stateDir: string;
  emit: EmitFn;
  clock?: () => number;
  /** Where notes and warnings go (default process.stderr). */
  stderr?: Writable;
  /** The process that runs the job (default: our parent, the calling script). */
  pid?: number;
}

export interface JobEndOptions extends ManualJobOptions {
  /** End this run instead of the one in the run file. */
  runId?: string;
  message?: string;
}

export interface JobFailOptions extends JobEndOptions {
  /** Non-zero exit code to report (default 1; 0 is reported as 1 with a warning). */
  exitCode?: number;
}

export interface ManualResult {
  runId: string;
  startedAtMs: number;
  endedAtMs: number;
  /** false when the event could not be handed to the agent (a warning was printed). */
  reported: boolean;
}

export async function jobStart(opts: ManualJobOptions): Promise<ManualResult> {
  checkName(opts.name);
  const { warn } = tools(opts, "start");
  const rec: RunRecord = { runId: randomUUID(), startedAtMs: (opts.clock ?? Date.now)(), pid: opts.pid ?? process.ppid };
  try {
    const previous = readRunFile(opts.stateDir, opts.name);
    if (previous) {
      warn(`note: run ${previous.runId} (started ${new Date(previous.startedAtMs).toISOString()}) never reported its end; starting a new run`);
    }
  } catch (err) {
    warn(`warning: ${(err as Error).message}; replacing it`);
  }
  try {
    writeRunFile(opts.stateDir, opts.name, rec);
  } catch (err) {
    warn(`warning: ${(err as Error).message}; \`job ok\`/\`job fail\` will need --run-id ${rec.runId}`);
  }
  const reported = await send(opts, warn, { ...rec, job: opts.name, phase: "start", endedAtMs: 0, exitCode: null, signal: "", outputTail: "", message: "" });
  return { runId: rec.runId, startedAtMs: rec.startedAtMs, endedAtMs: 0, reported };
}

export function jobOk(opts: JobEndOptions): Promise<ManualResult> {
  return jobEnd(opts, 0, "ok");
}

export function jobFail(opts: JobFailOptions): Promise<ManualResult> {
  let code = opts.exitCode ?? 1;
  if (!Number.isSafeInteger(code) || code < -(2 ** 31) || code >= 2 ** 31) {
    throw new JobError("LASTSEEN_ERR_JOB_USAGE", `--exit-code must be a 32-bit integer, got ${code}`);
  }
  if (code === 0) {
    tools(opts, "fail").warn("warning: --exit-code 0 with `job fail`: reporting exit code 1 so the run counts as failed");
    code = 1;
  }
  return jobEnd(opts, code, "fail");
}

async function jobEnd(opts: JobEndOptions, exitCode: number, verb: "ok" | "fail"): Promise<ManualResult> {
  checkName(opts.name);
  if (opts.runId !== undefined && (opts.runId.length === 0 || opts.runId.length > 64 || /\s/.test(opts.runId))) {
    throw new JobError("LASTSEEN_ERR_JOB_USAGE", `--run-id must be 1 to 64 characters without spaces, got ${JSON.stringify(opts.runId)}`);
  }
  const { warn } = tools(opts, verb);
  const endedAtMs = (opts.clock ?? Date.now)();
  const file = runFilePath(opts.stateDir, opts.name);
  let stored: RunRecord | null = null;
  try {
    stored = readRunFile(opts.stateDir, opts.name);
  } catch (err) {
    warn(`warning: ${(err as Error).message}; ignoring it`);
  }
  let runId: string;
  let startedAtMs: number;
  let fromFile = false;
  if (opts.runId !== undefined && stored?.runId !== opts.runId) {
    runId = opts.runId;
    startedAtMs = endedAtMs;
    warn(`note: no start recorded for run ${runId} in ${file}; reporting it with duration 0`);
  } else if (stored) {
    ({ runId, startedAtMs } = stored);
    fromFile = true;
  } else {
    runId = randomUUID();
    startedAtMs = endedAtMs;
    warn(`note: no \`job start\` recorded for ${opts.name} (${file} does not exist); reporting a run of duration 0`);
  }
  const message = opts.message ?? "";
  const event: JobEvent = {
    job: opts.name, runId, phase: "end", startedAtMs, endedAtMs, exitCode, signal: "", outputTail: "",
    message: message.length > LIMITS.maxMessage ? `${message.slice(0, LIMITS.maxMessage - 1)}…` : message,
    pid: stored?.pid ?? opts.pid ?? process.ppid,
  };
  const reported = await send(opts, warn, event);
  // Keep the file when the end could not be reported, so a retry still knows the start.
  if (reported && fromFile) {
    try {
      removeRunFile(opts.stateDir, opts.name);
    } catch (err) {
      warn(`warning: ${(err as Error).message}`);
    }
  }
  return { runId, startedAtMs, endedAtMs, reported };
}

async function send(opts: ManualJobOptions, warn: (m: string) => void, event: JobEvent): Promise<boolean> {
  const body = checkBody({ kind: "jobEvent", value: event });
  try {
    await opts.emit(body);
    return true;
  } catch (err) {
    const code = (err as { code?: string }).code;
    warn(`error: could not report the ${event.phase} of run ${event.runId}: ${(err as Error).message}${code ? ` [${code}]` : ""}`);
    return false;
  }
}

function checkName(name: string): void {
  if (!JOB_NAME_RE.test(name)) {
    throw new JobError("LASTSEEN_ERR_JOB_NAME", `invalid job name ${JSON.stringify(name)}: use letters, digits and . _ : @ + - (at most 128, starting with a letter or digit)`);
  }
}

function tools(opts: ManualJobOptions, verb: string): { warn: (m: string) => void } {
  const err = opts.stderr ?? process.stderr;
  return { warn: (m: string) => void err.write(`lastseen-agent job ${verb} ${opts.name}: ${m}\n`) };
}
