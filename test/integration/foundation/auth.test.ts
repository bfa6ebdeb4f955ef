// Tokens at the door: a wrong, missing, malformed, wrong-role or revoked token is refused at the
// upgrade with HTTP 401, logged without the token, and counted; revoking the token of a connected
// agent ends its connection within a bounded time, and it cannot come back.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { addToken, COLLECTOR_CLI, run, startAgent, startCollector, tempDir, waitFor, type CollectorProc, type Proc } from "../../helpers/procs.js";
import { collectorStats, connectRaw, logLines, upgradeStatus } from "./raw-peer.js";

/** Upper bound for a revocation to reach a connected agent (the collector re-checks every 2 s). */
const REVOKE_WITHIN_MS = 10_000;

describe("agent authentication", () => {
  const dir = tempDir();
  const data = `${dir.path}/data`;
  let collector: CollectorProc;
  const procs: Proc[] = [];

  beforeAll(async () => {
    collector = await startCollector(data);
  });
  afterAll(async () => {
    for (const p of procs) await p.kill("SIGKILL");
    await collector?.kill();
    dir.remove();
  });

  it("a wrong, missing, malformed or non-agent token gets HTTP 401, is logged without the token, and counted", async () => {
    const good = addToken(data, "web1");
    const wrong = `lsa_${"A".repeat(43)}`;
    const admin = readFileSync(`${data}/admin-token`, "utf8").trim();

    expect(await upgradeStatus(collector.url, `Bearer ${wrong}`)).toBe(401);
    expect(await upgradeStatus(collector.url, undefined)).toBe(401);
    expect(await upgradeStatus(collector.url, "Basic dXNlcjpwYXNz")).toBe(401);
    expect(await upgradeStatus(collector.url, `Bearer ${admin}`)).toBe(401);
    // A token with a typo: one character off.
    const typo = good.slice(0, -1) + (good.endsWith("A") ? "B" : "A");
    expect(await upgradeStatus(collector.url, `Bearer ${typo}`)).toBe(401);
    // The right token is let in.
    expect(await upgradeStatus(collector.url, `Bearer ${good}`)).toBe(101);

    const refusals = await waitFor("5 refusals in the log", () => {
      const l = logLines(collector.output()).filter((x) => x.msg.includes("rejected at upgrade"));
      return l.length >= 5 ? l : null;
    });
    expect(new Set(refusals.map((r) => r.reason))).toEqual(new Set(["unknown", "missing", "malformed", "wrong-role"]));
    expect(refusals.every((r) => r.code === "LASTSEEN_ERR_UNAUTHORIZED" && r.address === "127.0.0.1")).toBe(true);
    // Never the token, nor any long piece of it.
    const log = collector.output();
    for (const secret of [wrong, admin, typo, good]) {
      expect(log).not.toContain(secret);
      expect(log).not.toContain(secret.slice(4, 24));
    }
    // Counted: each refusal carries the running count, and GET /v1/stats has it.
    expect(refusals.map((r) => r.authFailures)).toEqual([1, 2, 3, 4, 5]);
    expect((await collectorStats(collector.url, data)).authFailures).toBe(5);
  });

  it("revoking the token of a connected agent disconnects it within a bounded time, and it stays out", async () => {
    const token = addToken(data, "web2");
    const agent = startAgent(collector.url, token, `${dir.path}/agent2`);
    procs.push(agent);
    // A raw peer (another host) shows the close code and reason a client sees.
    const rawToken = addToken(data, "web2raw");
    const raw = await connectRaw(collector.url, rawToken);
    await raw.hello({ streamId: "raw-web2" });
    await waitFor("web2 connected", () => agent.output().includes("connected to the collector"));

    const revokedAt = Date.now();
    for (const name of ["web2", "web2raw"]) expect(run(COLLECTOR_CLI, ["token", "revoke", name, "--data", data]).code).toBe(0);

    const closed = await Promise.race([raw.closed, new Promise<null>((res) => setTimeout(() => res(null), REVOKE_WITHIN_MS))]);
    expect(closed, "the raw peer was not disconnected in time").toEqual({ code: 4003, reason: "token revoked" });

    await waitFor("the agent is refused with 401", () => agent.output().includes("the collector refused the token (HTTP 401)"), REVOKE_WITHIN_MS);
    expect(Date.now() - revokedAt).toBeLessThan(REVOKE_WITHIN_MS);
    const disc = logLines(agent.output()).find((l) => l.msg === "disconnected from the collector");
    expect(disc, `agent log: ${agent.output()}`).toMatchObject({ code: 4003, reason: "token revoked" });
    expect(await upgradeStatus(collector.url, `Bearer ${token}`)).toBe(401);
    // The host itself is still there; it is just no longer connected.
    const hosts = JSON.parse(run(COLLECTOR_CLI, ["hosts", "--data", data, "--json"]).stdout) as { name: string; state: string }[];
    expect(hosts.find((h) => h.name === "web2")).toBeDefined();
    const log = collector.output();
    expect(log).not.toContain(token);
    expect(log).not.toContain(rawToken);
    expect(logLines(log).some((l) => l.msg.includes("token revoked") && l.host === "web2")).toBe(true);
  });

  it("a revoked token is refused at once for new connections, other hosts stay connected", async () => {
    const keep = addToken(data, "web4");
    const gone = addToken(data, "web5");
    const a = await connectRaw(collector.url, keep);
    await a.hello({ streamId: "s4" });
    expect(run(COLLECTOR_CLI, ["token", "revoke", "web5", "--data", data]).code).toBe(0);
    expect(await upgradeStatus(collector.url, `Bearer ${gone}`)).toBe(401);
    // web4 keeps its connection through the next re-checks.
    await new Promise((r) => setTimeout(r, 5000));
    expect(a.ws.readyState).toBe(a.ws.OPEN);
    a.event(1);
    expect(await a.next("ack")).toEqual({ seq: 1 });
    a.close();
  });
});
