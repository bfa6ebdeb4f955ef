// The agent's durable outbox: an append-only log of events in segment files plus an fsync'd ack
// cursor. An event counts as accepted once its record is fsync'd; it stays until the collector
// acknowledges it (cumulative acks), so it survives agent crashes, restarts and network cuts.
// Bounded in bytes: when full, the oldest segments are dropped and counted.
import { mkdir, open, readdir, readFile, rename, rm, truncate, type FileHandle } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Logger } from "pino";
import { checkBody, encodeEnvelope } from "../../proto/codec.js";
import { ProtocolError } from "../../proto/errors.js";
import { SPOOLED_KINDS, type AgentBody } from "../../proto/types.js";
import { AgentError } from "../errors.js";
import { newEventId } from "../event-id.js";
import { newCursor, readCursor, writeCursor, fsyncDir, type Cursor } from "./cursor.js";
import { encodeRecord, HEADER_BYTES, parseRecords, type OutboxRecord } from "./record.js";

export interface OutboxOptions {
  /** Most bytes kept on disk for unacknowledged events (default 64 MiB). */
  maxBytes?: number;
  /** Size at which a new segment file begins (default: min(4 MiB, maxBytes / 8)). */
  segmentBytes?: number;
  /** How long an ack may wait before the cursor is written (default 200 ms). */
  cursorDelayMs?: number;
  log: Logger;
  clock?: () => number;
}

export interface NewEvent {
  body: AgentBody;
  /** Kept when the event comes from the spool (it already has an id); generated otherwise. */
  eventId?: string;
  sentAtMs?: number;
}

interface Segment {
  file: string;
  firstSeq: number;
  lastSeq: number;
  count: number;
  bytes: number;
}

interface Pending {
  record: Buffer;
  seq: number;
  resolve: (seq: number) => void;
  reject: (err: Error) => void;
  done?: boolean;
}

const SEG_RE = /^(\d{16})\.seg$/;
const segName = (firstSeq: number) => `${String(firstSeq).padStart(16, "0")}.seg`;

export class Outbox {
  private segments: Segment[] = [];
  private active: FileHandle | null = null;
  private lastSeq = 0;
  private queue: Pending[] = [];
  private writing: Promise<void> | null = null;
  private closed = false;
  /** Recently appended records, for sending without reading the disk. */
  private cache: OutboxRecord[] = [];
  private cacheBytes = 0;
  private cursorTimer: NodeJS.Timeout | null = null;
  private cursorWrite: Promise<void> = Promise.resolve();
  private readonly maxBytes: number;
  private readonly segmentBytes: number;
  private readonly cacheLimit: number;
  private readonly listeners = new Set<() => void>();

  private constructor(private readonly dir: string, private cursor: Cursor, private readonly o: OutboxOptions) {
    this.maxBytes = o.maxBytes ?? 64 * 1024 * 1024;
    this.segmentBytes = o.segmentBytes ?? Math.max(4096, Math.min(4 * 1024 * 1024, Math.floor(this.maxBytes / 8)));
    this.cacheLimit = Math.min(4 * 1024 * 1024, this.maxBytes);
  }

