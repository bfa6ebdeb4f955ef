import type { StaleReport } from "../../../proto/types.js";
import type { HandlerContext } from "./index.js";

/** Applies a staleReport event to the derived state. */
export function handleStaleReport(_ctx: HandlerContext, _value: StaleReport): void {
  // The raw event is stored by the committer; derived state for this kind lands with its feature.
}
