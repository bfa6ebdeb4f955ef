// `lastseen-agent job run|start|ok|fail NAME ...`: the commands behind the CLI's `job` subcommands.
// The CLI (commander) parses the arguments, resolves the state directory and passes an `emit` that
// spools the event durably in it and pokes a running agent. Each function returns the exit code.
//
//   job run NAME [--state DIR] -- CMD [ARGS...]   exit code = CMD's (128+N for signal N, 127/126 if it cannot run)
//   job start NAME [--state DIR]                   prints the run id (exit 1 when the event could not be stored)
//   job ok NAME [--state DIR] [--run-id ID] [--message TEXT]
//   job fail NAME [--state DIR] [--run-id ID] [--exit-code N] [--message TEXT]
import type { Writable } from "node:stream";
import { JobError } from "../jobs/errors.js";
import { jobFail, jobOk, jobStart } from "../jobs/manual.js";
import type { EmitFn } from "../jobs/run.js";
import { runJob } from "../jobs/run.js";

export type JobRequest =
  | { action: "run"; name: string; command: string[] }
  | { action: "start"; name: string; stateDir: string }
  | { action: "ok"; name: string; stateDir: string; runId?: string; message?: string }
  | { action: "fail"; name: string; stateDir: string; runId?: string; message?: string; exitCode?: string | number };

export interface JobCommandIO {
  emit: EmitFn;
  stdout?: Writable;
  stderr?: Writable;
  clock?: () => number;
}

/** Exit code for wrong arguments (invalid name, bad --exit-code, no command). */
export const EXIT_USAGE = 2;
/**
 * `job start|ok|fail` could not store the event (e.g. the state directory's disk is full): the
 * report is lost, and the exit status says so. (`job run` keeps the command's own exit code.)
 */
export const EXIT_NOT_REPORTED = 1;

export async function jobCommand(req: JobRequest, io: JobCommandIO): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  try {
    switch (req.action) {
      case "run": {
        const [command, ...args] = req.command;
        if (command === undefined || command === "") {
          throw new JobError("LASTSEEN_ERR_JOB_USAGE", "no command given: lastseen-agent job run NAME -- CMD [ARGS...]");
        }
        return await runJob({ name: req.name, command, args, emit: io.emit, clock: io.clock, stdout, stderr });
      }
      case "start": {
        const r = await jobStart({ name: req.name, stateDir: req.stateDir, emit: io.emit, clock: io.clock, stderr });
        stdout.write(`${r.runId}\n`);
        return r.reported ? 0 : EXIT_NOT_REPORTED;
      }
      case "ok":
        return (await jobOk({ name: req.name, stateDir: req.stateDir, emit: io.emit, clock: io.clock, stderr, runId: req.runId, message: req.message })).reported
          ? 0 : EXIT_NOT_REPORTED;
      case "fail":
        return (await jobFail({
          name: req.name, stateDir: req.stateDir, emit: io.emit, clock: io.clock, stderr, runId: req.runId, message: req.message,
          exitCode: req.exitCode === undefined ? undefined : parseExitCode(req.exitCode),
        })).reported ? 0 : EXIT_NOT_REPORTED;
    }
  } catch (err) {
    if (err instanceof JobError && err.code !== "LASTSEEN_ERR_JOB_RUN_FILE") {
      stderr.write(`lastseen-agent job ${req.action}: ${err.message} [${err.code}]\n`);
      return EXIT_USAGE;
    }
    throw err;
  }
}

/** Strict integer for --exit-code: "-1", "3"; not "3.0", "0x1", "1e2" or "". */
export function parseExitCode(value: string | number): number {
  const n = typeof value === "number" ? value : /^-?\d{1,10}$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < -(2 ** 31) || n >= 2 ** 31) {
    throw new JobError("LASTSEEN_ERR_JOB_USAGE", `--exit-code must be an integer, got ${JSON.stringify(value)}`);
  }
  return n;
}
