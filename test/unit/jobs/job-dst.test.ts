// A daily "30 2 * * *" job in Europe/Berlin across both DST changes of 2026. A fake clock walks
// minute by minute over four nights while the job runs once on each real local day, the way the
// cron daemons and systemd place it; the job must never be judged missed. Skipping a day must be.
import { describe, expect, it } from "vitest";
import type { JobRuleInput } from "../../../collector/rules/job-schedule.js";
import { evaluateJob, nextScheduledAfter, parseExpectation } from "../../../collector/rules/job-schedule.js";

const M = 60_000;
const schedule = parseExpectation({ cron: "30 2 * * *", timezone: "Europe/Berlin", grace: "15m" }, "test");

interface Run { start: number; end: number }
const at = (iso: string): number => Date.parse(iso);
/** A 10-minute run starting at `iso`. */
const run = (iso: string): Run => ({ start: at(iso), end: at(iso) + 10 * M });

/** Walks from `from` to `to` a minute at a time; returns the instants judged missed. */
function walk(runs: Run[], from: number, to: number): string[] {
  const missed: string[] = [];
  for (let now = from; now <= to; now += M) {
    const finished = runs.filter((r) => r.end <= now);
    const last = finished[finished.length - 1];
    const running = runs.find((r) => r.start <= now && now < r.end);
    const facts: JobRuleInput = {
      schedule, windowStartMs: from,
      lastStartMs: last?.start ?? null, lastEndMs: last?.end ?? null, lastExitCode: last ? 0 : null, lastSignal: "",
      runningSinceMs: running?.start ?? null, lastOkEndMs: last?.end ?? null,
    };
    const v = evaluateJob(facts, now);
    if (v.problems.missed) missed.push(new Date(now).toISOString());
  }
  return missed;
}

describe("DST, spring forward 2026-03-29 (02:00 CET -> 03:00 CEST, 02:30 does not exist)", () => {
  const before = [run("2026-03-27T01:30:00Z"), run("2026-03-28T01:30:00Z")]; // 02:30 CET
  const after = [run("2026-03-30T00:30:00Z"), run("2026-03-31T00:30:00Z")]; // 02:30 CEST
  const from = at("2026-03-27T00:00:00Z");
  const to = at("2026-03-31T06:00:00Z");

  it("expects the run right after the jump (03:00 CEST), as cron does", () => {
    expect(nextScheduledAfter(schedule, at("2026-03-28T01:40:00Z"))).toBe(at("2026-03-29T01:00:00Z"));
  });

  it("cron runs it at 03:00 CEST: never missed", () => {
    expect(walk([...before, run("2026-03-29T01:00:00Z"), ...after], from, to)).toEqual([]);
  });

  it("mktime() normalises 02:30 to 03:30 CEST: never missed", () => {
    expect(walk([...before, run("2026-03-29T01:30:00Z"), ...after], from, to)).toEqual([]);
  });

  it("a day without a run is missed (the check can fail)", () => {
    const missed = walk([...before, ...after], from, to);
    expect(missed[0]).toBe("2026-03-29T02:15:00.000Z"); // 03:00 CEST + 15m grace + 1h slack
  });
});

describe("DST, fall back 2026-10-25 (03:00 CEST -> 02:00 CET, 02:30 happens twice)", () => {
  const before = [run("2026-10-23T00:30:00Z"), run("2026-10-24T00:30:00Z")]; // 02:30 CEST
  const after = [run("2026-10-26T01:30:00Z"), run("2026-10-27T01:30:00Z")]; // 02:30 CET
  const from = at("2026-10-23T00:00:00Z");
  const to = at("2026-10-27T06:00:00Z");

  it("expects one run on the day, at the first 02:30", () => {
    expect(nextScheduledAfter(schedule, at("2026-10-24T00:40:00Z"))).toBe(at("2026-10-25T00:30:00Z"));
    // After it ran, the second 02:30 is not expected again.
    expect(nextScheduledAfter(schedule, at("2026-10-25T00:40:00Z"))).toBe(at("2026-10-26T01:30:00Z"));
  });

  it("run on the first 02:30 (cron's choice): never missed", () => {
    expect(walk([...before, run("2026-10-25T00:30:00Z"), ...after], from, to)).toEqual([]);
  });

  it("run on the second 02:30: never missed", () => {
    expect(walk([...before, run("2026-10-25T01:30:00Z"), ...after], from, to)).toEqual([]);
  });

  it("a day without a run is missed (the check can fail)", () => {
    const missed = walk([...before, ...after], from, to);
    expect(missed[0]).toBe("2026-10-25T01:45:00.000Z"); // first 02:30 + 15m grace + 1h slack
  });
});

describe("DST does not stretch ordinary days", () => {
  it("a run 20 minutes late on a normal day is missed after the 15m grace", () => {
    const runs = [run("2026-06-01T00:30:00Z"), run("2026-06-02T00:50:00Z")];
    const missed = walk(runs, at("2026-06-01T00:00:00Z"), at("2026-06-02T02:00:00Z"));
    expect(missed[0]).toBe("2026-06-02T00:45:00.000Z");
  });
});
