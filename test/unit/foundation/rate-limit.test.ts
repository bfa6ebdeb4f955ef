// The collector's per-connection token bucket (pure: time is passed in). Frames that were already
// on the wire are read even while the peer should wait, so the bucket must count them as debt:
// otherwise a peer that pipelines small frames is never held to the rate.
import { describe, expect, it } from "vitest";
import { TokenBucket } from "../../../collector/ingest/rate-limit.js";

describe("TokenBucket", () => {
  it("allows the burst, then asks to wait for the next token", () => {
    const b = new TokenBucket(100, 10, 0);
    for (let i = 0; i < 10; i++) expect(b.take(0)).toBe(0);
    expect(b.take(0)).toBe(10);
  });

  it("refills at the rate, never beyond the burst", () => {
    const b = new TokenBucket(100, 10, 0);
    for (let i = 0; i < 10; i++) b.take(0);
    expect(b.take(1000)).toBe(0); // 1 s later: full again (10), not 100
    for (let i = 0; i < 9; i++) expect(b.take(1000)).toBe(0);
    expect(b.take(1000)).toBeGreaterThan(0);
  });

  it("counts frames read while the peer should wait: the wait pays back the whole debt", () => {
    const b = new TokenBucket(100, 10, 0);
    let wait = 0;
    for (let i = 0; i < 1000; i++) wait = b.take(0);
    // 990 frames beyond the burst at 100 per second: 9.9 s of debt.
    expect(wait).toBe(9900);
    // Half-way through, half the debt is left; after it, one frame is allowed again.
    expect(b.take(4950)).toBe(4960);
    expect(b.take(9920)).toBe(0);
  });

  it("the average rate over a long firehose stays at the limit", () => {
    const b = new TokenBucket(50, 5, 0);
    // A peer that sends 20 frames every 10 ms for 10 s, obeying nothing.
    let now = 0;
    let maxWait = 0;
    for (; now < 10_000; now += 10) for (let i = 0; i < 20; i++) maxWait = Math.max(maxWait, b.take(now));
    // 20,000 frames at 50/s is 400 s of debt: the collector will hold this peer that long in total.
    expect(b.take(now)).toBeGreaterThan(380_000);
    expect(maxWait).toBeGreaterThan(380_000);
  });

  it("a clock that steps back does not mint tokens", () => {
    const b = new TokenBucket(10, 1, 10_000);
    expect(b.take(10_000)).toBe(0);
    expect(b.take(5_000)).toBeGreaterThan(0);
  });
});

describe("TokenBucket.waitMs", () => {
  it("tells the debt left without taking a token", () => {
    const b = new TokenBucket(100, 10, 0);
    for (let i = 0; i < 60; i++) b.take(0);
    expect(b.waitMs(0)).toBe(500);
    expect(b.waitMs(0)).toBe(500);
    expect(b.waitMs(250)).toBe(250);
    expect(b.waitMs(500)).toBe(0);
    expect(b.take(500)).toBe(10);
  });
});
