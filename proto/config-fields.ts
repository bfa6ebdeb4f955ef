// zod field types shared by both ends' config schemas.
import { z } from "zod";
import { parseDuration } from "./duration.js";

/** A duration written as text ("90s", "1h30m"), parsed to milliseconds. */
export function duration(opts: { min?: number; max?: number } = {}) {
  return z.union([z.string(), z.number()]).transform((v, ctx) => {
    const ms = typeof v === "number" ? v : parseDuration(v);
    if (ms === null) {
      ctx.addIssue({ code: "custom", message: `"${v}" is not a duration (use e.g. "90s", "30m", "24h", "1h30m")` });
      return z.NEVER;
    }
    if (opts.min !== undefined && ms < opts.min) {
      ctx.addIssue({ code: "custom", message: `${v} is shorter than the minimum of ${opts.min} ms` });
      return z.NEVER;
    }
    if (opts.max !== undefined && ms > opts.max) {
      ctx.addIssue({ code: "custom", message: `${v} is longer than the maximum of ${opts.max} ms` });
      return z.NEVER;
    }
    return ms;
  });
}

/** A byte size: a number or "64MiB", "512KiB", "1GiB", "10MB". */
export function byteSize() {
  return z.union([z.string(), z.number().int().positive()]).transform((v, ctx) => {
    if (typeof v === "number") return v;
    const m = /^(\d+(?:\.\d+)?)\s*(B|KB|KiB|MB|MiB|GB|GiB)?$/i.exec(v.trim());
    if (!m) {
      ctx.addIssue({ code: "custom", message: `"${v}" is not a size (use e.g. "64MiB")` });
      return z.NEVER;
    }
    const mult: Record<string, number> = { b: 1, kb: 1e3, kib: 1024, mb: 1e6, mib: 1024 ** 2, gb: 1e9, gib: 1024 ** 3 };
    return Math.round(Number(m[1]) * mult[(m[2] ?? "b").toLowerCase()]!);
  });
}

/** "host:port", "[::1]:port" or ":port"; port 0 picks a free port. */
export function listenAddress() {
  return z.string().transform((v, ctx) => {
    const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(v.trim());
    const port = m ? Number(m[3]) : NaN;
    if (!m || port > 65535) {
      ctx.addIssue({ code: "custom", message: `"${v}" is not host:port (e.g. "127.0.0.1:7070", "[::]:7070")` });
      return z.NEVER;
    }
    return { host: m[1] ?? (m[2] || "0.0.0.0"), port };
  });
}
