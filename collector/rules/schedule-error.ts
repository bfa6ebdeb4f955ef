// Errors raised while reading a job expectation (collector config or an agent's declaration).
// Codes are stable and listed in docs/errors.md.

export type ScheduleErrorCode =
  /** A duration text ("90s", "1h30m") that does not parse, or is out of range. */
  | "LASTSEEN_ERR_DURATION"
  /** A job expectation that cannot be used: both or neither of every/cron, bad cron, unknown time zone. */
  | "LASTSEEN_ERR_JOB_SCHEDULE";

export class ScheduleError extends Error {
  override readonly name = "ScheduleError";
  constructor(
    readonly code: ScheduleErrorCode,
    message: string,
    /** Where the expectation came from, e.g. `collector.toml [[jobs]] #2 (host "home", job "backup")`. */
    readonly where?: string,
    /** The offending key, e.g. "grace". */
    readonly key?: string,
  ) {
    super(`${where ? `${where}: ` : ""}${key ? `key "${key}": ` : ""}${message}`);
  }
}
