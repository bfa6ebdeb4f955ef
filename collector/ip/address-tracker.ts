// Every address observation of a host goes through here: the feed's view, the choice of the
// current address (current-address.ts), the history of periods in the store, and on a change of the
// current address the listener (change notice, on-change hook).
import { addressFamily, normalizeAddress } from "../../proto/ip.js";
import type { Store } from "../store/store.js";
import { chooseCurrent, feedOf, observeView, sourceKind } from "./current-address.js";

export interface AddressChangeListener {
  /**
   * The current address of a family changed; `previous` is null for the first address the
   * collector learns for that host and family. Runs inside the observation's transaction.
   */
  changed(hostId: number, family: 4 | 6, previous: string | null, current: string, source: string, at: number): void;
}

export class AddressTracker {
  constructor(private readonly store: Store, private readonly listener: AddressChangeListener) {}

  /** Must run inside the caller's transaction when the observation comes with other state. */
  observe(hostId: number, family: 4 | 6, address: string, source: string, at: number): void {
    const a = normalizeAddress(address);
    if (a === null || addressFamily(a) !== family) return;
    const repo = this.store.addresses;
    const feed = feedOf(source);
    const kind = sourceKind(source);
    const views = repo.views(hostId, family);
    const view = observeView(views.find((v) => v.feed === feed) ?? null, feed, a, kind, at);
    repo.putView(hostId, family, view);
    const chosen = chooseCurrent([...views.filter((v) => v.feed !== feed), view])!;
    const latest = repo.latest(hostId, family);
    if (latest && latest.address === chosen.address) {
      // Only an observation of the current address extends its period; the other feed's
      // disagreeing address is kept in its view.
      if (a === chosen.address) repo.extend(latest, kind, at);
      return;
    }
    const by = a === chosen.address ? kind : chosen.sources.join(",");
    repo.start(hostId, family, chosen.address, chosen.sources, a === chosen.address ? kind : chosen.sources[chosen.sources.length - 1] ?? kind, at);
    this.listener.changed(hostId, family, latest?.address ?? null, chosen.address, by, at);
  }
}
