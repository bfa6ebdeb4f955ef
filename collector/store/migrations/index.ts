// Numbered schema migrations. Each runs once, in order, inside a transaction; the version is kept
// in SQLite's user_version. Never edit a released migration: add a new one.
import { m0001 } from "./0001-foundation.js";
import { m0002 } from "./0002-alerting-jobs-findings.js";

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [m0001, m0002];
