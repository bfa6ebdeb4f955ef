// The spool: how short-lived commands (`lastseen-agent job ...`) hand events to the agent.
// Each event is one file in <state>/spool, written durably (temp file, fsync, rename, fsync dir)
// before the command reports success. The running agent moves spooled events into its outbox and
// deletes the files; when no agent runs, they wait. An event keeps its id from the spool, so a
// crash between the outbox append and the delete cannot make it count twice at the collector.
import { mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import { checkBody, decodeEnvelope, encodeEnvelope } from "../proto/codec.js";
import { ProtocolError } from "../proto/errors.js";
import { SPOOLED_KINDS, type AgentBody } from "../proto/types.js";
import { AgentError } from "./errors.js";
import { newEventId } from "./event-id.js";
import { fsyncDir } from "./outbox/cursor.js";
import type { NewEvent } from "./outbox/outbox.js";

export const spoolDir = (stateDir: string) => join(stateDir, "spool");

/** Writes one event durably into the spool; returns its event id. */
export async function spoolEvent(stateDir: string, body: AgentBody, now = Date.now()): Promise<string> {
  const dir = spoolDir(stateDir);
  let checked: AgentBody;
  try {
    checked = checkBody(body);
  } catch (err) {
    if (err instanceof ProtocolError) throw new AgentError("LASTSEEN_ERR_EVENT_INVALID", `event not accepted: ${err.message}`, { cause: err });
    throw err;
  }
  const eventId = newEventId(now);
  const bytes = encodeEnvelope({ seq: 0, eventId, sentAtMs: now, body: checked });
  const name = `${String(now).padStart(15, "0")}-${eventId}.evt`;
  try {
    await mkdir(dir, { recursive: true, mode: 0o755 });
    const tmp = join(dir, `.${name}.tmp`);
    const fh = await open(tmp, "w", 0o644);
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, join(dir, name));
    await fsyncDir(dir);
  } catch (err) {
    throw new AgentError("LASTSEEN_ERR_SPOOL", `cannot write the event to ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  return eventId;
}

/**
 * Moves every spooled event into the outbox, oldest first. A file that is not a valid event is
 * moved aside to spool/rejected/ (never silently deleted). Returns how many events moved.
 */
export async function drainSpool(stateDir: string, append: (e: NewEvent) => Promise<number>, log: Logger): Promise<number> {
  const dir = spoolDir(stateDir);
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith(".evt")).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw err;
  }
  let moved = 0;
  // In chunks: the appends of a chunk share one fsync (the outbox's group commit).
  for (let i = 0; i < names.length; i += 256) {
    const chunk: { file: string; ev: NewEvent }[] = [];
    for (const name of names.slice(i, i + 256)) {
      const ev = await readSpooled(dir, name, log);
      if (ev) chunk.push({ file: join(dir, name), ev });
    }
    await Promise.all(chunk.map((c) => append(c.ev)));
    await Promise.all(chunk.map((c) => rm(c.file, { force: true })));
    moved += chunk.length;
  }
  return moved;
}

async function readSpooled(dir: string, name: string, log: Logger): Promise<NewEvent | null> {
  const file = join(dir, name);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null; // another drain took it
    throw err;
  }
  let why: string;
  try {
    const env = decodeEnvelope(bytes);
    // A Hello or Heartbeat is never spooled: sent with a seq, it would end every connection.
    if (SPOOLED_KINDS.has(env.body.kind)) return { body: env.body, eventId: env.eventId, sentAtMs: env.sentAtMs };
    why = `a ${env.body.kind} is not an event that can be spooled`;
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    why = err.message;
  }
  await mkdir(join(dir, "rejected"), { recursive: true });
  await rename(file, join(dir, "rejected", name));
  log.error({ file, err: why }, "spooled file is not a valid event; moved to spool/rejected");
  return null;
}
