// `lastseen ip NAME`: the current address (IPv4 first when both are known, whatever is known
// otherwise) and the history of changes. Which address is current when the collector's view of the
// connection and the agent's own report disagree: collector/ip/current-address.ts.
import { CollectorError } from "../errors.js";
import type { HostRecord } from "../store/host-repo.js";
import type { Store } from "../store/store.js";
import { iso, type LiveState } from "./live.js";

export interface IpView {
  host: string;
  address: string;
  family: 4 | 6;
  seenAt: string;
  /** The source that last confirmed it. */
  source: string;
  /** Every source that confirmed it since it became current. */
  sources: string[];
  /**
   * What the other feed says when it disagrees (e.g. the connection comes over a VPN while the
   * agent's sources see the public address). Absent when they agree.
   */
  disagreement?: { feed: "peer" | "agent"; address: string; since: string; lastSeen: string; sources: string[] };
}

export interface IpHistoryEntry {
  address: string;
  family: 4 | 6;
  firstSeen: string;
  lastSeen: string;
  sources: string[];
}

export function ipView(store: Store, live: LiveState, h: HostRecord, family?: 4 | 6): IpView {
  const a = store.addresses.current(h.id).find((p) => family === undefined || p.family === family);
  if (!a) throw new CollectorError("LASTSEEN_ERR_NOT_FOUND", `no ${family ? `IPv${family} ` : ""}address known for host "${h.name}" yet`);
  // While the host is connected from this address, it is seen there right now.
  const liveSeen = live.connected(h.id) && h.lastAddress === a.address ? live.lastSeen(h) : null;
  const other = store.addresses.views(h.id, a.family).find((v) => v.address !== a.address);
  return {
    host: h.name, address: a.address, family: a.family, seenAt: iso(Math.max(a.lastSeen, liveSeen ?? 0))!, source: a.lastSource, sources: a.sources,
    ...(other ? { disagreement: { feed: other.feed, address: other.address, since: iso(other.since)!, lastSeen: iso(other.lastSeen)!, sources: other.sources } } : {}),
  };
}

export function ipHistory(store: Store, h: HostRecord, family?: 4 | 6): IpHistoryEntry[] {
  return store.addresses.history(h.id)
    .filter((a) => family === undefined || a.family === family)
    .map((a) => ({ address: a.address, family: a.family, firstSeen: iso(a.firstSeen)!, lastSeen: iso(a.lastSeen)!, sources: a.sources }));
}
