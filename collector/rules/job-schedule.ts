// Job expectations and the pure rule that judges a job: (schedule, last run facts, window, now)
// -> state, problems and the next instant the verdict can change. No I/O and no clock: the engine
// passes `nowMs` and schedules one timer at `nextCheckAtMs`.
//
// Semantics (docs/jobs.md explains them for users):
// - failed: the newest finished run exited non-zero or died of a signal.
// - missed: no run ended by the deadline. The deadline is the next expected run after the newest
//   end (ok or failed) or the start of the judging window, whichever is later, plus grace. A failed
//   run answers the schedule: it is reported as failed, and missed again only if no run at all
//   ends by the following deadline. So a failure does not raise a second "missed" alert.
// - a run that started before the job would be missed holds the verdict while it runs: with
//   max_runtime it can only become tooLong; without, it covers its own window only (missed when
//   the deadline after its start passes).
// - cron deadlines near a UTC offset change get the size of the change as extra slack, so a job
//   that a cron daemon or systemd runs on the first or second pass of a repeated hour, or after a
//   skipped hour, is never judged missed for it.
import { Cron } from "croner";
import type { JobExpectation } from "../../proto/types.js";
import { DurationError } from "../../proto/errors.js";
import { readDuration } from "../../proto/duration.js";
import { ScheduleError } from "./schedule-error.js";

interface ScheduleCommon {
  /** Added to each deadline before the job counts as missed; should cover the run's duration. */
  graceMs: number;
  /** A run still going after this long is tooLong; null: no limit. */
  maxRuntimeMs: number | null;
}
export type JobSchedule =
  | (ScheduleCommon & { kind: "every"; everyMs: number })
  | (ScheduleCommon & { kind: "cron"; cron: string; timezone: string });

/** Expectation as written in the collector's TOML `[[jobs]]` (or converted from the wire). */
export interface ExpectationText {
  every?: unknown;
  cron?: unknown;
  timezone?: unknown;
  grace?: unknown;
  max_runtime?: unknown;
}

export const DEFAULT_GRACE_MS = 3_600_000;
const MIN_EVERY_MS = 1000;

/**
 * Reads an expectation. Throws ScheduleError (LASTSEEN_ERR_JOB_SCHEDULE or LASTSEEN_ERR_DURATION)
 * naming `where` and the key. Empty strings count as absent (the wire's default). Exactly one of
 * `every` and `cron`; `timezone` (IANA) is required with `cron` and refused with `every`; `grace`
 * defaults to 1h; `max_runtime` is optional.
 */
export function parseExpectation(e: ExpectationText, where: string): JobSchedule {
  const every = text(e.every, "every", where);
  const cron = text(e.cron, "cron", where);
  const timezone = text(e.timezone, "timezone", where);
  const graceText = text(e.grace, "grace", where);
  const maxText = text(e.max_runtime, "max_runtime", where);
  if (every !== null && cron !== null) throw schedErr("give either \"every\" or \"cron\", not both", where, "cron");
  if (every === null && cron === null) throw schedErr("give \"every\" (e.g. \"24h\") or \"cron\" (e.g. \"30 2 * * *\") with \"timezone\"", where, "every");
  const graceMs = graceText === null ? DEFAULT_GRACE_MS : duration(graceText, "grace", where);
  const maxRuntimeMs = maxText === null ? null : duration(maxText, "max_runtime", where);
  if (maxRuntimeMs === 0) throw schedErr("must be longer than 0s (leave it out for no limit)", where, "max_runtime");
  if (every !== null) {
    if (timezone !== null) throw schedErr("only applies to \"cron\"; \"every\" is an interval of real time", where, "timezone");
    const everyMs = duration(every, "every", where);
    if (everyMs < MIN_EVERY_MS) throw schedErr(`"${every}" is shorter than 1s`, where, "every");
    return { kind: "every", everyMs, graceMs, maxRuntimeMs };
  }
  if (timezone === null) throw schedErr("is required with \"cron\": an IANA zone such as \"Europe/Berlin\" (or \"UTC\")", where, "timezone");
  checkTimezone(timezone, where);
  const pattern = cron as string;
  let c: Cron;
  try {
    c = cronFor(pattern, timezone);
  } catch (err) {
    throw schedErr(`"${pattern}" is not a cron expression: ${(err as Error).message}`, where, "cron");
  }
  // A pattern that never matches (e.g. "0 0 30 2 *") would silently disable the check.
  if (c.nextRun(new Date(Date.UTC(2000, 0, 1))) === null) {
    throw schedErr(`"${pattern}" never matches a date`, where, "cron");
  }
  return { kind: "cron", cron: pattern, timezone, graceMs, maxRuntimeMs };
}

