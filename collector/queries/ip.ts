// `lastseen ip NAME`: the current address (IPv4 first) and the history of changes.
import { CollectorError } from "../errors.js";
import type { HostRecord } from "../store/host-repo.js";
import type { Store } from "../store/store.js";
import { iso, type LiveState } from "./live.js";

export interface IpView {
  host: string;
  address: string;
  family: 4 | 6;
  seenAt: string;
  source: string;
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
  return { host: h.name, address: a.address, family: a.family, seenAt: iso(Math.max(a.lastSeen, liveSeen ?? 0))!, source: a.lastSource };
}

export function ipHistory(store: Store, h: HostRecord, family?: 4 | 6): IpHistoryEntry[] {
  return store.addresses.history(h.id)
    .filter((a) => family === undefined || a.family === family)
    .map((a) => ({ address: a.address, family: a.family, firstSeen: iso(a.firstSeen)!, lastSeen: iso(a.lastSeen)!, sources: a.sources }));
}
