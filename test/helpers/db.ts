// Read-only looks into a collector's SQLite file, to check what was stored.
import { createRequire } from "node:module";
import type BetterSqlite3 from "better-sqlite3";

const require = createRequire(import.meta.url);
const Database = require("better-sqlite3") as typeof BetterSqlite3;

export function storedEvents(dbFile: string, host: string, kind = "jobEvent"): { eventIds: string[]; rows: number } {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare<[string, string], { event_id: string }>(
      "SELECT e.event_id FROM events e JOIN hosts h ON h.id = e.host_id WHERE h.name = ? AND e.kind = ?").all(host, kind);
    return { eventIds: rows.map((r) => r.event_id), rows: rows.length };
  } finally {
    db.close();
  }
}
