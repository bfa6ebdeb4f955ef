// Opens the SQLite database (better-sqlite3), sets it up for a durable single-writer service and
// applies pending migrations.
import { createRequire } from "node:module";
import type BetterSqlite3 from "better-sqlite3";
import { CollectorError } from "../errors.js";
import { MIGRATIONS } from "./migrations/index.js";

export type Db = BetterSqlite3.Database;

const require = createRequire(import.meta.url);

function loadDriver(): typeof BetterSqlite3 {
  try {
    return require("better-sqlite3") as typeof BetterSqlite3;
  } catch (err) {
    throw new CollectorError(
      "LASTSEEN_ERR_STORE",
      "the collector needs the better-sqlite3 package (an optional dependency, skipped on agent-only installs): run `npm install better-sqlite3@12`",
      { cause: err },
    );
  }
}

export function openDb(file: string, opts: { readonly?: boolean } = {}): Db {
  const Database = loadDriver();
  let db: Db;
  try {
    db = new Database(file, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
  } catch (err) {
    throw new CollectorError("LASTSEEN_ERR_STORE", `cannot open the database ${file}: ${(err as Error).message}`, { cause: err });
  }
  db.pragma("busy_timeout = 5000");
  if (!opts.readonly) {
    db.pragma("journal_mode = WAL");
    // FULL: a commit is on disk before the collector acknowledges the events in it.
    db.pragma("synchronous = FULL");
    db.pragma("foreign_keys = ON");
    migrate(db, file);
  }
  return db;
}

function migrate(db: Db, file: string): void {
  const current = db.pragma("user_version", { simple: true }) as number;
  const latest = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
  if (current > latest) {
    throw new CollectorError(
      "LASTSEEN_ERR_STORE_MIGRATION",
      `the database ${file} has schema version ${current}, newer than this collector knows (${latest}): upgrade lastseen`,
    );
  }
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    try {
      db.transaction(() => {
        db.exec(m.sql);
        db.pragma(`user_version = ${m.version}`);
      })();
    } catch (err) {
      throw new CollectorError("LASTSEEN_ERR_STORE_MIGRATION", `migration ${m.version} (${m.name}) failed on ${file}: ${(err as Error).message}`, { cause: err });
    }
  }
}
