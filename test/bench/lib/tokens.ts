// Agent tokens for many simulated hosts at once. Does what `lastseen token add NAME` does (the
// host row and a hashed token, in one transaction), with one process instead of one per host.
import { dataFiles, ensureDataDir } from "../../../collector/data-dir.js";
import { openDb } from "../../../collector/store/db.js";
import { Store } from "../../../collector/store/store.js";

export interface BenchHost {
  name: string;
  token: string;
}

export function hostNames(prefix: string, n: number): string[] {
  const width = String(n).length;
  return Array.from({ length: n }, (_, i) => `${prefix}-${String(i + 1).padStart(width, "0")}`);
}

/** Creates an agent token per name in the data directory (before the collector starts). */
export function createAgentTokens(dataDir: string, names: string[]): BenchHost[] {
  ensureDataDir(dataDir);
  const store = Store.open(dataFiles(dataDir).db);
  try {
    const now = Date.now();
    return store.transaction(() => names.map((name) => {
      store.hosts.ensure(name, now);
      return { name, token: store.tokens.add(name, "agent", now) };
    }));
  } finally {
    store.close();
  }
}

export interface StoredEventCounts {
  rows: number;
  distinctEventIds: number;
  distinctSeqs: number;
  hosts: number;
  /** Sum of the hosts' high-water seqs. */
  highWaterSum: number;
}

/** Counts what the collector stored, through a read-only connection. */
export function countStoredEvents(dataDir: string): StoredEventCounts {
  const db = openDb(dataFiles(dataDir).db, { readonly: true });
  try {
    const row = db.prepare<[], { rows: number; ids: number; seqs: number; hosts: number }>(
      `SELECT count(*) AS rows, count(DISTINCT host_id || ':' || event_id) AS ids, count(DISTINCT host_id || ':' || seq) AS seqs,
        count(DISTINCT host_id) AS hosts FROM events`).get()!;
    const hw = db.prepare<[], { s: number | null }>("SELECT sum(high_water_seq) AS s FROM hosts").get()!;
    return { rows: row.rows, distinctEventIds: row.ids, distinctSeqs: row.seqs, hosts: row.hosts, highWaterSum: hw.s ?? 0 };
  } finally {
    db.close();
  }
}
