// Public addresses per host: what each feed (peer, agent) last said per family, the current address
// per family and the history of periods (A -> B -> A is three rows). Which address is current is
// decided by collector/ip/ (current-address.ts); this only stores.
import type { AddressView, Feed } from "../ip/current-address.js";
import type { Db } from "./db.js";
import { cachedPrepare, type Prepare } from "./statements.js";

export interface AddressPeriod {
  id: number;
  address: string;
  family: 4 | 6;
  firstSeen: number;
  lastSeen: number;
  sources: string[];
  lastSource: string;
}

interface PeriodRow {
  id: number; address: string; family: 4 | 6; first_seen: number; last_seen: number; sources: string; last_source: string;
}

interface ViewRow {
  feed: Feed; address: string; since: number; last_seen: number; sources: string;
}

const toPeriod = (r: PeriodRow): AddressPeriod => ({
  id: r.id, address: r.address, family: r.family, firstSeen: r.first_seen, lastSeen: r.last_seen,
  sources: JSON.parse(r.sources) as string[], lastSource: r.last_source,
});

const toView = (r: ViewRow): AddressView => ({
  feed: r.feed, address: r.address, since: r.since, lastSeen: r.last_seen, sources: JSON.parse(r.sources) as string[],
});

export class AddressRepo {
  private readonly prep: Prepare;
  private readonly latestStmt;
  private readonly viewsStmt;
  private readonly putViewStmt;
  private readonly extendStmt;
  private readonly startStmt;

  constructor(private readonly db: Db) {
    this.prep = cachedPrepare(db);
    this.latestStmt = db.prepare<[number, number], PeriodRow>(
      "SELECT * FROM address_periods WHERE host_id = ? AND family = ? ORDER BY id DESC LIMIT 1");
    this.viewsStmt = db.prepare<[number, number], ViewRow>(
      "SELECT feed, address, since, last_seen, sources FROM address_views WHERE host_id = ? AND family = ? ORDER BY feed");
    this.putViewStmt = db.prepare(
      `INSERT INTO address_views (host_id, family, feed, address, since, last_seen, sources) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (host_id, family, feed) DO UPDATE SET address = excluded.address, since = excluded.since,
         last_seen = excluded.last_seen, sources = excluded.sources`);
    this.extendStmt = db.prepare("UPDATE address_periods SET last_seen = max(last_seen, ?), sources = ?, last_source = ? WHERE id = ?");
    this.startStmt = db.prepare(
      "INSERT INTO address_periods (host_id, family, address, first_seen, last_seen, sources, last_source) VALUES (?, ?, ?, ?, ?, ?, ?)");
  }

  /** What each feed last said for this family. */
  views(hostId: number, family: 4 | 6): AddressView[] {
    return this.viewsStmt.all(hostId, family).map(toView);
  }

  putView(hostId: number, family: 4 | 6, v: AddressView): void {
    this.putViewStmt.run(hostId, family, v.feed, v.address, v.since, v.lastSeen, JSON.stringify(v.sources));
  }

  /** The current period of a family (the newest), or null. */
  latest(hostId: number, family: 4 | 6): AddressPeriod | null {
    const r = this.latestStmt.get(hostId, family);
    return r ? toPeriod(r) : null;
  }

  /** The address before the current one, or null. */
  previous(hostId: number, family: 4 | 6): string | null {
    return this.prep<[number, number], { address: string }>(
      "SELECT address FROM address_periods WHERE host_id = ? AND family = ? ORDER BY id DESC LIMIT 1 OFFSET 1").get(hostId, family)?.address ?? null;
  }

  /** `source` saw the current address again. */
  extend(period: AddressPeriod, source: string, at: number): void {
    const sources = period.sources.includes(source) ? period.sources : [...period.sources, source];
    this.extendStmt.run(at, JSON.stringify(sources), source, period.id);
  }

  /** A new current address: a new period. */
  start(hostId: number, family: 4 | 6, address: string, sources: readonly string[], lastSource: string, at: number): void {
    this.startStmt.run(hostId, family, address, at, at, JSON.stringify(sources), lastSource);
  }

  /** The current address of each family (IPv4 first). */
  current(hostId: number): AddressPeriod[] {
    return ([4, 6] as const).flatMap((f) => {
      const r = this.latestStmt.get(hostId, f);
      return r ? [toPeriod(r)] : [];
    });
  }

  /** Every period, newest first. */
  history(hostId: number): AddressPeriod[] {
    return this.prep<[number], PeriodRow>("SELECT * FROM address_periods WHERE host_id = ? ORDER BY last_seen DESC, id DESC")
      .all(hostId).map(toPeriod);
  }
}
