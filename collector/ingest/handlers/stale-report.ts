import type { StaleReport } from "../../../proto/types.js";
import type { HandlerContext } from "./index.js";

/** Replaces the host's stale-library findings and kernel status with the report. */
export function handleStaleReport(ctx: HandlerContext, value: StaleReport): void {
  ctx.store.findings.replace(ctx.hostId, value, ctx.now);
}
