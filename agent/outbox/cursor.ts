// The outbox's fsync'd cursor: the stream id, the highest acknowledged seq and how many events were
// dropped because the outbox was full. Written atomically (temp file, fsync, rename, fsync dir).
import { randomUUID } from "node:crypto";
import { open, readFile, rename } from "node:fs/promises";
import { join } from "node:path";
import { AgentError } from "../errors.js";

export interface Cursor {
  streamId: string;
  ackedSeq: number;
  dropped: number;
}

export const CURSOR_FILE = "cursor.json";

export async function readCursor(dir: string): Promise<Cursor | null> {
  let text: string;
  try {
    text = await readFile(join(dir, CURSOR_FILE), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new AgentError("LASTSEEN_ERR_OUTBOX_IO", `cannot read ${join(dir, CURSOR_FILE)}: ${(err as Error).message}`, { cause: err });
  }
  let c: Partial<Cursor> | null;
  try {
    c = JSON.parse(text) as Partial<Cursor> | null;
  } catch (err) {
    throw new AgentError("LASTSEEN_ERR_OUTBOX_CORRUPT", `${join(dir, CURSOR_FILE)} is not valid JSON (${(err as Error).message}): move it aside to start a new stream`, { cause: err });
  }
  if (c === null || typeof c !== "object" || typeof c.streamId !== "string" || !Number.isSafeInteger(c.ackedSeq) || !Number.isSafeInteger(c.dropped)) {
    throw new AgentError("LASTSEEN_ERR_OUTBOX_CORRUPT", `${join(dir, CURSOR_FILE)} is not a valid cursor`);
  }
  return c as Cursor;
}

export function newCursor(): Cursor {
  return { streamId: randomUUID(), ackedSeq: 0, dropped: 0 };
}

export async function writeCursor(dir: string, c: Cursor): Promise<void> {
  const file = join(dir, CURSOR_FILE);
  const tmp = `${file}.tmp`;
  const fh = await open(tmp, "w", 0o600);
  try {
    await fh.writeFile(JSON.stringify(c) + "\n");
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
  await fsyncDir(dir);
}

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
