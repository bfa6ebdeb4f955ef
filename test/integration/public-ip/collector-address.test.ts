// What the collector records as a host's address, end to end: real agent processes and raw agent
// connections from chosen loopback addresses, a forwarding proxy in front of the collector, IPv6
// on ::1, the agent's public-IP probe against the collector's own STUN responder, and a host whose
// connection and own report disagree. `lastseen ip` runs as a real process.
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { IpHistoryEntry, IpView } from "../../../collector/queries/index.js";
import type { AddressReport } from "../../../proto/types.js";
import { AGENT_CLI, startAgent, tempDir, waitFor, type Proc } from "../../helpers/procs.js";
import { addToken, connectAgent, lastseen, lastseenJson, startForwardingProxy, startFromToml, type ForwardingProxy, type InProcessCollector } from "./ip-peers.js";

const dir = tempDir("lastseen-collector-ip-");
afterAll(() => dir.remove());

let collector: InProcessCollector | null = null;
const agents: Proc[] = [];
let proxy: ForwardingProxy | null = null;
afterEach(async () => {
  for (const a of agents.splice(0)) await a.kill();
  await proxy?.close();
  proxy = null;
  await collector?.stop();
  collector = null;
});

/** Starts a real agent (`lastseen-agent run`) with an agent config file; waits for its Welcome. */
async function realAgent(url: string, token: string, name: string, toml = ""): Promise<{ proc: Proc; state: string }> {
  const state = join(dir.path, `agent-${name}`);
  const file = join(dir.path, `agent-${name}.toml`);
  writeFileSync(file, toml);
  const proc = startAgent(url, token, state, ["--config", file]);
  agents.push(proc);
  await waitFor(`agent ${name} connected`, () => {
    if (proc.child.exitCode !== null) throw new Error(`agent ${name} exited: ${proc.output()}`);
    return proc.output().includes("connected to the collector");
  });
  return { proc, state };
}

