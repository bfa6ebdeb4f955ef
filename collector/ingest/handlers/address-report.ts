import type { AddressReport } from "../../../proto/types.js";
import type { HandlerContext } from "./index.js";

/**
 * Records the addresses the agent accepted after cross-checking its sources (one per family).
 * Single-source observations and disagreements are kept in the raw event only.
 */
export function handleAddressReport(ctx: HandlerContext, value: AddressReport): void {
  for (const a of value.accepted) {
    for (const source of a.sources.length ? a.sources : ["agent"]) {
      ctx.observeAddress(a.family, a.address, source);
    }
  }
}
