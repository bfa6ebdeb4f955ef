import { describe, expect, it } from "vitest";
import type { JobRuleInput, JobSchedule } from "../../../collector/rules/job-schedule.js";
import { evaluateJob, parseExpectation } from "../../../collector/rules/job-schedule.js";

const H = 3_600_000;
const M = 60_000;
const T0 = Date.parse("2026-06-01T00:00:00Z");

const daily: JobSchedule = parseExpectation({ every: "24h", grace: "1h" }, "test");
const dailyMax: JobSchedule = parseExpectation({ every: "24h", grace: "1h", max_runtime: "3h" }, "test");

function input(over: Partial<JobRuleInput>): JobRuleInput {
  return {
    schedule: daily, windowStartMs: T0, lastStartMs: null, lastEndMs: null, lastExitCode: null, lastSignal: null,
    runningSinceMs: null, lastOkEndMs: null, ...over,
  };
}
const ok = (start: number, end: number): Partial<JobRuleInput> => ({ lastStartMs: start, lastEndMs: end, lastExitCode: 0, lastSignal: "", lastOkEndMs: end });

describe("evaluateJob without an expectation", () => {
  it("is unknown before any run and never missed", () => {
    const v = evaluateJob(input({ schedule: null }), T0 + 1000 * H);
    expect(v).toEqual({ state: "unknown", problems: { failed: false, missed: false, tooLong: false }, nextCheckAtMs: null, nextDeadlineMs: null });
  });

  it("follows the last result only", () => {
    expect(evaluateJob(input({ schedule: null, ...ok(T0, T0 + M) }), T0 + 1000 * H).state).toBe("ok");
    const failed = evaluateJob(input({ schedule: null, lastStartMs: T0, lastEndMs: T0 + M, lastExitCode: 3, lastSignal: "", lastOkEndMs: null }), T0 + 1000 * H);
    expect(failed.state).toBe("failed");
    expect(failed.problems).toEqual({ failed: true, missed: false, tooLong: false });
    expect(evaluateJob(input({ schedule: null, runningSinceMs: T0 }), T0 + 1000 * H).state).toBe("running");
  });
});

