import { describe, expect, it } from "vitest";
import { readDuration as parseDuration } from "../../../proto/duration.js";
import { DurationError } from "../../../proto/errors.js";

describe("parseDuration", () => {
  it.each([
    ["90s", 90_000],
    ["30m", 1_800_000],
    ["24h", 86_400_000],
    ["1d", 86_400_000],
    ["1w", 604_800_000],
    ["1h30m", 5_400_000],
    ["1d2h3m4s5ms", 93_784_005],
    ["250ms", 250],
    ["1m30s", 90_000],
    ["1.5h", 5_400_000],
    ["0s", 0],
  ])("%s is %d ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    ["", "is empty"],
    ["3600", "has no unit"],
    ["1h 30m", "cannot be read"],
    [" 1h", "cannot be read"],
    ["30m1h", "out of order"],
    ["1h1h", "out of order"],
    ["1y", "cannot be read"],
    ["-5m", "cannot be read"],
    ["1.h", "cannot be read"],
    ["h", "cannot be read"],
    ["401d", "longer than 400d"],
  ])("refuses %j (%s)", (text, why) => {
    let caught: unknown;
    try {
      parseDuration(text);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DurationError);
    expect((caught as DurationError).code).toBe("LASTSEEN_ERR_DURATION");
    expect((caught as DurationError).message).toContain(why);
    expect((caught as DurationError).message).toContain(JSON.stringify(text));
  });
});
