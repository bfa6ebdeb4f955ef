// Public addresses per host: the current one per family and the history of periods.
import type { Db } from "./db.js";

export interface AddressPeriod {
  address: string;
  family: 4 | 6;
  firstSeen: number;
  lastSeen: number;
  sources: string[];
  lastSource: string;
}

export interface AddressChange {
  family: 4 | 6;
  previous: string | null;
  current: string;
}

interface PeriodRow {
  id: number; address: string; family: 4 | 6; first_seen: number; last_seen: number; sources: string; last_source: string;
}

const toPeriod = (r: PeriodRow): AddressPeriod => ({
  address: r.address, family: r.family, firstSeen: r.first_seen, lastSeen: r.last_seen,
  sources: JSON.parse(r.sources) as string[], lastSource: r.last_source,
});

export class AddressRepo {
  private readonly latestStmt;

  constructor(private readonly db: Db) {
    this.latestStmt = db.prepare<[number, number], PeriodRow>(
      "SELECT * FROM address_periods WHERE host_id = ? AND family = ? ORDER BY id DESC LIMIT 1");
  }

  /**
   * Records that `source` saw the host at `address`. Extends the current period when the address
   * is unchanged, starts a new one otherwise; returns the change, or null.
   */
  observe(hostId: number, family: 4 | 6, address: string, source: string, at: number): AddressChange | null {
    const latest = this.latestStmt.get(hostId, family);
    if (latest && latest.address === address) {
      const sources = JSON.parse(latest.sources) as string[];
      if (!sources.includes(source)) sources.push(source);
      this.db.prepare("UPDATE address_periods SET last_seen = max(last_seen, ?), sources = ?, last_source = ? WHERE id = ?")
        .run(at, JSON.stringify(sources), source, latest.id);
      return null;
    }
    this.db.prepare("INSERT INTO address_periods (host_id, family, address, first_seen, last_seen, sources, last_source) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .run(hostId, family, address, at, at, JSON.stringify([source]), source);
    return { family, previous: latest?.address ?? null, current: address };
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
    return this.db.prepare<[number], PeriodRow>("SELECT * FROM address_periods WHERE host_id = ? ORDER BY last_seen DESC, id DESC")
      .all(hostId).map(toPeriod);
  }
}
