// Misbehaving agents, played by a raw WebSocket client (a real peer) against a real collector
// while a real, well-behaved agent streams beside it: every violation closes only the offending
// connection, with a close code and a reason the client sees; what was stored before is intact;
// the good agent's events all arrive exactly once. An invalid event gets a permanent Reject and
// the stream goes on.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRequire } from "node:module";
import type BetterSqlite3 from "better-sqlite3";
import { encodeEnvelope } from "../../../proto/codec.js";
import { LIMITS } from "../../../proto/limits.js";
import { storedEvents } from "../../helpers/db.js";
import { spoolJobEvents } from "../../helpers/events.js";
import { addToken, startAgent, startCollector, tempDir, waitFor, type CollectorProc, type Proc } from "../../helpers/procs.js";
import { connectRaw, jobBody, logLines, type RawPeer } from "./raw-peer.js";

const require = createRequire(import.meta.url);
const Database = require("better-sqlite3") as typeof BetterSqlite3;

interface HostRow { name: string; high_water_seq: number; stream_id: string; events_received: number; hostname: string }
function hostRow(db: string, name: string): HostRow | undefined {
  const d = new Database(db, { readonly: true });
  try {
    return d.prepare<[string], HostRow>("SELECT name, high_water_seq, stream_id, events_received, hostname FROM hosts WHERE name = ?").get(name);
  } finally {
    d.close();
  }
}
function rejectedRows(db: string, name: string): { seq: number; code: string; reason: string }[] {
  const d = new Database(db, { readonly: true });
  try {
    return d.prepare<[string], { seq: number; code: string; reason: string }>(
      "SELECT r.seq, r.code, r.reason FROM rejected_events r JOIN hosts h ON h.id = r.host_id WHERE h.name = ? ORDER BY r.seq").all(name);
  } finally {
    d.close();
  }
}

const STREAM = "evil-stream";
const GOOD_EVENTS = 3000;

