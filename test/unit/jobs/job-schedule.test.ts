import { describe, expect, it } from "vitest";
import {
  DEFAULT_GRACE_MS, describeSchedule, dstSlackMs, nextScheduledAfter, parseExpectation, parseWireExpectation,
} from "../../../collector/rules/job-schedule.js";
import { ScheduleError } from "../../../collector/rules/schedule-error.js";

const WHERE = 'collector.toml [[jobs]] #1 (host "home", job "backup")';

function failure(fn: () => unknown): ScheduleError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ScheduleError);
    return err as ScheduleError;
  }
  throw new Error("expected a ScheduleError");
}

describe("parseExpectation", () => {
  it("reads an every schedule with defaults", () => {
    expect(parseExpectation({ every: "24h" }, WHERE)).toEqual({ kind: "every", everyMs: 86_400_000, graceMs: DEFAULT_GRACE_MS, maxRuntimeMs: null });
  });

  it("reads a cron schedule with zone, grace and max runtime", () => {
    const s = parseExpectation({ cron: "30 2 * * *", timezone: "Europe/Berlin", grace: "30m", max_runtime: "2h" }, WHERE);
    expect(s).toEqual({ kind: "cron", cron: "30 2 * * *", timezone: "Europe/Berlin", graceMs: 1_800_000, maxRuntimeMs: 7_200_000 });
    expect(describeSchedule(s)).toBe("cron 30 2 * * * (Europe/Berlin), grace 30m, max 2h");
  });

  it("treats empty strings as absent (the wire's defaults)", () => {
    const s = parseWireExpectation({ job: "b", every: "1h", cron: "", timezone: "", grace: "", maxRuntime: "45m" }, "hello from home");
    expect(s).toEqual({ kind: "every", everyMs: 3_600_000, graceMs: DEFAULT_GRACE_MS, maxRuntimeMs: 2_700_000 });
  });

  it.each([
    [{}, "every", "give \"every\""],
    [{ every: "1h", cron: "0 * * * *", timezone: "UTC" }, "cron", "not both"],
    [{ every: "soon" }, "every", "duration \"soon\""],
    [{ every: "500ms" }, "every", "shorter than 1s"],
    [{ every: "1h", timezone: "UTC" }, "timezone", "only applies to \"cron\""],
    [{ every: "1h", grace: "1 hour" }, "grace", "duration \"1 hour\""],
    [{ every: "1h", max_runtime: "0s" }, "max_runtime", "longer than 0s"],
    [{ every: 3600 }, "every", "must be a text"],
    [{ cron: "30 2 * * *" }, "timezone", "is required"],
    [{ cron: "30 2 * * *", timezone: "Europe/Berlln" }, "timezone", "unknown time zone \"Europe/Berlln\""],
    [{ cron: "61 2 * * *", timezone: "UTC" }, "cron", "not a cron expression"],
    [{ cron: "every day", timezone: "UTC" }, "cron", "not a cron expression"],
    [{ cron: "0 0 30 2 *", timezone: "UTC" }, "cron", "never matches"],
  ])("refuses %j, naming key %s", (e, key, why) => {
    const err = failure(() => parseExpectation(e, WHERE));
    expect(err.key).toBe(key);
    expect(err.where).toBe(WHERE);
    expect(err.message).toContain(WHERE);
    expect(err.message).toContain(`key "${key}"`);
    expect(err.message).toContain(why);
    expect(["LASTSEEN_ERR_JOB_SCHEDULE", "LASTSEEN_ERR_DURATION"]).toContain(err.code);
  });
});

describe("nextScheduledAfter", () => {
  it("is strictly after the reference for cron", () => {
    const s = parseExpectation({ cron: "0 3 * * *", timezone: "UTC" }, WHERE);
    expect(nextScheduledAfter(s, Date.parse("2026-05-01T03:00:00Z"))).toBe(Date.parse("2026-05-02T03:00:00Z"));
    expect(nextScheduledAfter(s, Date.parse("2026-05-01T02:59:59.999Z"))).toBe(Date.parse("2026-05-01T03:00:00Z"));
  });

  it("reads the pattern in the given zone", () => {
    const s = parseExpectation({ cron: "0 3 * * *", timezone: "America/New_York" }, WHERE);
    expect(nextScheduledAfter(s, Date.parse("2026-07-01T00:00:00Z"))).toBe(Date.parse("2026-07-01T07:00:00Z"));
    expect(nextScheduledAfter(s, Date.parse("2026-12-01T00:00:00Z"))).toBe(Date.parse("2026-12-01T08:00:00Z"));
  });

  it("adds the interval for every", () => {
    const s = parseExpectation({ every: "6h" }, WHERE);
    expect(nextScheduledAfter(s, 1_000)).toBe(1_000 + 6 * 3_600_000);
  });
});

describe("dstSlackMs", () => {
  it("is the size of an offset change within 3 hours, else 0", () => {
    expect(dstSlackMs("Europe/Berlin", Date.parse("2026-03-29T01:00:00Z"))).toBe(3_600_000);
    expect(dstSlackMs("Europe/Berlin", Date.parse("2026-10-25T00:30:00Z"))).toBe(3_600_000);
    expect(dstSlackMs("Europe/Berlin", Date.parse("2026-03-30T00:30:00Z"))).toBe(0);
    expect(dstSlackMs("UTC", Date.parse("2026-03-29T01:00:00Z"))).toBe(0);
    // Lord Howe Island moves by 30 minutes (first Sunday of April 2026, 02:00 local = 15:00 UTC the day before).
    expect(dstSlackMs("Australia/Lord_Howe", Date.parse("2026-04-04T15:00:00Z"))).toBe(1_800_000);
  });
});
