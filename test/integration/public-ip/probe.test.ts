// The whole public-IP probe on loopback: the collector's STUN responder, DNS and HTTP echo servers
// and a simulated router, over IPv4 and ::1, with sources that disagree; and `lastseen-agent ip`.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ipCommand } from "../../../agent/commands/ip.js";
import { DEFAULT_PUBLIC_IP_OPTIONS } from "../../../agent/probes/public-ip/config.js";
import type { PublicIpOptions } from "../../../agent/probes/public-ip/config.js";
import { createPublicIpProbe } from "../../../agent/probes/public-ip/probe.js";
import { startStunResponder } from "../../../collector/stun/responder.js";
import type { StunResponder } from "../../../collector/stun/responder.js";
import { checkBody, decodeEnvelope, encodeEnvelope } from "../../../proto/codec.js";
import type { AddressReport } from "../../../proto/types.js";
import { echoAnswer, rdata, startDnsEchoServer } from "../../helpers/dns-echo-server.js";
import type { DnsEchoServer } from "../../helpers/dns-echo-server.js";
import { startHttpEchoServer } from "../../helpers/http-echo-server.js";
import type { HttpEchoServer } from "../../helpers/http-echo-server.js";
import { startNatPmpResponder } from "../../helpers/router-sim.js";
import type { NatPmpResponder } from "../../helpers/router-sim.js";

const quiet = { info: () => {}, warn: () => {}, debug: () => {} };
const log = { ...quiet, error: () => {}, trace: () => {}, fatal: () => {}, child: () => log } as never;

let stun: StunResponder;
let dns4: DnsEchoServer;
let dns6: DnsEchoServer;
let http4: HttpEchoServer;
let http6: HttpEchoServer;
let natpmp: NatPmpResponder;
/** What the IPv4 DNS echo claims: the test flips it to make the sources agree or disagree. */
let dnsClaim = "127.0.0.5";

const fakeInterfaces = () => ({
  lo: [{ address: "127.0.0.1", netmask: "255.0.0.0", family: "IPv4" as const, mac: "00:00:00:00:00:00", internal: true, cidr: "127.0.0.1/8" }],
  eth0: [
    { address: "192.168.1.10", netmask: "255.255.255.0", family: "IPv4" as const, mac: "02:00:00:00:00:01", internal: false, cidr: "192.168.1.10/24" },
    { address: "fe80::1", netmask: "ffff:ffff:ffff:ffff::", family: "IPv6" as const, mac: "02:00:00:00:00:01", internal: false, cidr: "fe80::1/64", scopeid: 2 },
  ],
});

beforeAll(async () => {
  stun = await startStunResponder({ host: ["127.0.0.1", "::1"], port: 0, log: quiet });
  dns4 = await startDnsEchoServer({
    host: "127.0.0.1",
    answer: (q) => (q.type === 1 ? { records: [{ type: 1, cls: 1, data: rdata.a(dnsClaim) }] } : echoAnswer(q)),
  });
  dns6 = await startDnsEchoServer({ host: "::1" });
  http4 = await startHttpEchoServer({ host: "127.0.0.1" });
  http6 = await startHttpEchoServer({ host: "::1" });
  natpmp = await startNatPmpResponder({ external: "100.64.7.8" });
});

afterAll(async () => {
  await Promise.all([stun?.close(), dns4?.close(), dns6?.close(), http4?.close(), http6?.close(), natpmp?.close()]);
});

function options(extra: Partial<PublicIpOptions> = {}): Partial<PublicIpOptions> {
  return {
    dns: [
      { service: "opendns", server: { address: "127.0.0.1", port: dns4.port } },
      { service: "cloudflare", server: { address: "::1", port: dns6.port } },
    ],
    http: [http4.url, http6.url],
    natpmp: true,
    timeoutMs: 2000,
    ...extra,
  };
}

function probe(extra: Partial<PublicIpOptions> = {}, observed = "::ffff:127.0.0.1") {
  return createPublicIpProbe({
    options: options(extra),
    collector: () => ({ host: "127.0.0.1", stunPort: stun.port, observedAddress: observed }),
    seams: { networkInterfaces: fakeInterfaces, natpmpGateway: "127.0.0.1", natpmpPort: natpmp.port },
  });
}

const ctx = () => ({ log, signal: new AbortController().signal });