describe("misbehaving peers", () => {
  const dir = tempDir();
  const data = `${dir.path}/data`;
  const db = `${data}/lastseen.db`;
  let collector: CollectorProc;
  let agent: Proc;
  let evilToken: string;
  let goodIds: Promise<string[]>;
  const evilStored: string[] = [];

  beforeAll(async () => {
    collector = await startCollector(data);
    const goodToken = addToken(data, "good");
    evilToken = addToken(data, "evil");
    agent = startAgent(collector.url, goodToken, `${dir.path}/good`);
    await waitFor("good agent connected", () => agent.output().includes("connected to the collector"));
    // Some events of the evil host are stored before it misbehaves.
    const p = await connectRaw(collector.url, evilToken);
    expect((await p.hello({ streamId: STREAM })).highWaterSeq).toBe(0);
    for (let seq = 1; seq <= 3; seq++) evilStored.push(p.event(seq));
    expect(await p.next("ack", (a) => a.seq === 3)).toEqual({ seq: 3 });
    p.close();
    await p.closed;
    // The good agent streams during all of what follows.
    goodIds = spoolJobEvents(`${dir.path}/good`, GOOD_EVENTS, "good-job");
  });

  afterAll(async () => {
    await agent?.kill();
    await collector?.kill();
    dir.remove();
  });

  async function evil(withHello = true): Promise<RawPeer> {
    const p = await connectRaw(collector.url, evilToken);
    if (withHello) expect((await p.hello({ streamId: STREAM })).highWaterSeq).toBeGreaterThanOrEqual(3);
    return p;
  }

  const cases: { name: string; hello: boolean; act: (p: RawPeer) => void; code: number; reason: RegExp }[] = [
    { name: "malformed bytes", hello: true, act: (p) => p.send(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01])), code: 1007, reason: /not a lastseen\.v1\.Envelope/ },
    {
      name: "a truncated frame", hello: true, code: 1007, reason: /not a lastseen\.v1\.Envelope/,
      act: (p) => {
        const full = encodeEnvelope({ seq: 100, eventId: "t", sentAtMs: 1, body: jobBody("x", 1) });
        p.send(full.subarray(0, full.length - 5));
      },
    },
    { name: "an oversized frame (> 1 MiB)", hello: true, act: (p) => p.send(new Uint8Array(LIMITS.maxFrameBytes + 1)), code: 1009, reason: /^$|too large|exceeds/ },
    { name: "a text frame", hello: true, act: (p) => p.send("hello, collector"), code: 1003, reason: /text frames are not accepted/ },
    { name: "an unknown message kind", hello: true, act: (p) => p.send(Uint8Array.from([0x08, 0x05, 0x98, 0x06, 0x01])), code: 1003, reason: /unknown message kind/ },
    { name: "a spooled event before Hello", hello: false, act: (p) => { p.event(4); }, code: 1008, reason: /jobEvent before Hello/ },
    { name: "a replayed seq", hello: true, act: (p) => { p.event(2); }, code: 1008, reason: /replayed seq 2/ },
    { name: "a second Hello", hello: true, act: (p) => { void p.hello({ streamId: STREAM }).catch(() => undefined); }, code: 1008, reason: /second Hello/ },
  ];

  it.each(cases)("$name: the connection is closed with code $code and a reason", async ({ hello, act, code, reason }) => {
    const p = await evil(hello);
    act(p);
    const closed = await p.closed;
    expect(closed.code).toBe(code);
    expect(closed.reason).toMatch(reason);
    // Nothing stored is harmed.
    const stored = storedEvents(db, "evil");
    expect(new Set(stored.eventIds)).toEqual(new Set(evilStored));
    expect(hostRow(db, "evil")).toMatchObject({ name: "evil", stream_id: STREAM, high_water_seq: evilStored.length, hostname: "raw" });
  });

  it("an invalid spooled event gets a permanent Reject, and the events after it still flow", async () => {
    const p = await evil();
    const badId = p.event(4, jobBody("not a valid job name", 4));
    const reject = await p.next("reject");
    expect(reject).toMatchObject({ seq: 4, eventId: badId, permanent: true, code: "LASTSEEN_ERR_FRAME_INVALID" });
    expect(reject.reason).toContain("jobEvent.job");
    expect(await p.next("ack", (a) => a.seq === 4)).toEqual({ seq: 4 });
    evilStored.push(p.event(5));
    expect(await p.next("ack", (a) => a.seq === 5)).toEqual({ seq: 5 });
    expect(p.ws.readyState).toBe(p.ws.OPEN);
    p.close();
    await p.closed;
    expect(new Set(storedEvents(db, "evil").eventIds)).toEqual(new Set(evilStored));
    expect(rejectedRows(db, "evil")).toEqual([expect.objectContaining({ seq: 4, code: "LASTSEEN_ERR_FRAME_INVALID" })]);
    expect(hostRow(db, "evil")).toMatchObject({ high_water_seq: 5, events_received: 4 });
  });

  it("the collector counted and logged each violation, kept serving, and the good agent's events all arrived exactly once", async () => {
    const ids = await goodIds;
    await waitFor("all good events stored", () => storedEvents(db, "good").rows >= GOOD_EVENTS, 90_000, 100);
    await new Promise((r) => setTimeout(r, 1000));
    const stored = storedEvents(db, "good");
    expect(stored.rows).toBe(GOOD_EVENTS);
    expect(new Set(stored.eventIds)).toEqual(new Set(ids));
    expect(collector.child.exitCode).toBeNull();
    // The good agent was never disconnected by what the evil peer did.
    expect(agent.output()).not.toContain("disconnected from the collector");
    const closing = logLines(collector.output()).filter((l) => l.msg.startsWith("closing connection:"));
    expect(closing.every((l) => l.host === "evil")).toBe(true);
    expect(new Set(closing.map((l) => l.code))).toEqual(new Set(["LASTSEEN_ERR_FRAME_MALFORMED", "LASTSEEN_ERR_FRAME_EMPTY_BODY", "LASTSEEN_ERR_FRAME_INVALID"]));
  });
});
