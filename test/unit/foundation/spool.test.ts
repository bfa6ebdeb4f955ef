// The spool: short-lived commands write events durably into <state>/spool; the agent moves them
// into its outbox. Nothing is lost: invalid files are moved aside, failed appends leave the files.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { AgentError } from "../../../agent/errors.js";
import { Outbox, type NewEvent } from "../../../agent/outbox/outbox.js";
import { drainSpool, spoolDir, spoolEvent } from "../../../agent/spool.js";
import { decodeEnvelope, encodeEnvelope } from "../../../proto/codec.js";
import type { AgentBody } from "../../../proto/types.js";

const silent = pino({ level: "silent" });
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "lastseen-spool-"));
  dirs.push(d);
  return d;
}

const job = (name: string, i: number): AgentBody => ({
  kind: "jobEvent",
  value: { job: name, runId: `run-${i}`, phase: "end", startedAtMs: 1, endedAtMs: 2, exitCode: 0, signal: "", outputTail: "", message: "", pid: 0 },
});
const evtFiles = (state: string) => readdirSync(spoolDir(state)).filter((n) => n.endsWith(".evt"));

describe("spool", () => {
  it("spoolEvent writes one durable file per event; drainSpool moves them all into the outbox, oldest first, keeping their ids", async () => {
    const state = tmp();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await spoolEvent(state, job("backup", i), 1_700_000_000_000 + i));
    expect(evtFiles(state)).toHaveLength(5);
    // What is in a spool file is a valid envelope with the event's id.
    const first = evtFiles(state).sort()[0]!;
    expect(decodeEnvelope(readFileSync(join(spoolDir(state), first))).eventId).toBe(ids[0]);

    const box = await Outbox.open(join(state, "outbox"), { log: silent });
    try {
      expect(await drainSpool(state, (e) => box.append(e), silent)).toBe(5);
      expect(evtFiles(state)).toEqual([]);
      const recs = (await box.read(0, 100)).map((r) => decodeEnvelope(r.bytes));
      expect(recs.map((r) => r.eventId)).toEqual(ids);
      expect(recs.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(recs.map((r) => r.sentAtMs)).toEqual([0, 1, 2, 3, 4].map((i) => 1_700_000_000_000 + i));
      expect(await drainSpool(state, (e) => box.append(e), silent)).toBe(0);
    } finally {
      await box.close();
    }
  });

  it("an invalid event is refused before anything is written", async () => {
    const state = tmp();
    const err: unknown = await spoolEvent(state, job("not a name", 1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentError);
    expect(err).toMatchObject({ code: "LASTSEEN_ERR_EVENT_INVALID", message: expect.stringContaining("jobEvent.job") });
    expect(existsSync(spoolDir(state)) ? evtFiles(state) : []).toEqual([]);
  });

  it("a spool directory that cannot be written is LASTSEEN_ERR_SPOOL naming the directory", async () => {
    const state = tmp();
    writeFileSync(join(state, "spool"), "a file where the directory should be");
    const err: unknown = await spoolEvent(state, job("backup", 1)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "LASTSEEN_ERR_SPOOL", message: expect.stringContaining(spoolDir(state)) });
  });

  it("a garbage .evt file is moved to spool/rejected/, not lost, and does not block the others", async () => {
    const state = tmp();
    await spoolEvent(state, job("backup", 1), 1000);
    mkdirSync(spoolDir(state), { recursive: true });
    const garbage = "000000000001500-garbage.evt";
    writeFileSync(join(spoolDir(state), garbage), Buffer.from([0xff, 0xfe, 0x00, 0x13, 0x37]));
    // Valid protobuf, but a kind that is never spooled: it would wedge the stream if sent.
    const heartbeat = "000000000001600-heartbeat.evt";
    writeFileSync(join(spoolDir(state), heartbeat), encodeEnvelope({ seq: 0, eventId: "x", sentAtMs: 1, body: { kind: "heartbeat", value: { outboxPending: 0, outboxDropped: 0, uptimeS: 1 } } }));
    await spoolEvent(state, job("backup", 2), 2000);

    const appended: NewEvent[] = [];
    const moved = await drainSpool(state, async (e) => { appended.push(e); return appended.length; }, silent);
    expect(moved).toBe(2);
    expect(appended.map((e) => (e.body.kind === "jobEvent" ? e.body.value.runId : e.body.kind))).toEqual(["run-1", "run-2"]);
    expect(evtFiles(state)).toEqual([]);
    const rejected = readdirSync(join(spoolDir(state), "rejected")).sort();
    expect(rejected).toEqual([garbage, heartbeat]);
    expect(readFileSync(join(spoolDir(state), "rejected", garbage))).toEqual(Buffer.from([0xff, 0xfe, 0x00, 0x13, 0x37]));
  });

  it("when the outbox refuses, the spool files stay for the next drain", async () => {
    const state = tmp();
    for (let i = 0; i < 3; i++) await spoolEvent(state, job("backup", i), 1000 + i);
    const failing = () => Promise.reject(new AgentError("LASTSEEN_ERR_OUTBOX_IO", "disk full (test)"));
    await expect(drainSpool(state, failing, silent)).rejects.toMatchObject({ code: "LASTSEEN_ERR_OUTBOX_IO" });
    expect(evtFiles(state)).toHaveLength(3);
    const box = await Outbox.open(join(state, "outbox"), { log: silent });
    try {
      expect(await drainSpool(state, (e) => box.append(e), silent)).toBe(3);
      expect(box.pending).toBe(3);
    } finally {
      await box.close();
    }
  });

  it("the outbox itself refuses kinds that are never spooled", async () => {
    const box = await Outbox.open(join(tmp(), "outbox"), { log: silent });
    try {
      await expect(box.append({ body: { kind: "heartbeat", value: { outboxPending: 0, outboxDropped: 0, uptimeS: 1 } } }))
        .rejects.toMatchObject({ code: "LASTSEEN_ERR_EVENT_INVALID", message: expect.stringContaining("heartbeat") });
      expect(box.headSeq).toBe(0);
    } finally {
      await box.close();
    }
  });
});
