// The collector's other limits, against raw peers: a peer that never says Hello is closed after
// limits.hello_timeout; a peer that stops answering pings is cut off after one missed pong; past
// limits.max_connections the upgrade gets HTTP 503. Other peers are not affected.
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Socket } from "node:net";
import type BetterSqlite3 from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addToken, startCollector, tempDir, waitFor, type CollectorProc } from "../../helpers/procs.js";
import { collectorStats, connectRaw, logLines, upgradeStatus, type RawPeer } from "./raw-peer.js";

const Database = createRequire(import.meta.url)("better-sqlite3") as typeof BetterSqlite3;

describe("timeouts and connection limits", () => {
  const dir = tempDir();
  const data = `${dir.path}/data`;
  let collector: CollectorProc;
  const peers: RawPeer[] = [];
  // Made before any peer connects: `token add` runs synchronously and would keep this process
  // (and the peers' pong replies) waiting.
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    const config = `${dir.path}/collector.toml`;
    writeFileSync(config, `[limits]\nhello_timeout = "500ms"\nping_interval = "1s"\nmax_connections = 3\n`);
    collector = await startCollector(data, { args: ["--config", config] });
    for (const name of ["mute", "frozen", "alive", "c1", "c2", "c3", "c4"]) tokens[name] = addToken(data, name);
  });
  afterAll(async () => {
    for (const p of peers) p.ws.terminate();
    await collector?.kill();
    dir.remove();
  });

  it("a peer that never sends Hello is closed with 1008 and a reason", async () => {
    const p = await connectRaw(collector.url, tokens.mute!);
    peers.push(p);
    const closed = await p.closed;
    expect(closed).toEqual({ code: 1008, reason: "no Hello within the handshake timeout" });
  });

  it("a peer that stops answering pings is cut off; the host is marked disconnected and the timeout counted", async () => {
    const p = await connectRaw(collector.url, tokens.frozen!);
    peers.push(p);
    await p.hello({ streamId: "frozen" });
    const keep = await connectRaw(collector.url, tokens.alive!);
    peers.push(keep);
    await keep.hello({ streamId: "alive" });
    // Stop reading: the collector's pings go unanswered.
    const socket = (p.ws as unknown as { _socket: Socket })._socket;
    socket.pause();
    await waitFor("the collector gave up on the frozen peer", () => logLines(collector.output()).find((l) => l.msg.includes("no pong") && l.host === "frozen"), 10_000);
    socket.resume();
    const closed = await p.closed;
    expect(closed.code).toBe(1006); // terminated, no closing handshake
    await waitFor("frozen marked disconnected", () => {
      const db = new Database(`${data}/lastseen.db`, { readonly: true });
      try {
        return db.prepare<[], { connected: number }>("SELECT connected FROM hosts WHERE name = 'frozen'").get()!.connected === 0;
      } finally {
        db.close();
      }
    });
    expect((await collectorStats(collector.url, data)).livenessTimeouts).toBeGreaterThanOrEqual(1);
    // The peer that answers its pings is still there, and still served.
    expect(keep.ws.readyState).toBe(keep.ws.OPEN);
    keep.event(1);
    expect(await keep.next("ack", (a) => a.seq === 1)).toEqual({ seq: 1 });
  });

  it("past limits.max_connections the upgrade gets HTTP 503; a freed slot is usable again", async () => {
    const open = peers.filter((p) => p.ws.readyState === p.ws.OPEN);
    const cs = ["c1", "c2", "c3", "c4"].map((n) => tokens[n]!);
    for (const t of cs.slice(0, 3 - open.length)) {
      const p = await connectRaw(collector.url, t);
      peers.push(p);
      await p.hello({ streamId: `s-${t.slice(-6)}` });
    }
    expect(await upgradeStatus(collector.url, `Bearer ${cs[3]}`)).toBe(503);
    const victim = peers.find((p) => p.ws.readyState === p.ws.OPEN)!;
    victim.close();
    await victim.closed;
    await waitFor("a slot is free", async () => (await upgradeStatus(collector.url, `Bearer ${cs[3]}`)) === 101);
    expect(logLines(collector.output()).some((l) => l.msg === "connection limit reached")).toBe(true);
  });
});
