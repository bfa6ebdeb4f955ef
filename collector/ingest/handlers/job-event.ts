import type { JobEvent } from "../../../proto/types.js";
import type { HandlerContext } from "./index.js";

/** Records the start or end of a job run. */
export function handleJobEvent(ctx: HandlerContext, value: JobEvent): void {
  ctx.store.jobs.apply(ctx.hostId, value, ctx.now);
}
