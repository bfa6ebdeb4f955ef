// The collector's data directory: the SQLite database, plus what lets the CLI on the same machine
// work without flags: api.json (where the API listens) and admin-token (mode 0600).
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CollectorError } from "./errors.js";

export interface ApiInfo {
  url: string;
  /** Unix socket serving the same API (for the CLI on this machine). */
  socket?: string;
  pid: number;
  startedAt: string;
  version: string;
}

export const dataFiles = (dir: string) => ({
  db: join(dir, "lastseen.db"),
  api: join(dir, "api.json"),
  adminToken: join(dir, "admin-token"),
  socket: join(dir, "api.sock"),
});

export function ensureDataDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new CollectorError("LASTSEEN_ERR_DATA_DIR", `cannot create the data directory ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** Writes a file atomically (temp file + rename) with the given mode. */
export function writeFileAtomic(file: string, content: string, mode: number): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, file);
}

export function readApiInfo(dir: string): ApiInfo | null {
  try {
    return JSON.parse(readFileSync(dataFiles(dir).api, "utf8")) as ApiInfo;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new CollectorError("LASTSEEN_ERR_DATA_DIR", `cannot read ${dataFiles(dir).api}: ${(err as Error).message}`);
  }
}

export function readAdminToken(dir: string): string | null {
  try {
    return readFileSync(dataFiles(dir).adminToken, "utf8").trim() || null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new CollectorError("LASTSEEN_ERR_DATA_DIR", `cannot read ${dataFiles(dir).adminToken}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

export function removeApiInfo(dir: string, pid: number): void {
  const info = readApiInfo(dir);
  if (info && info.pid === pid) {
    rmSync(dataFiles(dir).api, { force: true });
    if (info.socket) rmSync(info.socket, { force: true });
  }
}
