// The IPC messages between the ingest benchmark and its load-generator processes.
import type { IdStyle } from "./event-ids.js";
import type { EventKind } from "./sim-agent.js";
import type { BenchHost } from "./tokens.js";

export type ToIngestWorker =
  | { type: "setup"; url: string; hosts: BenchHost[]; eventsPerAgent: number; kind: EventKind; ids: IdStyle; heartbeatMs: number; localAddress?: string }
  | { type: "events"; window: number }
  | { type: "heartbeats"; durationMs: number; perRound: number }
  | { type: "close" };

export interface HistogramJson {
  counts: number[];
  maxMs: number;
}

export type FromIngestWorker =
  | { type: "ready"; connectMs: number }
  | { type: "events-done"; startMs: number; endMs: number; acked: number; latency: HistogramJson; throttles: number; rejects: number; heartbeatsSent: number }
  | { type: "heartbeats-done"; startMs: number; endMs: number; heartbeats: number; barriers: number; throttles: number }
  | { type: "error"; message: string }
  | { type: "closed" };
