// Prepared statements, cached per database: preparing a statement costs more than running it
// (the ingest and alert benchmarks' profiles), so each SQL text is prepared once.
import type BetterSqlite3 from "better-sqlite3";
import type { Db } from "./db.js";

export type Prepare = <P extends unknown[] | object = unknown[], R = unknown>(sql: string) => BetterSqlite3.Statement<P, R>;

const caches = new WeakMap<Db, Map<string, BetterSqlite3.Statement>>();

export function cachedPrepare(db: Db): Prepare {
  let cache = caches.get(db);
  if (!cache) {
    cache = new Map();
    caches.set(db, cache);
  }
  const c = cache;
  return <P extends unknown[] | object = unknown[], R = unknown>(sql: string) => {
    let s = c.get(sql);
    if (!s) {
      s = db.prepare(sql);
      c.set(sql, s);
    }
    return s as unknown as BetterSqlite3.Statement<P, R>;
  };
}