/** Same as parseExpectation for an expectation an agent declared in its Hello. */
export function parseWireExpectation(e: JobExpectation, where: string): JobSchedule {
  return parseExpectation({ every: e.every, cron: e.cron, timezone: e.timezone, grace: e.grace, max_runtime: e.maxRuntime }, where);
}

/** One-line description for CLI and messages: "every 24h, grace 1h" / "cron 30 2 * * * (Europe/Berlin), grace 30m, max 2h". */
export function describeSchedule(s: JobSchedule): string {
  const head = s.kind === "every" ? `every ${fmt(s.everyMs)}` : `cron ${s.cron} (${s.timezone})`;
  return `${head}, grace ${fmt(s.graceMs)}${s.maxRuntimeMs === null ? "" : `, max ${fmt(s.maxRuntimeMs)}`}`;
}

/** The first scheduled time strictly after `afterMs` (ms), or null when the schedule has no more. */
export function nextScheduledAfter(s: JobSchedule, afterMs: number): number | null {
  if (s.kind === "every") return afterMs + s.everyMs;
  const next = cronFor(s.cron, s.timezone).nextRun(new Date(afterMs));
  return next === null ? null : next.getTime();
}

/**
 * Extra time allowed after a cron deadline when the zone's UTC offset changes within 3 hours of
 * it: the size of the change. Covers a run on the second pass of a repeated hour (fall back) and
 * the ways daemons treat a skipped hour (cron runs right after the jump, mktime() normalises
 * 02:30 to 03:30).
 */
export function dstSlackMs(timezone: string, atMs: number): number {
  const window = 3 * 3_600_000;
  return Math.abs(utcOffsetMs(timezone, atMs - window) - utcOffsetMs(timezone, atMs + window));
}

// ---------- the rule ----------

export interface JobRuleInput {
  /** null: no expectation (the job is listed, never judged missed). */
  schedule: JobSchedule | null;
  /**
   * When judging may begin: when the job was first seen, its expectation set or changed, or its
   * host came back from silence. No deadline falls before the first scheduled time after it.
   */
  windowStartMs: number;
  /** Start of the newest finished run, null when none has finished. */
  lastStartMs: number | null;
  /** End of the newest finished run. */
  lastEndMs: number | null;
  /** Exit code of the newest finished run; null when it died of a signal. */
  lastExitCode: number | null;
  /** Signal name that ended the newest finished run ("" or null when none). */
  lastSignal: string | null;
  /**
   * Start of the newest run that has no end yet. Ignored when older than lastStartMs (an
   * abandoned run: its wrapper was killed, the host rebooted), so a lost end never keeps a job
   * "running".
   */
  runningSinceMs: number | null;
  /** End of the newest run that exited 0. */
  lastOkEndMs: number | null;
}

export type JobState = "ok" | "failed" | "missed" | "running" | "unknown";

export interface JobProblems {
  failed: boolean;
  missed: boolean;
  tooLong: boolean;
}

export interface JobVerdict {
  /** missed > failed > running > ok > unknown (the first that applies). */
  state: JobState;
  problems: JobProblems;
  /** Earliest instant the verdict can change without new input; null: only new input changes it. */
  nextCheckAtMs: number | null;
  /**
   * The instant by which a run must end, grace and DST slack included (in the past when missed);
   * null when the job cannot be missed now (no schedule, a run covered by max_runtime, no more
   * scheduled times).
   */
  nextDeadlineMs: number | null;
}

