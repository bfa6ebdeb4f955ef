// A lock file shared by processes on one machine (vitest runs test files in several workers).
// The holder writes its pid; a lock whose pid is gone is stale and taken over.

import { open, readFile, stat, unlink } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { E2eError } from "./errors.js";

export interface LockOptions {
  /** Give up after this long waiting for another holder. */
  timeoutMs: number;
  pollMs?: number;
  /** Called while waiting; returning true ends the wait without taking the lock (work done). */
  doneByOther?: () => Promise<boolean>;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Pid of a stale holder (dead, or an empty file older than 30 s), or null when the lock is live. */
async function staleHolder(lockPath: string): Promise<string | null> {
  let text: string;
  try {
    text = await readFile(lockPath, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return "gone";
    throw err;
  }
  const pid = Number.parseInt(text.trim(), 10);
  if (Number.isInteger(pid) && pid > 0) return isAlive(pid) ? null : String(pid);
  const age = Date.now() - (await stat(lockPath)).mtimeMs;
  return age > 30_000 ? "unknown (empty lock file)" : null;
}

/**
 * Runs `fn` while holding `lockPath`. Returns `{ ran: false }` when `doneByOther` reported the work
 * done while waiting.
 */
export async function withFileLock<T>(
  lockPath: string,
  opts: LockOptions,
  fn: () => Promise<T>,
): Promise<{ ran: true; value: T } | { ran: false }> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    try {
      const handle = await open(lockPath, "wx");
      try {
        await handle.writeFile(`${process.pid}\n`);
      } finally {
        await handle.close();
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const stale = await staleHolder(lockPath);
    if (stale !== null) {
      await unlink(lockPath).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== "ENOENT") throw err;
      });
      continue;
    }
    if (opts.doneByOther && (await opts.doneByOther())) return { ran: false };
    if (Date.now() > deadline) {
      const holder = (await readFile(lockPath, "utf8").catch(() => "?")).trim();
      throw new E2eError(
        "LASTSEEN_ERR_E2E_IMAGE_LOCK",
        `lock ${lockPath} still held by pid ${holder} after ${opts.timeoutMs} ms; remove the file if that process is not building the image`,
      );
    }
    await sleep(opts.pollMs ?? 250);
  }
  try {
    return { ran: true, value: await fn() };
  } finally {
    const owner = await readFile(lockPath, "utf8").catch(() => "");
    if (owner.trim() === String(process.pid)) await unlink(lockPath);
  }
}
