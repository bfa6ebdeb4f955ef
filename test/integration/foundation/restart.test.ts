// A collector restarted with the same data directory keeps its hosts, tokens and high-water marks:
// the agent reconnects with the same token, the Welcome carries the stored high-water mark, and
// nothing is stored twice. A typo in the config file stops `serve` with exit code 2.
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import type BetterSqlite3 from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { storedEvents } from "../../helpers/db.js";
import { spoolJobEvents } from "../../helpers/events.js";
import { addToken, AGENT_CLI, COLLECTOR_CLI, freePort, run, startAgent, startCollector, tempDir, waitFor, type Proc } from "../../helpers/procs.js";
import { connectRaw, logLines } from "./raw-peer.js";

const Database = createRequire(import.meta.url)("better-sqlite3") as typeof BetterSqlite3;

function highWater(db: string, host: string): number {
  const d = new Database(db, { readonly: true });
  try {
    return d.prepare<[string], { hw: number }>("SELECT high_water_seq AS hw FROM hosts WHERE name = ?").get(host)!.hw;
  } finally {
    d.close();
  }
}

describe("collector restart", () => {
  const dir = tempDir();
  const procs: Proc[] = [];
  afterAll(async () => {
    for (const p of procs) await p.kill("SIGKILL");
    dir.remove();
  });

  it("keeps hosts, tokens and high-water marks", async () => {
    const data = `${dir.path}/data`;
    const db = `${data}/lastseen.db`;
    const port = await freePort();
    let collector = await startCollector(data, { port });
    procs.push(collector);
    const token = addToken(data, "keeper");
    const rawToken = addToken(data, "rawhost");
    const state = `${dir.path}/agent`;
    const agent = startAgent(collector.url, token, state);
    procs.push(agent);
    await waitFor("agent connected", () => agent.output().includes("connected to the collector"));
    const first = await spoolJobEvents(state, 200);
    await waitFor("200 stored", () => storedEvents(db, "keeper").rows >= 200, 30_000);
    // A raw peer stores seq 1..5 of its own stream.
    const p = await connectRaw(collector.url, rawToken);
    await p.hello({ streamId: "raw-keep" });
    for (let seq = 1; seq <= 5; seq++) p.event(seq);
    await p.next("ack", (a) => a.seq === 5);
    p.close();
    await p.closed;
    const tokensBefore = JSON.parse(run(COLLECTOR_CLI, ["token", "list", "--data", data, "--json"]).stdout) as { name: string; role: string; hint: string; revokedAt: string | null }[];
    const hostsBefore = JSON.parse(run(COLLECTOR_CLI, ["hosts", "--data", data, "--json"]).stdout) as { name: string }[];

    await collector.kill("SIGTERM");
    expect((await collector.exited).code).toBe(0);
    // The agent's probes may have sent events of other kinds too: the mark counts them all.
    const markBefore = highWater(db, "keeper");
    expect(markBefore).toBeGreaterThanOrEqual(200);
    collector = await startCollector(data, { port });
    procs.push(collector);

    // Same hosts, same agent tokens (the admin token rotates only when it is missing or revoked).
    const hostsAfter = JSON.parse(run(COLLECTOR_CLI, ["hosts", "--data", data, "--json"]).stdout) as { name: string }[];
    expect(hostsAfter.map((h) => h.name).sort()).toEqual(hostsBefore.map((h) => h.name).sort());
    const tokensAfter = JSON.parse(run(COLLECTOR_CLI, ["token", "list", "--data", data, "--json"]).stdout) as typeof tokensBefore;
    const agentTokens = (t: typeof tokensBefore) => t.filter((x) => x.role === "agent").map((x) => ({ name: x.name, hint: x.hint, revokedAt: x.revokedAt }));
    expect(agentTokens(tokensAfter)).toEqual(agentTokens(tokensBefore));

    // The high-water mark survived: the raw peer is welcomed with 5, and a replay of 5 is refused.
    const q = await connectRaw(collector.url, rawToken);
    expect((await q.hello({ streamId: "raw-keep" })).highWaterSeq).toBe(5);
    q.event(6);
    expect(await q.next("ack", (a) => a.seq === 6)).toEqual({ seq: 6 });
    q.event(5);
    expect((await q.closed).reason).toContain("replayed seq 5");

    // The real agent reconnects by itself with the same token and is welcomed with its mark.
    await waitFor("agent reconnected", () => logLines(agent.output()).filter((l) => l.msg === "connected to the collector").length >= 2, 30_000);
    const welcomes = logLines(agent.output()).filter((l) => l.msg === "connected to the collector");
    expect(welcomes.at(-1)!.highWater).toBe(markBefore);
    const more = await spoolJobEvents(state, 100);
    await waitFor("300 stored", () => storedEvents(db, "keeper").rows >= 300, 30_000);
    await new Promise((r) => setTimeout(r, 1000));
    const stored = storedEvents(db, "keeper");
    expect(stored.rows).toBe(300);
    expect(new Set(stored.eventIds)).toEqual(new Set([...first, ...more]));
  }, 120_000);
});

describe("config errors at start", () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  it("`lastseen serve --config FILE` with `listn = ...` exits 2 naming FILE and listn", () => {
    const file = `${dir.path}/collector.toml`;
    writeFileSync(file, `listn = "127.0.0.1:7070"\n`);
    const r = run(COLLECTOR_CLI, ["serve", "--config", file, "--data", `${dir.path}/data`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toContain("listn");
    expect(r.stderr).toContain("LASTSEEN_ERR_CONFIG");
  });

  it("a bad value from LASTSEEN_LISTEN exits 2 naming the variable", () => {
    const r = run(COLLECTOR_CLI, ["serve", "--data", `${dir.path}/data`], { LASTSEEN_LISTEN: "nowhere" });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("LASTSEEN_LISTEN");
  });

  it("`lastseen-agent run --config FILE` with a typo exits 2 naming FILE and the key", () => {
    const file = `${dir.path}/agent.toml`;
    writeFileSync(file, `collector = "ws://127.0.0.1:9"\nheartbeet = "30s"\n`);
    const r = run(AGENT_CLI, ["run", "--config", file, "--state", `${dir.path}/state`], { LASTSEEN_TOKEN: "lsa_x" });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toContain("heartbeet");
  });
});
