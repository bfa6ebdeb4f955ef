// The IPC messages between the connections benchmark and its client processes.
import type { HistogramJson } from "./ingest-messages.js";
import type { BenchHost } from "./tokens.js";

export type ToConnWorker =
  | { type: "setup"; url: string; hosts: BenchHost[]; localAddress: string; heartbeatMs: number; concurrency: number }
  /** Connect this worker's agents until `upTo` of them are connected. */
  | { type: "connect"; upTo: number }
  | { type: "reset" }
  | { type: "stats" }
  | { type: "close" };

export type FromConnWorker =
  | { type: "connected"; connected: number; ms: number; failed: number; firstFailures: string[] }
  | { type: "stats"; lag: HistogramJson; heartbeats: number; unansweredPings: number; open: number; dropped: number; droppedReasons: string[] }
  | { type: "error"; message: string }
  | { type: "closed" };