describe("public-ip probe", () => {
  it("has the documented defaults", () => {
    const p = createPublicIpProbe();
    expect(p.name).toBe("public-ip");
    expect(p.intervalMs).toBe(DEFAULT_PUBLIC_IP_OPTIONS.intervalMs);
    expect(p.intervalMs).toBe(5 * 60_000);
  });

  it("accepts what independent sources agree on and reports the source that disagrees", async () => {
    dnsClaim = "127.0.0.5";
    const result = await probe().collect(ctx());
    expect(result).not.toBeNull();
    expect(result!.body.kind).toBe("addressReport");
    const report = result!.body.value as AddressReport;

    const v4 = report.accepted.find((a) => a.family === 4);
    expect(v4).toMatchObject({ address: "127.0.0.1", scope: "loopback" });
    expect(v4!.sources).toEqual(expect.arrayContaining(["collector", "stun:collector", "http:127.0.0.1"]));
    expect(v4!.sources).not.toContain("dns:opendns");

    // IPv6 over ::1: STUN (pinned to the collector's IPv4 literal: no IPv6 STUN), Cloudflare DNS, HTTP.
    const v6 = report.accepted.find((a) => a.family === 6);
    expect(v6).toMatchObject({ address: "::1", scope: "loopback" });
    expect(v6!.sources).toEqual(["dns:cloudflare", "http:[::1]"]);

    expect(report.disagreements).toContain("IPv4: sources disagree: 127.0.0.1 (collector, http:127.0.0.1, stun:collector); 127.0.0.5 (dns:opendns)");
    expect(report.disagreements.some((d) => /router WAN address 100\.64\.7\.8 \(natpmp\) is CGNAT/.test(d))).toBe(true);

    const sources = report.observations.map((o) => `${o.source}/${o.family}/${o.address || o.error.split(":")[0]}`);
    expect(sources).toEqual(expect.arrayContaining([
      "stun/4/127.0.0.1", "dns/4/127.0.0.5", "dns/6/::1", "http/4/127.0.0.1", "http/6/::1",
      "natpmp/4/100.64.7.8", "collector/4/127.0.0.1", "interface/4/192.168.1.10", "interface/6/fe80::1",
    ]));
    // The collector is an IPv4 literal: no IPv6 STUN query is made at all.
    expect(report.observations.filter((o) => o.source === "stun" && o.family === 6)).toEqual([]);

    // What the agent would spool passes the collector's validation.
    expect(() => checkBody(result!.body)).not.toThrow();
    const env = decodeEnvelope(encodeEnvelope({ seq: 1, eventId: "e1", sentAtMs: 1, body: result!.body }));
    expect(env.body).toEqual(checkBody(result!.body));
  });

  it("IPv6 STUN to the collector on ::1", async () => {
    const p = createPublicIpProbe({
      options: { families: [6], interfaces: false, timeoutMs: 2000, http: [http6.url] },
      collector: () => ({ host: "::1", stunPort: stun.port }),
    });
    const report = (await p.collect(ctx()))!.body.value as AddressReport;
    expect(report.observations.map((o) => [o.source, o.detail, o.address])).toEqual([
      ["stun", `collector [::1]:${stun.port}`, "::1"],
      ["http", http6.url, "::1"],
    ]);
    expect(report.accepted).toEqual([{ address: "::1", family: 6, sources: ["http:[::1]", "stun:collector"], scope: "loopback" }]);
  });

  it("the fingerprint ignores round-trip times but changes when the disagreement goes away", async () => {
    dnsClaim = "127.0.0.5";
    const p = probe();
    const a = await p.collect(ctx());
    const b = await p.collect(ctx());
    expect(a!.fingerprint).toBe(b!.fingerprint);
    dnsClaim = "127.0.0.1";
    const c = await p.collect(ctx());
    expect(c!.fingerprint).not.toBe(a!.fingerprint);
    const report = c!.body.value as AddressReport;
    expect(report.disagreements.filter((d) => d.includes("sources disagree"))).toEqual([]);
    expect(report.accepted.find((x) => x.family === 4)!.sources).toContain("dns:opendns");
  });

  it("a silent source becomes an error observation within the timeout, and the rest still work", async () => {
    const dead = await startDnsEchoServer({ host: "127.0.0.1", answer: () => ({ drop: true }) });
    try {
      const p = createPublicIpProbe({
        options: { families: [4], interfaces: false, timeoutMs: 500, dns: [{ service: "opendns", server: { address: "127.0.0.1", port: dead.port } }], http: [http4.url] },
        collector: () => ({ host: "127.0.0.1", stunPort: stun.port }),
      });
      const report = (await p.collect(ctx()))!.body.value as AddressReport;
      const dnsObs = report.observations.find((o) => o.source === "dns")!;
      expect(dnsObs.address).toBe("");
      expect(dnsObs.error).toMatch(/^LASTSEEN_ERR_IP_TIMEOUT: no answer from 127\.0\.0\.1:\d+ within 500 ms/);
      expect(report.accepted).toMatchObject([{ address: "127.0.0.1", sources: ["http:127.0.0.1", "stun:collector"] }]);
    } finally {
      await dead.close();
    }
  });

  it("reports nothing when disabled", async () => {
    expect(await createPublicIpProbe({ options: { enabled: false } }).collect(ctx())).toBeNull();
  });
});

