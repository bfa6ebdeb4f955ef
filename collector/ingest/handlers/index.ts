// One handler per spooled message kind. Each applies an event to the derived state inside the
// committer's transaction. Handlers must be synchronous and must not do network I/O.
import type { AgentBodies } from "../../../proto/types.js";
import type { Store } from "../../store/store.js";
import { handleAddressReport } from "./address-report.js";
import { handleJobEvent } from "./job-event.js";
import { handleStaleReport } from "./stale-report.js";

export interface HandlerContext {
  readonly store: Store;
  readonly hostId: number;
  readonly hostName: string;
  readonly seq: number;
  readonly eventId: string;
  readonly sentAtMs: number;
  readonly now: number;
  /** Records an address observation for the host (history, change notice, on-change hook). */
  observeAddress(family: 4 | 6, address: string, source: string): void;
}

export type SpooledKind = "staleReport" | "jobEvent" | "addressReport";
export type Handler<K extends SpooledKind> = (ctx: HandlerContext, value: AgentBodies[K]) => void;

export const HANDLERS: { readonly [K in SpooledKind]: Handler<K> } = {
  staleReport: handleStaleReport,
  jobEvent: handleJobEvent,
  addressReport: handleAddressReport,
};

export function isSpooledKind(kind: string): kind is SpooledKind {
  return Object.hasOwn(HANDLERS, kind);
}
