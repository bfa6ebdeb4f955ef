// `lastseen jobs`: last run, result, duration, next deadline and state of every job.
import type { AlertPolicy } from "../alerts/engine.js";
import { describeSchedule, evaluateJob, type JobSchedule } from "../rules/job-schedule.js";
import type { JobRecord } from "../store/job-repo.js";
import type { Store } from "../store/store.js";
import { iso } from "./live.js";

export interface JobView {
  host: string;
  job: string;
  lastResult: "ok" | "failed" | "running" | null;
  exitCode: number | null;
  lastStart: string | null;
  lastEnd: string | null;
  /** End of the last successful run. */
  lastSuccess: string | null;
  durationMs: number | null;
  state: "ok" | "failed" | "missed" | "running" | "unknown";
  nextDeadline: string | null;
  schedule: string | null;
  /** Where the expectation comes from: "collector", "agent" or null (none: never alerted). */
  expectation: "collector" | "agent" | null;
  signal: string | null;
  runs: number;
  hint: string | null;
}

export function scheduleOf(policy: AlertPolicy, j: JobRecord): { schedule: JobSchedule | null; from: JobView["expectation"] } {
  const mine = policy.jobSchedule(j.host, j.job);
  if (mine !== undefined) return { schedule: mine, from: "collector" };
  const declared = j.declared ? policy.declaredSchedule(j.host, j.job, j.declared) : null;
  return { schedule: declared, from: declared ? "agent" : null };
}

export function jobsView(store: Store, policy: AlertPolicy, now: number, hostId?: number): JobView[] {
  return store.jobs.list(hostId).map((j) => {
    const { schedule, from } = scheduleOf(policy, j);
    const v = evaluateJob({
      schedule, windowStartMs: j.windowStart, lastStartMs: j.lastStart, lastEndMs: j.lastEnd, lastExitCode: j.lastExitCode,
      lastSignal: j.lastSignal, runningSinceMs: j.runningSince, lastOkEndMs: j.lastOkEnd,
    }, now);
    return {
      host: j.host, job: j.job, lastResult: j.lastResult, exitCode: j.lastExitCode, lastStart: iso(j.lastStart), lastEnd: iso(j.lastEnd), lastSuccess: iso(j.lastOkEnd),
      durationMs: j.lastResult === "running" ? null : j.lastDurationMs, state: v.state, nextDeadline: iso(v.nextDeadlineMs),
      schedule: schedule ? describeSchedule(schedule) : null, expectation: from, signal: j.lastSignal, runs: j.runs,
      hint: schedule ? null : `no expectation: add [[jobs]] host = "${j.host}", job = "${j.job}", every = "24h" to the collector config (or declare it in the agent's) to be alerted when it fails or does not run`,
    };
  });
}
