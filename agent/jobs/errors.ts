// Errors of `lastseen-agent job ...`. Codes are stable and listed in docs/errors.md.
import { CodedError } from "../../proto/errors.js";

export type JobErrorCode =
  /** The job name does not match JOB_NAME_RE (proto/limits.ts). */
  | "LASTSEEN_ERR_JOB_NAME"
  /** A bad command-line value for a job command (e.g. --exit-code not an integer, no command after --). */
  | "LASTSEEN_ERR_JOB_USAGE"
  /** The run file of `job start` (<state>/jobs/<NAME>.run) cannot be written, read or removed. */
  | "LASTSEEN_ERR_JOB_RUN_FILE";

export class JobError extends CodedError<JobErrorCode> {
  override readonly name = "JobError";
}
