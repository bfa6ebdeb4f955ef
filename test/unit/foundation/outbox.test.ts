// The agent's durable outbox, on a real temporary directory: what is accepted stays until acked,
// across reopen; torn tails and corrupt records are cut out without losing the good records; the
// byte bound drops the oldest and counts them; acked segments go away; appends share fsyncs.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import pino, { type Logger } from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AgentError } from "../../../agent/errors.js";
import { Outbox } from "../../../agent/outbox/outbox.js";
import { decodeEnvelope } from "../../../proto/codec.js";
import type { AgentBody } from "../../../proto/types.js";

const dirs: string[] = [];
const boxes: Outbox[] = [];
afterEach(async () => {
  for (const b of boxes.splice(0)) await b.close().catch(() => undefined);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  vi.restoreAllMocks();
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "lastseen-outbox-"));
  dirs.push(d);
  return d;
}

/** A pino logger whose lines the test can read. */
function captureLog(): { log: Logger; lines: () => { level: number; msg: string; [k: string]: unknown }[] } {
  const out: string[] = [];
  const stream = new Writable({ write(chunk: Buffer, _enc, cb) { out.push(chunk.toString()); cb(); } });
  return { log: pino({ level: "debug" }, stream), lines: () => out.join("").split("\n").filter(Boolean).map((l) => JSON.parse(l) as { level: number; msg: string }) };
}

const job = (i: number, tail = ""): AgentBody => ({
  kind: "jobEvent",
  value: { job: "backup", runId: `run-${i}`, phase: "end", startedAtMs: 1000 + i, endedAtMs: 2000 + i, exitCode: 0, signal: "", outputTail: tail, message: "", pid: i },
});

async function openBox(dir: string, o: Partial<Parameters<typeof Outbox.open>[1]> = {}): Promise<Outbox> {
  const box = await Outbox.open(dir, { log: o.log ?? pino({ level: "silent" }), cursorDelayMs: 0, ...o });
  boxes.push(box);
  return box;
}

async function closeBox(box: Outbox): Promise<void> {
  boxes.splice(boxes.indexOf(box), 1);
  await box.close();
}

const runIds = async (box: Outbox, after = 0): Promise<string[]> =>
  (await box.read(after, 100_000)).map((r) => {
    const e = decodeEnvelope(r.bytes);
    return e.body.kind === "jobEvent" ? e.body.value.runId : `?${e.seq}`;
  });
const seqs = async (box: Outbox, after = 0): Promise<number[]> => (await box.read(after, 100_000)).map((r) => r.seq);
const segments = (dir: string) => readdirSync(dir).filter((n) => n.endsWith(".seg")).sort();

/** Waits until the outbox's background cursor write and segment cleanup settled. */
async function settle(box: Outbox): Promise<void> {
  await box.drain();
  await new Promise((r) => setTimeout(r, 20));
  await (box as unknown as { cursorWrite: Promise<void> }).cursorWrite;
}