export function evaluateJob(input: JobRuleInput, nowMs: number): JobVerdict {
  const { schedule } = input;
  const finished = input.lastEndMs !== null;
  const lastOk = finished && input.lastExitCode === 0 && !input.lastSignal;
  const okCoversLast = input.lastOkEndMs !== null && input.lastEndMs !== null && input.lastOkEndMs >= input.lastEndMs;
  const failed = finished && !lastOk && !okCoversLast;
  const runStart = input.runningSinceMs !== null && (input.lastStartMs === null || input.runningSinceMs >= input.lastStartMs)
    ? input.runningSinceMs
    : null;

  let missed = false;
  let tooLong = false;
  let nextDeadlineMs: number | null = null;
  const checks: number[] = [];

  if (schedule !== null) {
    const base = Math.max(input.windowStartMs, input.lastEndMs ?? -Infinity, input.lastOkEndMs ?? -Infinity);
    const missedAt = deadlineAfter(schedule, base);
    const held = runStart !== null && (missedAt === null || runStart < missedAt);
    if (!held) {
      nextDeadlineMs = missedAt;
    } else if (schedule.maxRuntimeMs === null) {
      // No limit: the run answers for the window it started in, not for the ones after.
      nextDeadlineMs = deadlineAfter(schedule, runStart);
    }
    if (nextDeadlineMs !== null) {
      missed = nowMs >= nextDeadlineMs;
      if (!missed) checks.push(nextDeadlineMs);
    }
    if (runStart !== null && schedule.maxRuntimeMs !== null) {
      const limitAt = runStart + schedule.maxRuntimeMs;
      tooLong = nowMs >= limitAt;
      if (!tooLong) checks.push(limitAt);
    }
  }

  const state: JobState = missed ? "missed"
    : failed ? "failed"
    : runStart !== null ? "running"
    : finished ? "ok"
    : "unknown";
  return {
    state,
    problems: { failed, missed, tooLong },
    nextCheckAtMs: checks.length > 0 ? Math.min(...checks) : null,
    nextDeadlineMs,
  };
}

/** Next scheduled time strictly after `afterMs`, plus grace (and DST slack for cron); null if none. */
function deadlineAfter(s: JobSchedule, afterMs: number): number | null {
  const due = nextScheduledAfter(s, afterMs);
  if (due === null) return null;
  return due + s.graceMs + (s.kind === "cron" ? dstSlackMs(s.timezone, due) : 0);
}

// ---------- helpers ----------

function text(value: unknown, key: string, where: string): string | null {
  if (value === undefined || value === null || value === "") return null;
  if (typeof value !== "string") {
    throw schedErr(`must be a text such as ${key === "cron" ? "\"30 2 * * *\"" : key === "timezone" ? "\"Europe/Berlin\"" : "\"24h\""}, not ${JSON.stringify(value)}`, where, key);
  }
  return value.trim();
}

function duration(value: string, key: string, where: string): number {
  try {
    return readDuration(value);
  } catch (err) {
    if (err instanceof DurationError) throw new ScheduleError("LASTSEEN_ERR_DURATION", err.message, where, key);
    throw err;
  }
}

function schedErr(message: string, where: string, key: string): ScheduleError {
  return new ScheduleError("LASTSEEN_ERR_JOB_SCHEDULE", message, where, key);
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: timezone, hourCycle: "h23",
      year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric",
    });
    if (formatters.size >= 1000) formatters.clear();
    formatters.set(timezone, f);
  }
  return f;
}

function checkTimezone(timezone: string, where: string): void {
  try {
    formatter(timezone);
  } catch (err) {
    throw schedErr(`unknown time zone "${timezone}" (use an IANA name such as "Europe/Berlin"): ${(err as Error).message}`, where, "timezone");
  }
}

/** UTC offset of the zone at an instant (local wall time minus UTC), in ms, whole seconds. */
function utcOffsetMs(timezone: string, atMs: number): number {
  const p: Record<string, number> = {};
  for (const part of formatter(timezone).formatToParts(new Date(atMs))) {
    if (part.type !== "literal") p[part.type] = Number(part.value);
  }
  const wall = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  return wall - Math.floor(atMs / 1000) * 1000;
}

const crons = new Map<string, Cron>();

/** Croner instances without a callback never start a timer: they only compute dates. */
function cronFor(pattern: string, timezone: string): Cron {
  const key = `${timezone}\u0000${pattern}`;
  let c = crons.get(key);
  if (!c) {
    c = new Cron(pattern, { timezone, paused: true });
    if (crons.size >= 10_000) crons.clear();
    crons.set(key, c);
  }
  return c;
}

function fmt(ms: number): string {
  if (ms === 0) return "0s";
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of [["d", 86_400_000], ["h", 3_600_000], ["m", 60_000], ["s", 1000], ["ms", 1]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts.join("");
}
