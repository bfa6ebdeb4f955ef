import type { AddressReport } from "../../../proto/types.js";
import type { HandlerContext } from "./index.js";

/** Applies a addressReport event to the derived state. */
export function handleAddressReport(_ctx: HandlerContext, _value: AddressReport): void {
  // The raw event is stored by the committer; derived state for this kind lands with its feature.
}
