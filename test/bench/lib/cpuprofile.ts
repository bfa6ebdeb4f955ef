// Reads a V8 .cpuprofile (written by `node --cpu-prof`) and says where the time went: self time
// by function and by area (SQLite, ws, protobuf, logging, GC, ...), and inclusive time of the
// collector's own functions.
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileLine {
  name: string;
  ms: number;
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Busy time: everything but (idle). */
  busyMs: number;
  topSelf: ProfileLine[];
  byArea: ProfileLine[];
  /** Inclusive time of functions in dist/collector and dist/proto. */
  topOwnInclusive: ProfileLine[];
}

/** Where a frame's code lives, for the by-area table. */
export function areaOf(url: string, fn: string): string {
  if (fn === "(idle)") return "idle (waiting for I/O)";
  if (fn === "(garbage collector)") return "garbage collector";
  if (fn === "(program)") return "V8/native, not attributed (program)";
  if (url.includes("better-sqlite3")) return "better-sqlite3 (JS wrapper)";
  if (url === "" && ["run", "get", "all", "iterate", "exec", "pragma", "prepare"].includes(fn)) return "SQLite (native statement calls)";
  if (url.includes("node_modules/ws/")) return "ws (WebSocket framing)";
  if (url.includes("node_modules/protobufjs/") || url.includes("/proto/gen/")) return "protobuf (generated code + runtime)";
  if (url.includes("/proto/")) return "proto/ (codec, validation)";
  if (url.includes("pino") || url.includes("sonic-boom")) return "logging (pino)";
  if (url.includes("/collector/ingest/")) return "collector/ingest";
  if (url.includes("/collector/store/")) return "collector/store";
  if (url.includes("/collector/")) return "collector (other)";
  if (url.startsWith("node:")) return "node core (net, streams, timers, ...)";
  if (url === "") return `native: ${fn || "(anonymous)"}`;
  return "other";
}

export function summarizeProfile(file: string, top = 15): ProfileSummary {
  const p = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  // timeDeltas[i] is the time before sample i; attribute to each sample the time until the next one.
  for (let i = 0; i < p.samples.length; i++) {
    const dt = (p.timeDeltas[i + 1] ?? 0) / 1000;
    self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + dt);
  }
  const totalMs = [...self.values()].reduce((a, b) => a + b, 0);
  const key = (n: ProfileNode) => {
    const f = n.callFrame;
    const file = f.url.replace(/^file:\/\//, "").replace(/^.*\/(dist|node_modules)\//, "$1/");
    return f.url ? `${f.functionName || "(anonymous)"} ${file}:${f.lineNumber + 1}` : f.functionName || "(anonymous)";
  };

  const selfByKey = new Map<string, number>();
  const area = new Map<string, number>();
  for (const [id, ms] of self) {
    const n = byId.get(id)!;
    selfByKey.set(key(n), (selfByKey.get(key(n)) ?? 0) + ms);
    const a = areaOf(n.callFrame.url, n.callFrame.functionName);
    area.set(a, (area.get(a) ?? 0) + ms);
  }
  const idle = area.get("idle (waiting for I/O)") ?? 0;

  // Inclusive time per function, counted once per stack even when it recurses.
  const total = new Map<number, number>();
  const totalOf = (id: number): number => {
    const cached = total.get(id);
    if (cached !== undefined) return cached;
    const n = byId.get(id)!;
    let t = self.get(id) ?? 0;
    for (const c of n.children ?? []) t += totalOf(c);
    total.set(id, t);
    return t;
  };
  const inclusive = new Map<string, number>();
  const onStack = new Map<string, number>();
  const root = p.nodes[0]!;
  const walk = (id: number) => {
    const n = byId.get(id)!;
    const k = key(n);
    const own = /\/dist\/(collector|proto)\//.test(n.callFrame.url) && !n.callFrame.url.includes("/proto/gen/");
    if (own && !onStack.get(k)) inclusive.set(k, (inclusive.get(k) ?? 0) + totalOf(id));
    onStack.set(k, (onStack.get(k) ?? 0) + 1);
    for (const c of n.children ?? []) walk(c);
    onStack.set(k, onStack.get(k)! - 1);
  };
  walk(root.id);

  const lines = (m: Map<string, number>, base: number, n: number): ProfileLine[] =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([name, ms]) => ({ name, ms, share: base > 0 ? ms / base : 0 }));
  return {
    totalMs,
    busyMs: totalMs - idle,
    topSelf: lines(new Map([...selfByKey].filter(([k]) => k !== "(idle)")), totalMs - idle, top),
    byArea: lines(area, totalMs, 30),
    topOwnInclusive: lines(inclusive, totalMs - idle, top),
  };
}
