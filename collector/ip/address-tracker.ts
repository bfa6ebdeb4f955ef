// Every address observation of a host goes through here: the history of periods in the store,
// and on a change of the current address, the optional change notice and on-change hook.
import { addressFamily, normalizeAddress } from "../../proto/ip.js";
import type { Store } from "../store/store.js";

export interface AddressChangeListener {
  /** The current address of a family changed (not the first one ever seen). */
  changed(hostId: number, family: 4 | 6, previous: string, current: string, source: string, at: number): void;
}

export class AddressTracker {
  constructor(private readonly store: Store, private readonly listener: AddressChangeListener) {}

  /** Must run inside the caller's transaction when the observation comes with other state. */
  observe(hostId: number, family: 4 | 6, address: string, source: string, at: number): void {
    const a = normalizeAddress(address);
    if (a === null || addressFamily(a) !== family) return;
    const change = this.store.addresses.observe(hostId, family, a, source, at);
    if (change && change.previous !== null) this.listener.changed(hostId, family, change.previous, change.current, source, at);
  }
}
