import { describe, expect, it } from "vitest";
import { newEventId } from "../../../agent/event-id.js";

describe("event ids (UUIDv7 layout)", () => {
  it("are RFC 9562 version 7 UUIDs carrying the time", () => {
    const t = Date.UTC(2026, 10, 27, 12, 0, 0);
    const id = newEventId(t);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.replace(/-/g, "").slice(0, 12), 16)).toBe(t);
  });

  it("sort by time and do not repeat", () => {
    const ids = Array.from({ length: 1000 }, (_, i) => newEventId(1_800_000_000_000 + i));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(Array.from({ length: 10_000 }, () => newEventId(1)))).toHaveProperty("size", 10_000);
  });
});
