import type { JobEvent } from "../../../proto/types.js";
import type { HandlerContext } from "./index.js";

/** Applies a jobEvent event to the derived state. */
export function handleJobEvent(_ctx: HandlerContext, _value: JobEvent): void {
  // The raw event is stored by the committer; derived state for this kind lands with its feature.
}
