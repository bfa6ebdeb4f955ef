// The interfaces of the foundation issue, exactly as written, on real processes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addToken, AGENT_CLI, COLLECTOR_CLI, run, startAgent, startCollector, tempDir, waitFor, type CollectorProc, type Proc } from "../../helpers/procs.js";

describe("collector and agent, as a user runs them", () => {
  const dir = tempDir();
  const data = `${dir.path}/data`;
  let collector: CollectorProc;
  let agent: Proc;
  let token: string;

  beforeAll(async () => {
    collector = await startCollector(data);
    token = addToken(data, "web1");
    agent = startAgent(collector.url, token, `${dir.path}/agent`);
  });

  afterAll(async () => {
    await agent?.kill();
    await collector?.kill();
    dir.remove();
  });

  it("token add prints only the new token on stdout", () => {
    const r = run(COLLECTOR_CLI, ["token", "add", "other", "--data", data]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^lsa_[A-Za-z0-9_-]{43}\n$/);
  });

  it("hosts --json lists the host up, with its last-seen time and address", async () => {
    const host = await waitFor("web1 up", () => {
      const r = run(COLLECTOR_CLI, ["hosts", "--data", data, "--json"]);
      const hosts = JSON.parse(r.stdout) as { name: string; state: string; lastSeen: string; address: string }[];
      return hosts.find((h) => h.name === "web1" && h.state === "up");
    });
    expect(host.address).toBe("127.0.0.1");
    expect(new Date(host.lastSeen).toISOString()).toBe(host.lastSeen);
    expect(Date.now() - Date.parse(host.lastSeen)).toBeLessThan(10_000);
  });

  it("ip prints just the address, and --json the details", () => {
    const plain = run(COLLECTOR_CLI, ["ip", "web1", "--data", data]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toBe("127.0.0.1\n");
    const json = JSON.parse(run(COLLECTOR_CLI, ["ip", "web1", "--data", data, "--json"]).stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ host: "web1", address: "127.0.0.1", family: 4, source: "peer" });
    expect(typeof json.seenAt).toBe("string");
  });

  it("ip of an unknown host exits 1 with a clear message", () => {
    const r = run(COLLECTOR_CLI, ["ip", "nosuchhost", "--data", data]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain('unknown host "nosuchhost"');
  });

  it("an unreachable collector is a clear error with exit code 3", () => {
    const r = run(COLLECTOR_CLI, ["hosts", "--collector", "http://127.0.0.1:9", "--token", "x"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("cannot reach the collector at http://127.0.0.1:9");
  });

  it("a bad admin token is refused with exit code 4", () => {
    const r = run(COLLECTOR_CLI, ["hosts", "--collector", collector.url, "--token", "lsk_wrong"]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("unknown or revoked token");
  });

  it("the admin token file is private (mode 0600)", async () => {
    const { statSync } = await import("node:fs");
    expect(statSync(`${data}/admin-token`).mode & 0o777).toBe(0o600);
  });

  it("agent status reports a connected agent over its control socket", async () => {
    const s = await waitFor("agent connected", () => {
      const r = run(AGENT_CLI, ["status", "--state", `${dir.path}/agent`, "--json"]);
      const j = JSON.parse(r.stdout) as { running: boolean; connected: boolean };
      return j.connected ? j : null;
    });
    expect(s.running).toBe(true);
  });

  it("the token never appears in either log", () => {
    expect(collector.output()).not.toContain(token);
    expect(agent.output()).not.toContain(token);
  });
});
