import { describe, expect, it } from "vitest";
import { SourceRateLimiter, sourceKey } from "../../../collector/stun/rate-limit.js";

describe("SourceRateLimiter", () => {
  it("allows a burst, then refills at the configured rate (clock injected)", () => {
    const l = new SourceRateLimiter({ burst: 3, perSecond: 2, maxSources: 10 });
    const results = [0, 0, 0, 0].map(() => l.take("a", 1000));
    expect(results).toEqual([true, true, true, false]);
    expect(l.take("b", 1000)).toBe(true); // other sources are not affected
    expect(l.take("a", 1400)).toBe(false); // 0.8 tokens
    expect(l.take("a", 1500)).toBe(true); // 1 token after 500 ms
    expect(l.take("a", 1500)).toBe(false);
    expect(l.take("a", 100_000)).toBe(true); // capped at the burst
    expect(l.take("a", 100_000)).toBe(true);
    expect(l.take("a", 100_000)).toBe(true);
    expect(l.take("a", 100_000)).toBe(false);
  });

  it("bounds its table, forgetting idle sources first", () => {
    const l = new SourceRateLimiter({ burst: 1, perSecond: 1, maxSources: 100 });
    for (let i = 0; i < 1000; i++) l.take(`s${i}`, 0);
    expect(l.size).toBeLessThanOrEqual(100);
  });

  it("keys IPv6 sources by /64", () => {
    expect(sourceKey("2001:db8:1:2::5")).toBe(sourceKey("2001:db8:1:2:ffff::9"));
    expect(sourceKey("2001:db8:1:2::5")).not.toBe(sourceKey("2001:db8:1:3::5"));
    expect(sourceKey("192.0.2.1")).toBe("192.0.2.1");
  });
});