describe("evaluateJob, every 24h grace 1h", () => {
  it("gives the first window from windowStart, then is missed exactly at its deadline", () => {
    const deadline = T0 + 25 * H;
    const before = evaluateJob(input({}), deadline - 1);
    expect(before.state).toBe("unknown");
    expect(before.problems.missed).toBe(false);
    expect(before.nextCheckAtMs).toBe(deadline);
    expect(before.nextDeadlineMs).toBe(deadline);
    const at = evaluateJob(input({}), deadline);
    expect(at.state).toBe("missed");
    expect(at.problems).toEqual({ failed: false, missed: true, tooLong: false });
    expect(at.nextCheckAtMs).toBeNull();
  });

  it("moves the deadline to the last ok end + 24h + grace", () => {
    const end = T0 + 10 * H;
    const facts = input(ok(T0 + 9 * H, end));
    expect(evaluateJob(facts, end + 25 * H - 1)).toMatchObject({ state: "ok", nextCheckAtMs: end + 25 * H });
    expect(evaluateJob(facts, end + 25 * H).state).toBe("missed");
  });

  it("judges a failed run as failed, not also missed at the deadline it answered", () => {
    const failedRun = { lastStartMs: T0 + 24 * H, lastEndMs: T0 + 24 * H + 10 * M, lastExitCode: 2, lastSignal: "", lastOkEndMs: null };
    const v = evaluateJob(input(failedRun), T0 + 25 * H + 30 * M);
    expect(v.state).toBe("failed");
    expect(v.problems).toEqual({ failed: true, missed: false, tooLong: false });
    // ... but when nothing at all runs by the following deadline, it is missed as well.
    const next = failedRun.lastEndMs + 25 * H;
    expect(v.nextCheckAtMs).toBe(next);
    const later = evaluateJob(input(failedRun), next);
    expect(later.state).toBe("missed");
    expect(later.problems).toEqual({ failed: true, missed: true, tooLong: false });
  });

  it("counts a death by signal as failed", () => {
    const v = evaluateJob(input({ lastStartMs: T0, lastEndMs: T0 + M, lastExitCode: null, lastSignal: "SIGKILL", lastOkEndMs: null }), T0 + 2 * M);
    expect(v.problems.failed).toBe(true);
  });

  it("recovers: an ok run after a failure clears failed and missed", () => {
    const recovered = evaluateJob(input({ ...ok(T0 + 50 * H, T0 + 50 * H + M) }), T0 + 51 * H);
    expect(recovered.state).toBe("ok");
    expect(recovered.problems).toEqual({ failed: false, missed: false, tooLong: false });
  });

  it("holds a run that started in time while it runs (no max runtime: until the deadline after its start)", () => {
    const start = T0 + 24 * H;
    const facts = input({ runningSinceMs: start });
    const during = evaluateJob(facts, T0 + 30 * H);
    expect(during.state).toBe("running");
    expect(during.problems.missed).toBe(false);
    expect(during.nextDeadlineMs).toBe(start + 25 * H);
    expect(evaluateJob(facts, start + 25 * H).problems.missed).toBe(true);
  });

  it("with max runtime, a held run becomes tooLong, never missed", () => {
    const start = T0 + 24 * H + 30 * M;
    const facts = input({ schedule: dailyMax, runningSinceMs: start });
    const before = evaluateJob(facts, start + 3 * H - 1);
    expect(before).toMatchObject({ state: "running", problems: { failed: false, missed: false, tooLong: false }, nextCheckAtMs: start + 3 * H, nextDeadlineMs: null });
    const after = evaluateJob(facts, start + 3 * H);
    expect(after).toMatchObject({ state: "running", problems: { failed: false, missed: false, tooLong: true }, nextCheckAtMs: null });
    expect(evaluateJob(facts, start + 100 * H).problems).toEqual({ failed: false, missed: false, tooLong: true });
  });

  it("a run that starts after the job was missed keeps it missed until it ends", () => {
    const start = T0 + 26 * H;
    const v = evaluateJob(input({ schedule: dailyMax, runningSinceMs: start }), start + M);
    expect(v.state).toBe("missed");
    expect(v.problems).toEqual({ failed: false, missed: true, tooLong: false });
    expect(v.nextCheckAtMs).toBe(start + 3 * H);
  });

  it("ignores an abandoned start older than the newest finished run", () => {
    const v = evaluateJob(input({ ...ok(T0 + 2 * H, T0 + 3 * H), runningSinceMs: T0 + H }), T0 + 4 * H);
    expect(v.state).toBe("ok");
  });

  it("a failed run then a retry in progress stays failed", () => {
    const v = evaluateJob(input({ lastStartMs: T0, lastEndMs: T0 + M, lastExitCode: 1, lastSignal: "", runningSinceMs: T0 + 2 * M }), T0 + 3 * M);
    expect(v.state).toBe("failed");
  });

  it("after the host was silent, the job gets its next window before it is judged", () => {
    // Last ok at T0; the host went silent and came back 48h later: the window restarts there.
    const facts = ok(T0 - H, T0);
    const back = T0 + 48 * H;
    expect(evaluateJob(input({ ...facts, windowStartMs: T0 }), back).problems.missed).toBe(true);
    const judged = evaluateJob(input({ ...facts, windowStartMs: back }), back + M);
    expect(judged.problems.missed).toBe(false);
    expect(judged.nextDeadlineMs).toBe(back + 25 * H);
  });
});

describe("evaluateJob, cron", () => {
  const nightly = parseExpectation({ cron: "0 3 * * *", timezone: "UTC", grace: "30m" }, "test");

  it("expects the first scheduled time after the last end and is missed at it + grace", () => {
    const end = Date.parse("2026-06-01T03:12:00Z");
    const facts = input({ schedule: nightly, ...ok(end - 12 * M, end) });
    const deadline = Date.parse("2026-06-02T03:30:00Z");
    expect(evaluateJob(facts, deadline - 1)).toMatchObject({ state: "ok", nextCheckAtMs: deadline, nextDeadlineMs: deadline });
    expect(evaluateJob(facts, deadline).state).toBe("missed");
  });

  it("a window that starts after today's run time waits for tomorrow's", () => {
    const windowStartMs = Date.parse("2026-06-01T10:00:00Z");
    const v = evaluateJob(input({ schedule: nightly, windowStartMs }), Date.parse("2026-06-01T23:00:00Z"));
    expect(v.state).toBe("unknown");
    expect(v.nextDeadlineMs).toBe(Date.parse("2026-06-02T03:30:00Z"));
  });
});