  static async open(dir: string, o: OutboxOptions): Promise<Outbox> {
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new AgentError("LASTSEEN_ERR_STATE_DIR", `cannot create the outbox directory ${dir}: ${(err as NodeJS.ErrnoException).code}`, { cause: err });
    }
    let cursor = await readCursor(dir);
    const fresh = cursor === null;
    cursor ??= newCursor();
    const ob = new Outbox(dir, cursor, o);
    await ob.recover();
    if (fresh) await writeCursor(dir, cursor);
    return ob;
  }

  private async recover(): Promise<void> {
    const names = (await readdir(this.dir)).filter((n) => SEG_RE.test(n)).sort();
    let lost = 0;
    const rewrite: { file: string; records: OutboxRecord[] }[] = [];
    for (const [i, name] of names.entries()) {
      const file = join(this.dir, name);
      const buf = await readFile(file);
      const parsed = parseRecords(buf, Number(SEG_RE.exec(name)![1]) - 1);
      for (const d of parsed.damage) {
        // Records in the middle that fail their CRC: reported, counted as dropped, and cut out;
        // the good records after them are kept.
        this.o.log.error({ file, offset: d.offset, bytes: d.bytes, lostEvents: d.lostSeqs }, "outbox segment damaged: skipped a corrupt record, kept the records after it");
        lost += d.lostSeqs;
      }
      if (parsed.stoppedBy) {
        const last = i === names.length - 1;
        // A torn tail of the last segment is a write the crash interrupted: it was never accepted.
        if (!(last && parsed.stoppedBy === "torn")) {
          this.o.log.error({ file, offset: parsed.validBytes, reason: parsed.stoppedBy }, "outbox segment damaged at its end: keeping the records before the damage");
        }
      }
      const recs = parsed.records;
      if (recs.length === 0) {
        await rm(file, { force: true });
        continue;
      }
      if (parsed.damage.length > 0) rewrite.push({ file, records: recs });
      else if (parsed.stoppedBy) await truncate(file, parsed.validBytes);
      const bytes = parsed.damage.length > 0 ? recs.reduce((n, r) => n + HEADER_BYTES + r.bytes.byteLength, 0) : parsed.validBytes;
      this.segments.push({ file, firstSeq: recs[0]!.seq, lastSeq: recs[recs.length - 1]!.seq, count: recs.length, bytes });
    }
    const lastSegSeq = this.segments.at(-1)?.lastSeq ?? 0;
    this.lastSeq = Math.max(lastSegSeq, this.cursor.ackedSeq);
    if (lost > 0) {
      // Counted before the damaged records are cut out: a crash in between over-reports, never hides.
      this.cursor.dropped += lost;
      await writeCursor(this.dir, this.cursor);
    }
    for (const r of rewrite) await rewriteSegment(r.file, r.records);
    await this.deleteAcked();
  }

  /**
   * The collector stored events up to `seq` of this stream (its Welcome says so) but the outbox
   * ends below it (its tail was damaged, or the state directory was restored from an old copy):
   * new events must take seqs above it, or the collector would take them for replays.
   */
  skipTo(seq: number): void {
    if (seq <= this.lastSeq) return;
    this.o.log.warn({ headSeq: this.lastSeq, collectorSeq: seq }, "the collector has events beyond the end of the outbox; continuing after them");
    this.lastSeq = seq;
  }

  get streamId(): string {
    return this.cursor.streamId;
  }

  get ackedSeq(): number {
    return this.cursor.ackedSeq;
  }

  get dropped(): number {
    return this.cursor.dropped;
  }

  get headSeq(): number {
    return this.lastSeq;
  }

  /** Events accepted but not yet acknowledged. */
  get pending(): number {
    const acked = this.cursor.ackedSeq;
    // Seqs are contiguous within a segment.
    return this.segments.reduce((n, s) => n + (s.lastSeq <= acked ? 0 : s.firstSeq > acked ? s.count : s.lastSeq - acked), 0);
  }

  get bytesOnDisk(): number {
    return this.segments.reduce((n, s) => n + s.bytes, 0);
  }

  /** Called after new events were appended (the transport sends them). */
  onAppend(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * Validates and appends one event; resolves with its seq once it is on disk (fsync'd).
   * Concurrent appends share one write and one fsync (group commit).
   */
  append(ev: NewEvent): Promise<number> {
    if (this.closed) return Promise.reject(new AgentError("LASTSEEN_ERR_OUTBOX_CLOSED", "the outbox is closed"));
    if (!SPOOLED_KINDS.has(ev.body.kind)) {
      return Promise.reject(new AgentError("LASTSEEN_ERR_EVENT_INVALID", `event not accepted: a ${ev.body.kind} is sent directly, never through the outbox`));
    }
    let body: AgentBody;
    try {
      body = checkBody(ev.body);
    } catch (err) {
      if (err instanceof ProtocolError) return Promise.reject(new AgentError("LASTSEEN_ERR_EVENT_INVALID", `event not accepted: ${err.message}`, { cause: err }));
      throw err;
    }
    const seq = ++this.lastSeq;
    const payload = encodeEnvelope({ seq, eventId: ev.eventId ?? newEventId(), sentAtMs: ev.sentAtMs ?? (this.o.clock ?? Date.now)(), body });
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ record: encodeRecord(seq, payload), seq, resolve, reject });
      this.writing ??= this.writeLoop().finally(() => { this.writing = null; });
    });
  }

  private async writeLoop(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      try {
        await this.writeBatch(batch);
      } catch (err) {
        const e = new AgentError("LASTSEEN_ERR_OUTBOX_IO", `cannot write to the outbox in ${this.dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
        this.o.log.error({ err: e }, "outbox write failed; the events were not accepted");
        const failed = batch.filter((p) => !p.done);
        // Roll back before telling the callers: an append they make in reaction must see the
        // seqs of the failed batch free again.
        try {
          await this.rollbackFailedWrite(failed);
        } finally {
          for (const p of failed) p.reject(e);
        }
      }
      for (const fn of this.listeners) fn();
    }
  }

  private async writeBatch(batch: Pending[]): Promise<void> {
    let i = 0;
    while (i < batch.length) {
      const seg = await this.activeSegment(batch[i]!.seq);
      // Fill the active segment up to its size, then roll.
      const part: Pending[] = [];
      let bytes = 0;
      while (i < batch.length && (part.length === 0 || seg.bytes + bytes + batch[i]!.record.length <= this.segmentBytes)) {
        part.push(batch[i]!);
        bytes += batch[i]!.record.length;
        i++;
      }
      const buf = Buffer.concat(part.map((p) => p.record));
      await writeAll(this.active!, buf);
      await this.active!.datasync();
      seg.bytes += buf.length;
      seg.count += part.length;
      seg.lastSeq = part[part.length - 1]!.seq;
      for (const p of part) {
        this.cacheRecord(p.seq, p.record);
        p.done = true;
        p.resolve(p.seq);
      }
      if (seg.bytes >= this.segmentBytes) await this.roll();
    }
    await this.enforceBound();
  }

  /** After a failed write the seqs of that batch were never accepted: reuse them. */
  private async rollbackFailedWrite(batch: Pending[]): Promise<void> {
    // Everything was written and accepted; what failed came after (rolling, enforcing the bound).
    if (batch.length === 0) return;
    const first = batch[0]!.seq;
    const seg = this.segments.at(-1);
    let cut = true;
    if (seg && this.active) {
      // Cut anything partially written off the active segment.
      try {
        await this.active.truncate(seg.bytes);
      } catch (err) {
        // What was written stays on disk (whole records of the failed batch may be among it):
        // its seqs must never be used again.
        cut = false;
        this.o.log.error({ err }, "cannot truncate the outbox segment after a failed write; closing it");
        await this.roll().catch((e: unknown) => this.o.log.error({ err: e }, "cannot close the outbox segment"));
      }
    }
    if (cut && this.queue.length === 0) this.lastSeq = Math.min(this.lastSeq, first - 1);
    else {
      // Appends queued meanwhile got later seqs: renumbering them is not safe, keep the gap.
      this.o.log.warn({ gapFrom: first, gapTo: batch[batch.length - 1]!.seq }, "seq gap after a failed outbox write");
    }
  }

  private async activeSegment(firstSeq: number): Promise<Segment> {
    const last = this.segments.at(-1);
    if (this.active && last) return last;
    const file = join(this.dir, segName(firstSeq));
    const fh = await open(file, "a", 0o600);
    try {
      await fsyncDir(this.dir);
    } catch (err) {
      await fh.close();
      throw err;
    }
    // Only now is it the active segment: a failure above leaves the previous state untouched.
    const seg: Segment = { file, firstSeq, lastSeq: firstSeq - 1, count: 0, bytes: 0 };
    this.segments.push(seg);
    this.active = fh;
    return seg;
  }

  private async roll(): Promise<void> {
    const fh = this.active;
    this.active = null;
    await fh?.close();
  }

  private async enforceBound(): Promise<void> {
    let total = this.bytesOnDisk;
    while (total > this.maxBytes && this.segments.length > 1) {
      const oldest = this.segments.shift()!;
      const unacked = oldest.lastSeq - Math.max(oldest.firstSeq - 1, this.cursor.ackedSeq);
      if (unacked > 0) {
        this.cursor.dropped += unacked;
        this.cursor.ackedSeq = Math.max(this.cursor.ackedSeq, oldest.lastSeq);
        this.o.log.warn({ dropped: unacked, totalDropped: this.cursor.dropped, maxBytes: this.maxBytes }, "outbox full: dropped the oldest events");
      }
      total -= oldest.bytes;
      await rm(oldest.file, { force: true });
      this.dropCache(oldest.lastSeq);
      this.scheduleCursor(0);
    }
  }

  private cacheRecord(seq: number, record: Buffer): void {
    const bytes = record.subarray(16);
    this.cache.push({ seq, bytes });
    this.cacheBytes += bytes.length;
    while (this.cacheBytes > this.cacheLimit && this.cache.length > 0) this.cacheBytes -= this.cache.shift()!.bytes.length;
  }

  private dropCache(upToSeq: number): void {
    while (this.cache.length > 0 && this.cache[0]!.seq <= upToSeq) this.cacheBytes -= this.cache.shift()!.bytes.length;
  }

  /** Up to `max` records with seq > afterSeq, in order (fewer when the rest is not written yet). */
  async read(afterSeq: number, max: number): Promise<OutboxRecord[]> {
    const first = this.cache[0];
    if (first && first.seq <= afterSeq + 1) {
      const start = this.cache.findIndex((r) => r.seq > afterSeq);
      return start < 0 ? [] : this.cache.slice(start, start + max);
    }
    const out: OutboxRecord[] = [];
    for (const seg of this.segments) {
      if (seg.lastSeq <= afterSeq || seg.count === 0) continue;
      const buf = await readFile(seg.file);
      for (const r of parseRecords(buf.subarray(0, seg.bytes), seg.firstSeq - 1).records) {
        if (r.seq > afterSeq) out.push(r);
        if (out.length >= max) return out;
      }
    }
    return out;
  }

  /** Cumulative acknowledgement: every event up to seq is stored by the collector. */
  ack(seq: number): void {
    if (seq <= this.cursor.ackedSeq) return;
    this.cursor.ackedSeq = Math.min(seq, this.lastSeq);
    this.dropCache(this.cursor.ackedSeq);
    this.scheduleCursor(this.o.cursorDelayMs ?? 200);
  }

  private scheduleCursor(delayMs: number): void {
    if (this.cursorTimer) return;
    this.cursorTimer = setTimeout(() => {
      this.cursorTimer = null;
      void this.persistCursor();
    }, delayMs);
  }

  private persistCursor(): Promise<void> {
    const snapshot = { ...this.cursor };
    this.cursorWrite = this.cursorWrite
      .then(() => writeCursor(this.dir, snapshot))
      .then(() => this.deleteAcked())
      .catch((err: unknown) => this.o.log.error({ err }, "cannot write the outbox cursor; acknowledged events will be sent again"));
    return this.cursorWrite;
  }

  /** Deletes segments whose events are all acknowledged (never the one being written). */
  private async deleteAcked(): Promise<void> {
    while (this.segments.length > 0) {
      const s = this.segments[0]!;
      const isActive = this.active !== null && s === this.segments.at(-1);
      if (s.lastSeq > this.cursor.ackedSeq || isActive) break;
      this.segments.shift();
      await rm(s.file, { force: true });
    }
  }

  /** Resolves when everything queued is on disk. */
  async drain(): Promise<void> {
    while (this.writing) await this.writing;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.drain();
    this.closed = true;
    if (this.cursorTimer) clearTimeout(this.cursorTimer);
    this.cursorTimer = null;
    await this.persistCursor();
    await this.roll();
  }
}

/** Writes all of buf: a write on a nearly full disk may write only part of it and not fail. */
async function writeAll(fh: FileHandle, buf: Buffer): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    const { bytesWritten } = await fh.write(buf, off, buf.length - off);
    if (bytesWritten <= 0) throw Object.assign(new Error("write made no progress"), { code: "EIO" });
    off += bytesWritten;
  }
}

/** Replaces a damaged segment by its good records (temp file, fsync, rename, fsync dir). */
async function rewriteSegment(file: string, records: OutboxRecord[]): Promise<void> {
  const tmp = `${file}.tmp`;
  const fh = await open(tmp, "w", 0o600);
  try {
    for (const r of records) await writeAll(fh, encodeRecord(r.seq, r.bytes));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
  await fsyncDir(dirname(file));
}
