// The run file of `job start`: <state>/jobs/<NAME>.run holds the run id and start time until
// `job ok` / `job fail` reads it. Written atomically (temp file, fsync, rename, fsync of the folder),
// so a crash leaves either the old file or the new one, never half of one.
import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { JobError } from "./errors.js";

export interface RunRecord {
  runId: string;
  startedAtMs: number;
  pid: number;
}

export function runFilePath(stateDir: string, job: string): string {
  return join(stateDir, "jobs", `${job}.run`);
}

export function writeRunFile(stateDir: string, job: string, rec: RunRecord): string {
  const dir = join(stateDir, "jobs");
  const file = runFilePath(stateDir, job);
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    mkdirSync(dir, { recursive: true });
    const fd = openSync(tmp, "wx", 0o644);
    try {
      writeSync(fd, `${JSON.stringify(rec)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
    syncDir(dir);
  } catch (err) {
    removeQuietly(tmp);
    throw new JobError("LASTSEEN_ERR_JOB_RUN_FILE", `cannot write ${file}: ${(err as Error).message}`, { cause: err });
  }
  return file;
}

/** The stored record, or null when there is none. Throws JobError on a file that is not ours. */
export function readRunFile(stateDir: string, job: string): RunRecord | null {
  const file = runFilePath(stateDir, job);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new JobError("LASTSEEN_ERR_JOB_RUN_FILE", `cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  let rec: unknown;
  try {
    rec = JSON.parse(text);
  } catch (err) {
    throw new JobError("LASTSEEN_ERR_JOB_RUN_FILE", `${file} is not a run file (not JSON): ${(err as Error).message}`, { cause: err });
  }
  const r = rec as Partial<RunRecord> | null;
  if (typeof r !== "object" || r === null || typeof r.runId !== "string" || r.runId.length === 0 || r.runId.length > 64
    || !Number.isSafeInteger(r.startedAtMs) || !Number.isSafeInteger(r.pid)) {
    throw new JobError("LASTSEEN_ERR_JOB_RUN_FILE", `${file} is not a run file (expected {"runId","startedAtMs","pid"})`);
  }
  return { runId: r.runId, startedAtMs: r.startedAtMs!, pid: r.pid! };
}

export function removeRunFile(stateDir: string, job: string): void {
  const file = runFilePath(stateDir, job);
  try {
    unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw new JobError("LASTSEEN_ERR_JOB_RUN_FILE", `cannot remove ${file}: ${(err as Error).message}`, { cause: err });
  }
}

function syncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch (err) {
    // Nothing to clean up when the temp file was never created; anything else is reported by the caller's error.
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") process.emitWarning(`cannot remove ${file}: ${(err as Error).message}`);
  }
}