/** `lastseen-agent ARGS` (asynchronous: the collector it talks to runs in this process). */
function agentCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [AGENT_CLI, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

describe("client address through the collector", () => {
  it("ignores a spoofed X-Forwarded-For from an untrusted peer and honours the trusted proxy's", async () => {
    collector = await startFromToml(join(dir.path, "xff"), 'trusted_proxies = ["127.0.0.2"]');
    const { data, c } = collector;
    proxy = await startForwardingProxy(c.url, "127.0.0.2");

    // Straight to the collector from an untrusted address, with a forged header.
    const spoofer = addToken(data, "spoofer");
    const direct = await connectAgent(c.url, spoofer, { localAddress: "127.0.0.3", headers: { "x-forwarded-for": "203.0.113.66" } });
    expect(direct.welcome.observedAddress).toBe("127.0.0.3");
    await direct.close();
    expect((await lastseen(data, "ip", "spoofer")).stdout).toBe("127.0.0.3\n");

    // Through the proxy (which connects from 127.0.0.2, trusted), with the same forged header:
    // the proxy appends the real client, the rightmost untrusted hop, and the forged value left of
    // it is never taken.
    const behind = addToken(data, "behind");
    const proxied = await connectAgent(proxy.url, behind, { localAddress: "127.0.0.4", headers: { "x-forwarded-for": "203.0.113.66" } });
    expect(proxied.welcome.observedAddress).toBe("127.0.0.4");
    await proxied.close();
    expect((await lastseen(data, "ip", "behind")).stdout).toBe("127.0.0.4\n");

    // A real agent through the proxy: the collector's peer is the proxy (127.0.0.2), the recorded
    // address is the agent's own (127.0.0.1).
    const real = addToken(data, "real");
    await realAgent(proxy.url, real, "real", "[public_ip]\nenabled = false\n");
    const view = await lastseenJson<IpView>(data, "ip", "real");
    expect(view).toMatchObject({ host: "real", address: "127.0.0.1", family: 4, source: "peer" });

    const hist = await lastseenJson<IpHistoryEntry[]>(data, "ip", "spoofer", "--history");
    expect(hist.map((h) => h.address)).toEqual(["127.0.0.3"]);
  });

  it("IPv6 on ::1: a collector on [::1], a real agent to ws://[::1]:PORT, its STUN probe over IPv6", async () => {
    collector = await startFromToml(join(dir.path, "v6"), 'stun = "[::1]:0"', { listen: "[::1]:0" });
    const { data, c } = collector;
    expect(c.url).toMatch(/^http:\/\/\[::1\]:\d+$/);
    const token = addToken(data, "v6host");
    const { state } = await realAgent(c.url, token, "v6host", "[public_ip]\nfamilies = [4, 6]\n");

    expect(await lastseen(data, "ip", "v6host", "-6")).toMatchObject({ code: 0, stdout: "::1\n" });
    // IPv4 first when both are known; only IPv6 is known here, so that is the answer.
    expect(await lastseen(data, "ip", "v6host")).toMatchObject({ code: 0, stdout: "::1\n" });
    const v4 = await lastseen(data, "ip", "v6host", "-4");
    expect(v4.code).toBe(1);
    expect(v4.stderr).toContain('no IPv4 address known for host "v6host"');

    // The probe asks the collector's STUN responder at ::1 (the first run was before the Welcome).
    const t = await agentCli("trigger", "public-ip", "--state", state);
    expect(t.code, t.stderr).toBe(0);
    const hist = await waitFor("the agent's report", async () => {
      const h = await lastseenJson<IpHistoryEntry[]>(data, "ip", "v6host", "--history");
      return h[0]?.sources.includes("stun") ? h : null;
    });
    expect(hist).toEqual([expect.objectContaining({ address: "::1", family: 6, sources: ["peer", "collector", "stun"] })]);
  });

  it("the agent's public-ip probe end to end: STUN on port 0, the real port in Welcome, source stun in history", async () => {
    collector = await startFromToml(join(dir.path, "stun"), 'stun = "127.0.0.1:0"');
    const { data, c } = collector;
    expect(c.stunPort).toBeGreaterThan(0);
    const token = addToken(data, "home");

    // Welcome announces the port the responder really got.
    const raw = await connectAgent(c.url, addToken(data, "probe"), { localAddress: "127.0.0.1" });
    expect(raw.welcome.stunPort).toBe(c.stunPort);
    await raw.close();

    const { state } = await realAgent(c.url, token, "home", "[public_ip]\nfamilies = [4]\n");
    const t = await agentCli("trigger", "public-ip", "--state", state);
    expect(t.code, t.stderr).toBe(0);
    const hist = await waitFor("the agent's report", async () => {
      const h = await lastseenJson<IpHistoryEntry[]>(data, "ip", "home", "--history");
      return h[0]?.sources.includes("stun") ? h : null;
    });
    expect(hist).toHaveLength(1);
    expect(hist[0]).toMatchObject({ address: "127.0.0.1", family: 4 });
    expect(hist[0]!.sources).toEqual(expect.arrayContaining(["peer", "stun"]));
    expect((await lastseen(data, "ip", "home")).stdout).toBe("127.0.0.1\n");
    const view = await lastseenJson<IpView>(data, "ip", "home");
    expect(view.disagreement).toBeUndefined();
  });

  it("a connection and a report that disagree do not make the address flap", async () => {
    collector = await startFromToml(join(dir.path, "vpn"), "");
    const { data, c } = collector;
    const token = addToken(data, "vpn");
    const report = (address: string): AddressReport => ({
      observations: [], disagreements: [],
      accepted: [{ address, family: 4, sources: ["stun:collector", "dns:opendns"], scope: "loopback" }],
    });

    // The connection comes from 127.0.0.8; the agent's own sources see 127.0.0.9 (a VPN path to
    // the collector, say). Same class of address: the newer news wins, the report.
    const a = await connectAgent(c.url, token, { localAddress: "127.0.0.8", streamId: "s1" });
    await a.report(1, report("127.0.0.9"));
    await a.close();
    expect((await lastseen(data, "ip", "vpn")).stdout).toBe("127.0.0.9\n");

    // Both keep saying the same: reconnects and repeated reports change nothing.
    for (let i = 0; i < 3; i++) {
      const again = await connectAgent(c.url, token, { localAddress: "127.0.0.8", streamId: "s1" });
      await again.report(2 + i, report("127.0.0.9"));
      await again.close();
    }
    const hist = await lastseenJson<IpHistoryEntry[]>(data, "ip", "vpn", "--history");
    expect(hist.map((h) => [h.address, h.sources])).toEqual([["127.0.0.9", ["stun", "dns"]], ["127.0.0.8", ["peer"]]]);
    const view = await lastseenJson<IpView>(data, "ip", "vpn");
    expect(view).toMatchObject({ address: "127.0.0.9", sources: ["stun", "dns"], disagreement: { feed: "peer", address: "127.0.0.8", sources: ["peer"] } });

    // A real change of the connection's address is news again.
    const moved = await connectAgent(c.url, token, { localAddress: "127.0.0.10", streamId: "s1" });
    await moved.close();
    expect((await lastseen(data, "ip", "vpn")).stdout).toBe("127.0.0.10\n");
    const after = await lastseenJson<IpHistoryEntry[]>(data, "ip", "vpn", "--history");
    expect(after.map((h) => h.address)).toEqual(["127.0.0.10", "127.0.0.9", "127.0.0.8"]);
  });
});