describe("lastseen-agent ip", () => {
  function capture() {
    let text = "";
    return { out: { write: (s: string) => (text += s) }, text: () => text };
  }

  it("prints a table of what each source said, then the accepted addresses", async () => {
    dnsClaim = "127.0.0.5";
    const c = capture();
    const code = await ipCommand(
      {
        collector: "wss://127.0.0.1:7443/",
        collectorStunPort: stun.port,
        stun: [`[::1]:${stun.port}`],
        options: options({ natpmp: false, interfaces: false }),
      },
      c.out,
    );
    const text = c.text();
    expect(code).toBe(0);
    expect(text).toMatch(/^SOURCE\s+FAMILY\s+ADDRESS\s+RTT\s+DETAIL$/m);
    expect(text).toMatch(new RegExp(`^stun\\s+IPv4\\s+127\\.0\\.0\\.1\\s+\\d+ ms\\s+collector 127\\.0\\.0\\.1:${stun.port}$`, "m"));
    expect(text).toMatch(new RegExp(`^stun\\s+IPv6\\s+::1\\s+\\d+ ms\\s+\\[::1\\]:${stun.port}$`, "m"));
    expect(text).toMatch(/^dns\s+IPv4\s+127\.0\.0\.5\s/m);
    expect(text).toMatch(/^IPv4 {2}127\.0\.0\.1 {2}loopback {2}\(agreed: http:127\.0\.0\.1, stun:collector\)$/m);
    expect(text).toMatch(/^IPv6 {2}::1 {2}loopback {2}\(agreed: dns:cloudflare, http:\[::1\], stun:::1\)$/m);
    expect(text).toMatch(/^! IPv4: sources disagree: 127\.0\.0\.1 \(http:127\.0\.0\.1, stun:collector\); 127\.0\.0\.5 \(dns:opendns\)$/m);
  });

  it("--json prints the observations, accepted addresses and disagreements", async () => {
    const c = capture();
    const code = await ipCommand({ json: true, collector: "ws://127.0.0.1:1/", collectorStunPort: stun.port, options: { families: [4], interfaces: false, http: [http4.url] } }, c.out);
    expect(code).toBe(0);
    const j = JSON.parse(c.text()) as { observations: Array<Record<string, unknown>>; accepted: unknown[]; disagreements: string[] };
    expect(j.observations).toEqual([
      expect.objectContaining({ source: "stun", group: "stun:collector", family: 4, address: "127.0.0.1", error: null }),
      expect.objectContaining({ source: "http", group: "http:127.0.0.1", family: 4, address: "127.0.0.1", error: null }),
    ]);
    expect(j.accepted).toEqual([{ address: "127.0.0.1", family: 4, sources: ["http:127.0.0.1", "stun:collector"], scope: "loopback" }]);
    expect(j.disagreements).toEqual([]);
  });

  it("exits 1 when nothing could be accepted and 2 on a bad argument", async () => {
    const c = capture();
    expect(await ipCommand({ collector: "ws://127.0.0.1:1/", collectorStunPort: stun.port, options: { families: [4], interfaces: false } }, c.out)).toBe(1);
    expect(c.text()).toMatch(/^IPv4 {2}none accepted/m);
    const bad = capture();
    expect(await ipCommand({ stun: ["http://x/"] }, bad.out)).toBe(2);
    expect(bad.text()).toMatch(/is not a STUN server/);
    const badUrl = capture();
    expect(await ipCommand({ collector: "not a url" }, badUrl.out)).toBe(2);
  });
});
