// A full disk, made real: small tmpfs mounts (the tests run as root) filled to the last byte.
// - The collector's data directory: commits fail, agents get a retryable Reject, nothing is acked,
//   the collector keeps running; once space is freed every event arrives exactly once.
// - The agent's outbox: events cannot be accepted; the failure is loud (LASTSEEN_ERR_OUTBOX_IO in
//   the log), spooled events wait in the spool, and after space is freed all arrive exactly once.
// - The agent's spool: `lastseen-agent job` says it could not report (the spool write failed).
// - The outbox on a nearly full disk: a write that only partly fits is never taken as accepted.
import { execFileSync } from "node:child_process";
import { closeSync, mkdirSync, openSync, readdirSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { createRequire } from "node:module";
import type BetterSqlite3 from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { Outbox } from "../../../agent/outbox/outbox.js";
import { decodeEnvelope } from "../../../proto/codec.js";
import { storedEvents } from "../../helpers/db.js";
import { jobEnd, spoolJobEvents } from "../../helpers/events.js";
import { addToken, AGENT_CLI, run, startAgent, startCollector, tempDir, waitFor, type Proc } from "../../helpers/procs.js";
import { logLines } from "./raw-peer.js";
import { missing } from "../../helpers/requirement.js";

const mounts: string[] = [];
function mountTmpfs(dir: string, size: string): void {
  mkdirSync(dir, { recursive: true });
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size},mode=0700`, "tmpfs", dir], { stdio: "pipe" });
  mounts.push(dir);
}
function canMount(): boolean {
  const d = tempDir("lastseen-mount-probe-");
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", d.path], { stdio: "pipe" });
    execFileSync("umount", [d.path], { stdio: "pipe" });
    return true;
  } catch {
    return false;
  } finally {
    d.remove();
  }
}

/** Checkpoints the collector's WAL into the database and truncates it to zero bytes. */
function truncateWal(dbFile: string): void {
  const db = new Database(dbFile, { fileMustExist: true });
  try {
    db.pragma("wal_checkpoint(TRUNCATE)");
  } finally {
    db.close();
  }
}

/** Fills the file system holding `dir` to the last byte; returns the filler file. */
function fill(dir: string): string {
  const file = join(dir, "filler");
  const fd = openSync(file, "w");
  const chunk = Buffer.alloc(64 * 1024, 0x5a);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
  } finally {
    closeSync(fd);
  }
  return file;
}

const Database = createRequire(import.meta.url)("better-sqlite3") as typeof BetterSqlite3;
const MOUNT_OK = canMount();
const procs: Proc[] = [];
const dir = tempDir("lastseen-fulldisk-");
afterAll(async () => {
  for (const p of procs) await p.kill("SIGKILL");
  for (const m of mounts.reverse()) execFileSync("umount", ["-l", m], { stdio: "pipe" });
  dir.remove();
});

const stateOf = async (state: string) => JSON.parse(run(AGENT_CLI, ["status", "--state", state, "--json"]).stdout) as { pending: number; acked: number; connected: boolean };

describe.skipIf(missing(MOUNT_OK, "mounting a tmpfs (needs root)"))("a full disk (tmpfs mounts; needs root)", () => {
  it("collector: commits fail, agents get a retryable Reject, nothing is acked; after space is freed every event arrives exactly once", async () => {
    const data = `${dir.path}/collector-data`;
    mountTmpfs(data, "8m");
    const db = `${data}/lastseen.db`;
    const collector = await startCollector(data);
    procs.push(collector);
    const token = addToken(data, "full");
    const state = `${dir.path}/agent-c`;
    const agent = startAgent(collector.url, token, state);
    procs.push(agent);
    await waitFor("agent connected", () => agent.output().includes("connected to the collector"));
    const before = await spoolJobEvents(state, 50);
    await waitFor("50 stored", () => storedEvents(db, "full").rows >= 50, 30_000);
    // The agent's probes may send a few events of their own: wait until everything is acked.
    const s0 = await waitFor("all acked", async () => {
      const st = await stateOf(state);
      return st.acked >= 50 && st.pending === 0 ? st : null;
    });

    // Empty the WAL first: commits must need new space (a WAL with room left from earlier commits
    // would take them even on a full disk, and nothing would fail).
    truncateWal(db);
    const filler = fill(data);
    const during = await spoolJobEvents(state, 300);
    // The agent is told to retry later, the collector says why, and keeps running.
    await waitFor("retryable reject", () => logLines(agent.output()).find((l) => l.msg.includes("the collector cannot store events now") && l.code === "LASTSEEN_ERR_STORE_UNAVAILABLE"), 30_000);
    expect(logLines(collector.output()).some((l) => l.msg.startsWith("commit failed") && JSON.stringify(l).includes("SQLITE_FULL"))).toBe(true);
    // Every new event is in the outbox, none acknowledged, through rounds of reconnect and resend.
    await waitFor("300 pending", async () => (await stateOf(state)).pending >= 300, 20_000);
    await new Promise((r) => setTimeout(r, 3000));
    expect(collector.child.exitCode).toBeNull();
    expect(storedEvents(db, "full").rows).toBe(50);
    const s = await stateOf(state);
    expect(s.acked).toBe(s0.acked);
    expect(s.pending).toBeGreaterThanOrEqual(300);

    rmSync(filler);
    await waitFor("all 350 stored", () => storedEvents(db, "full").rows >= 350, 90_000, 200);
    await new Promise((r) => setTimeout(r, 1500));
    const stored = storedEvents(db, "full");
    expect(stored.rows).toBe(350);
    expect(new Set(stored.eventIds)).toEqual(new Set([...before, ...during]));
    expect(collector.child.exitCode).toBeNull();
  }, 150_000);

  it("agent: a full outbox disk is loud (LASTSEEN_ERR_OUTBOX_IO), spooled events wait, and after space is freed all arrive exactly once", async () => {
    const data = `${dir.path}/collector-data-2`;
    const collector = await startCollector(data);
    procs.push(collector);
    const token = addToken(data, "agentfull");
    const state = `${dir.path}/agent-o`;
    mountTmpfs(`${state}/outbox`, "1m");
    const agent = startAgent(collector.url, token, state);
    procs.push(agent);
    await waitFor("agent connected", () => agent.output().includes("connected to the collector"));
    const before = await spoolJobEvents(state, 20);
    await waitFor("20 stored", () => storedEvents(`${data}/lastseen.db`, "agentfull").rows >= 20, 30_000);

    const filler = fill(`${state}/outbox`);
    const during = await spoolJobEvents(state, 100);
    await waitFor("outbox failure logged", () => logLines(agent.output()).find((l) => l.level >= 50 && JSON.stringify(l).includes("LASTSEEN_ERR_OUTBOX_IO")), 20_000);
    expect(JSON.stringify(logLines(agent.output()).filter((l) => l.level >= 50))).toContain("ENOSPC");
    // Nothing accepted is lost: what could not enter the outbox is still in the spool.
    const waiting = readdirSync(`${state}/spool`).filter((n) => n.endsWith(".evt")).length;
    expect(waiting).toBeGreaterThan(0);
    expect(agent.child.exitCode).toBeNull();

    rmSync(filler);
    // The agent polls its spool every 5 s.
    await waitFor("all 120 stored", () => storedEvents(`${data}/lastseen.db`, "agentfull").rows >= 120, 60_000, 200);
    await new Promise((r) => setTimeout(r, 1500));
    const stored = storedEvents(`${data}/lastseen.db`, "agentfull");
    expect(stored.rows).toBe(120);
    expect(new Set(stored.eventIds)).toEqual(new Set([...before, ...during]));
    expect(readdirSync(`${state}/spool`).filter((n) => n.endsWith(".evt"))).toEqual([]);
  }, 120_000);

  it("agent: `lastseen-agent job ok` on a full spool says it could not report the event (the spool write failed)", () => {
    const state = `${dir.path}/agent-s`;
    mountTmpfs(`${state}/spool`, "256k");
    const filler = fill(`${state}/spool`);
    const r = run(AGENT_CLI, ["job", "ok", "nightly-backup", "--state", state]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("could not report");
    expect(r.stderr).toContain("cannot write the event to");
    expect(r.stderr).toContain("ENOSPC");
    expect(r.stderr).toContain("[LASTSEEN_ERR_SPOOL]");
    expect(readdirSync(`${state}/spool`).filter((n) => n.endsWith(".evt"))).toEqual([]);
    rmSync(filler);
    const ok = run(AGENT_CLI, ["job", "ok", "nightly-backup", "--state", state]);
    expect(ok.code).toBe(0);
    expect(readdirSync(`${state}/spool`).filter((n) => n.endsWith(".evt"))).toHaveLength(1);
  });

  it("outbox: a batch that only partly fits on the disk is refused as a whole, never half-accepted", async () => {
    const box = `${dir.path}/outbox-short`;
    mountTmpfs(box, "256k");
    const errors: string[] = [];
    const log = pino({ level: "error" }, new Writable({ write(c: Buffer, _e, cb) { errors.push(c.toString()); cb(); } }));
    let ob = await Outbox.open(box, { log });
    expect(await ob.append({ body: jobEnd("short", 0) })).toBe(1);
    const filler = fill(box);
    // The segment's last page still has room for part of the batch: a short write.
    const results = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => ob.append({ body: jobEnd("short", i + 1) })));
    const accepted = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    const refused = results.filter((r) => r.status === "rejected").map((r) => (r as PromiseRejectedResult).reason as { code: string; message: string });
    expect(refused.length).toBeGreaterThan(0);
    expect(new Set(refused.map((e) => e.code))).toEqual(new Set(["LASTSEEN_ERR_OUTBOX_IO"]));
    expect(refused[0]!.message).toContain(box);
    rmSync(filler);
    const later = await ob.append({ body: jobEnd("short", 1000) });
    expect(later).toBe(Math.max(1, ...accepted) + 1);
    await ob.close();

    // Every accepted event is on disk, intact, in order; the file has no damage.
    errors.length = 0;
    ob = await Outbox.open(box, { log });
    const recs = await ob.read(0, 1000);
    expect(recs.map((r) => r.seq)).toEqual([1, ...accepted.filter((s) => s !== 1), later].sort((a, b) => a - b));
    for (const r of recs) expect(decodeEnvelope(r.bytes).seq).toBe(r.seq);
    expect(errors).toEqual([]);
    await ob.close();
  });
});