describe("outbox", () => {
  it("append, read, ack, reopen: unacked events and the stream id survive", async () => {
    const dir = tmp();
    const box = await openBox(dir);
    const stream = box.streamId;
    expect(stream).toMatch(/^[0-9a-f-]{36}$/);
    const got = await Promise.all(Array.from({ length: 10 }, (_, i) => box.append({ body: job(i + 1) })));
    expect(got).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(box.pending).toBe(10);
    // Each record is one full, valid envelope with its seq.
    const recs = await box.read(0, 100);
    expect(recs.map((r) => decodeEnvelope(r.bytes).seq)).toEqual(got);

    box.ack(4);
    expect(box.pending).toBe(6);
    expect(await seqs(box, box.ackedSeq)).toEqual([5, 6, 7, 8, 9, 10]);
    await closeBox(box);

    const again = await openBox(dir);
    expect(again.streamId).toBe(stream);
    expect(again.ackedSeq).toBe(4);
    expect(again.pending).toBe(6);
    expect(again.headSeq).toBe(10);
    expect(await runIds(again, again.ackedSeq)).toEqual(["run-5", "run-6", "run-7", "run-8", "run-9", "run-10"]);
    expect(await again.append({ body: job(11) })).toBe(11);
  });

  it("keeps an event's id and time when it comes from the spool", async () => {
    const box = await openBox(tmp());
    await box.append({ body: job(1), eventId: "11111111-2222-4333-8444-555555555555", sentAtMs: 42 });
    const e = decodeEnvelope((await box.read(0, 1))[0]!.bytes);
    expect(e).toMatchObject({ seq: 1, eventId: "11111111-2222-4333-8444-555555555555", sentAtMs: 42 });
  });

  it("refuses an invalid event before it takes a seq", async () => {
    const box = await openBox(tmp());
    const bad: AgentBody = { kind: "jobEvent", value: { ...(job(1).value as Extract<AgentBody, { kind: "jobEvent" }>["value"]), job: "no spaces" } };
    await expect(box.append({ body: bad })).rejects.toMatchObject({ code: "LASTSEEN_ERR_EVENT_INVALID", message: expect.stringContaining("jobEvent.job") });
    expect(await box.append({ body: job(1) })).toBe(1);
  });

  it("a torn tail (a crash mid-write) is cut off at reopen, and later appends work", async () => {
    const dir = tmp();
    const box = await openBox(dir);
    for (let i = 1; i <= 10; i++) await box.append({ body: job(i) });
    await closeBox(box);
    const [seg] = segments(dir);
    const file = join(dir, seg!);
    truncateSync(file, statSync(file).size - 7); // the last record loses its last 7 bytes

    const { log, lines } = captureLog();
    const again = await openBox(dir, { log });
    expect(again.headSeq).toBe(9);
    expect(await runIds(again)).toEqual(["run-1", "run-2", "run-3", "run-4", "run-5", "run-6", "run-7", "run-8", "run-9"]);
    // A torn tail was never accepted: no damage is reported and nothing counts as dropped.
    expect(lines().filter((l) => l.level >= 50)).toEqual([]);
    expect(again.dropped).toBe(0);
    expect(await again.append({ body: job(100) })).toBe(10);
    await closeBox(again);

    const third = await openBox(dir);
    expect(await seqs(third)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect((await runIds(third)).at(-1)).toBe("run-100");
  });

  it("a torn header (less than a record header left) is cut off too", async () => {
    const dir = tmp();
    const box = await openBox(dir);
    for (let i = 1; i <= 3; i++) await box.append({ body: job(i) });
    await closeBox(box);
    const file = join(dir, segments(dir)[0]!);
    writeFileSync(file, Buffer.concat([readFileSync(file), Buffer.from([1, 2, 3, 4, 5])]));
    const again = await openBox(dir);
    expect(await seqs(again)).toEqual([1, 2, 3]);
    expect(await again.append({ body: job(4) })).toBe(4);
  });

  it("a corrupt record in the middle: it is reported and counted, the records after it are kept, seqs never go back", async () => {
    const dir = tmp();
    const box = await openBox(dir);
    for (let i = 1; i <= 10; i++) await box.append({ body: job(i, `output of run ${i}`) });
    await closeBox(box);
    const file = join(dir, segments(dir)[0]!);
    const buf = readFileSync(file);
    // Flip one byte inside the 5th record's payload (records: u32 length, u32 crc, u64 seq, payload).
    let off = 0;
    for (let i = 0; i < 4; i++) off += 16 + buf.readUInt32LE(off);
    buf[off + 16 + 5]! ^= 0xff;
    writeFileSync(file, buf);

    const { log, lines } = captureLog();
    const again = await openBox(dir, { log });
    const errors = lines().filter((l) => l.level >= 50);
    expect(errors.length).toBeGreaterThan(0);
    expect(JSON.stringify(errors)).toContain(file);
    expect(await seqs(again)).toEqual([1, 2, 3, 4, 6, 7, 8, 9, 10]);
    expect(again.dropped).toBe(1);
    expect(again.headSeq).toBe(10);
    // A new event never reuses a seq the collector may already have seen.
    expect(await again.append({ body: job(11) })).toBe(11);
    await closeBox(again);
    const third = await openBox(dir);
    expect(await seqs(third)).toEqual([1, 2, 3, 4, 6, 7, 8, 9, 10, 11]);
    expect(third.dropped).toBe(1);
  });

  it("a corrupt record at the very end of the last segment does not make seqs go back after the collector's Welcome", async () => {
    const dir = tmp();
    const box = await openBox(dir);
    for (let i = 1; i <= 5; i++) await box.append({ body: job(i) });
    await closeBox(box);
    const file = join(dir, segments(dir)[0]!);
    const buf = readFileSync(file);
    buf[buf.length - 3]! ^= 0xff;
    writeFileSync(file, buf);
    const again = await openBox(dir);
    expect(again.headSeq).toBe(4);
    // The collector says it stored up to 5 (it received record 5 before the disk damaged it).
    again.skipTo(5);
    again.ack(5);
    expect(again.pending).toBe(0);
    expect(await again.append({ body: job(6) })).toBe(6);
  });

  it("the byte bound drops the oldest events and counts them in `dropped`, which survives reopen", async () => {
    const dir = tmp();
    const { log, lines } = captureLog();
    const box = await openBox(dir, { maxBytes: 16 * 1024, segmentBytes: 4096, log });
    const tail = "x".repeat(400);
    const N = 200;
    for (let i = 1; i <= N; i++) await box.append({ body: job(i, tail) });
    expect(box.bytesOnDisk).toBeLessThanOrEqual(16 * 1024);
    expect(box.dropped).toBeGreaterThan(0);
    // Every event is either still pending or counted as dropped: none vanishes silently.
    expect(box.pending + box.dropped).toBe(N);
    // The newest are kept, in order, without a hole.
    const kept = await seqs(box, box.ackedSeq);
    expect(kept.at(-1)).toBe(N);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => N - kept.length + 1 + i));
    expect(kept.length).toBe(box.pending);
    expect(lines().some((l) => l.msg.includes("outbox full"))).toBe(true);
    const dropped = box.dropped;
    await closeBox(box);
    expect(segments(dir).reduce((n, s) => n + statSync(join(dir, s)).size, 0)).toBeLessThanOrEqual(16 * 1024);

    const again = await openBox(dir, { maxBytes: 16 * 1024, segmentBytes: 4096 });
    expect(again.dropped).toBe(dropped);
    expect(again.pending).toBe(kept.length);
    expect(await seqs(again, again.ackedSeq)).toEqual(kept);
  });

  it("acked segments are deleted (but not the one being written)", async () => {
    const dir = tmp();
    const box = await openBox(dir, { segmentBytes: 4096 });
    const tail = "y".repeat(300);
    for (let i = 1; i <= 60; i++) await box.append({ body: job(i, tail) });
    const before = segments(dir);
    expect(before.length).toBeGreaterThan(3);
    box.ack(30);
    await settle(box);
    const after = segments(dir);
    expect(after.length).toBeLessThan(before.length);
    // What is left still holds every unacked event.
    expect(await seqs(box, 30)).toEqual(Array.from({ length: 30 }, (_, i) => 31 + i));
    box.ack(60);
    await settle(box);
    expect(segments(dir).length).toBe(1); // the active one stays
    await closeBox(box);
    const again = await openBox(dir, { segmentBytes: 4096 });
    expect(again.pending).toBe(0);
    expect(segments(dir)).toEqual([]);
    expect(await again.append({ body: job(61) })).toBe(61);
  });

  it("an ack beyond what was written is clamped", async () => {
    const box = await openBox(tmp());
    await box.append({ body: job(1) });
    box.ack(1000);
    expect(box.ackedSeq).toBe(1);
    expect(await box.append({ body: job(2) })).toBe(2);
  });

  it("concurrent appends get increasing seqs in call order and share fsyncs", async () => {
    const dir = tmp();
    const box = await openBox(dir);
    await box.append({ body: job(0) }); // opens the segment file
    const probe = await open(join(dir, "probe"), "w");
    const proto = Object.getPrototypeOf(probe) as { datasync: () => Promise<void> };
    await probe.close();
    const spy = vi.spyOn(proto, "datasync");
    const N = 200;
    const got = await Promise.all(Array.from({ length: N }, (_, i) => box.append({ body: job(i + 1) })));
    expect(got).toEqual(Array.from({ length: N }, (_, i) => i + 2));
    // Group commit: far fewer fsyncs than events.
    expect(spy.mock.calls.length).toBeGreaterThan(0);
    expect(spy.mock.calls.length).toBeLessThanOrEqual(5);
    expect(await runIds(box, 1)).toEqual(Array.from({ length: N }, (_, i) => `run-${i + 1}`));
  });

  it("an append after close fails with LASTSEEN_ERR_OUTBOX_CLOSED", async () => {
    const box = await openBox(tmp());
    await box.append({ body: job(1) });
    await closeBox(box);
    const err: unknown = await box.append({ body: job(2) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentError);
    expect((err as AgentError).code).toBe("LASTSEEN_ERR_OUTBOX_CLOSED");
  });

  it("a damaged cursor file is a clear error naming the file, not a crash", async () => {
    const dir = tmp();
    const box = await openBox(dir);
    await box.append({ body: job(1) });
    await closeBox(box);
    writeFileSync(join(dir, "cursor.json"), "{\"streamId\": \"abc\", \"acked");
    const err: unknown = await Outbox.open(dir, { log: pino({ level: "silent" }) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentError);
    expect((err as AgentError).code).toBe("LASTSEEN_ERR_OUTBOX_CORRUPT");
    expect((err as AgentError).message).toContain(join(dir, "cursor.json"));
  });
});
