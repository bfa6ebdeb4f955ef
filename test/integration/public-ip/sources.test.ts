// Each public-IP source against a real server the test starts on loopback (never the internet):
// DNS echo (OpenDNS and Cloudflare styles), HTTP echo, NAT-PMP and UPnP IGD, over IPv4 and ::1.
import { afterEach, describe, expect, it } from "vitest";
import { dnsEcho } from "../../../agent/probes/public-ip/dns-echo.js";
import { httpEcho } from "../../../agent/probes/public-ip/http-echo.js";
import { natPmpExternalAddress } from "../../../agent/probes/public-ip/natpmp.js";
import { upnpExternalAddress } from "../../../agent/probes/public-ip/upnp.js";
import { rdata, startDnsEchoServer } from "../../helpers/dns-echo-server.js";
import { startHttpEchoServer } from "../../helpers/http-echo-server.js";
import { startNatPmpResponder, startUpnpGateway } from "../../helpers/router-sim.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});
function later<T extends { close(): Promise<void> }>(x: T): T {
  cleanups.push(() => x.close());
  return x;
}

describe("DNS echo", () => {
  it("OpenDNS style: A over IPv4, AAAA over IPv6 (::1)", async () => {
    const v4 = later(await startDnsEchoServer({ host: "127.0.0.1" }));
    const v6 = later(await startDnsEchoServer({ host: "::1" }));
    expect(await dnsEcho({ service: "opendns", address: "127.0.0.1", port: v4.port, timeoutMs: 3000 })).toBe("127.0.0.1");
    expect(await dnsEcho({ service: "opendns", address: "::1", port: v6.port, timeoutMs: 3000 })).toBe("::1");
    expect(v4.queries[0]).toMatchObject({ name: "myip.opendns.com", type: 1, cls: 1 });
    expect(v6.queries[0]).toMatchObject({ name: "myip.opendns.com", type: 28, cls: 1 });
  });

  it("Cloudflare style: CH TXT whoami.cloudflare", async () => {
    const v6 = later(await startDnsEchoServer({ host: "::1" }));
    expect(await dnsEcho({ service: "cloudflare", address: "::1", port: v6.port, timeoutMs: 3000 })).toBe("::1");
    expect(v6.queries[0]).toMatchObject({ name: "whoami.cloudflare", type: 16, cls: 3 });
  });

  it.each([
    ["two answers", { records: [{ type: 1, cls: 1, data: rdata.a("192.0.2.1") }, { type: 1, cls: 1, data: rdata.a("192.0.2.2") }] }, /2 answers/],
    ["no answer", { records: [] }, /0 answers/],
    ["NXDOMAIN", { rcode: 3 }, /response code 3/],
    ["a 5-byte A record", { records: [{ type: 1, cls: 1, data: Buffer.alloc(5) }] }, /A record of 5 bytes/],
    ["an answer for another name", { records: [{ type: 1, cls: 1, data: rdata.a("192.0.2.1"), name: "evil.example" }] }, /0 answers/],
  ])("rejects %s", async (_n, spec, message) => {
    const s = later(await startDnsEchoServer({ host: "127.0.0.1", answer: () => spec }));
    await expect(dnsEcho({ service: "opendns", address: "127.0.0.1", port: s.port, timeoutMs: 3000 })).rejects.toThrow(message);
  });

  it("rejects HTML or two addresses in the TXT answer", async () => {
    for (const txt of [["<html>1.2.3.4</html>"], ["192.0.2.1 192.0.2.2"], ["192.0.2.1", "192.0.2.2"]]) {
      const s = later(await startDnsEchoServer({ host: "127.0.0.1", answer: () => ({ records: [{ type: 16, cls: 3, data: rdata.txt(...txt) }] }) }));
      await expect(dnsEcho({ service: "cloudflare", address: "127.0.0.1", port: s.port, timeoutMs: 3000 })).rejects.toThrow(
        expect.objectContaining({ code: "LASTSEEN_ERR_IP_BAD_ANSWER" }),
      );
    }
  });

  it("ignores a datagram with another id and keeps waiting for the real answer", async () => {
    let n = 0;
    const s = later(await startDnsEchoServer({
      host: "127.0.0.1",
      answer: (q) => (n++ === 0 ? { raw: Buffer.from([(q.id + 1) & 0xff, 0, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0]) } : { records: [{ type: 1, cls: 1, data: rdata.a("192.0.2.9") }] }),
    }));
    // The first query gets only the stray datagram; the retransmission (after 1 s) gets the answer.
    expect(await dnsEcho({ service: "opendns", address: "127.0.0.1", port: s.port, timeoutMs: 5000 })).toBe("192.0.2.9");
    expect(s.queries.length).toBe(2);
  });

  it("times out with a stable code when nothing answers", async () => {
    const s = later(await startDnsEchoServer({ host: "127.0.0.1", answer: () => ({ drop: true }) }));
    await expect(dnsEcho({ service: "opendns", address: "127.0.0.1", port: s.port, timeoutMs: 300 })).rejects.toThrow(
      expect.objectContaining({ code: "LASTSEEN_ERR_IP_TIMEOUT" }),
    );
  });
});

describe("HTTP echo", () => {
  it("reads a plain-text address over IPv4 and over ::1", async () => {
    const v4 = later(await startHttpEchoServer({ host: "127.0.0.1" }));
    const v6 = later(await startHttpEchoServer({ host: "::1" }));
    expect(await httpEcho({ url: v4.url, family: 4, timeoutMs: 3000 })).toBe("127.0.0.1");
    expect(await httpEcho({ url: v6.url, family: 6, timeoutMs: 3000 })).toBe("::1");
    expect(v4.requests[0]!.headers.accept).toBe("text/plain");
  });

  it("pins the family when the URL has a name: IPv6 never falls back to the IPv4 server", async () => {
    const v4 = later(await startHttpEchoServer({ host: "127.0.0.1" }));
    const url = `http://localhost:${v4.port}/`;
    expect(await httpEcho({ url, family: 4, timeoutMs: 3000 })).toBe("127.0.0.1");
    // localhost has no IPv6 address here, or ::1 where nothing listens: either way no answer.
    await expect(httpEcho({ url, family: 6, timeoutMs: 3000 })).rejects.toThrow(expect.objectContaining({ code: "LASTSEEN_ERR_IP_UNREACHABLE" }));
    expect(v4.requests).toHaveLength(1);
  });

  it.each([
    ["HTML", "text/html", "<html><body>Your IP is 127.0.0.1</body></html>", /text\/html, not text\/plain/],
    ["HTML served as text", "text/plain", "<b>127.0.0.1</b>", /not exactly one IP address/],
    ["two addresses", "text/plain", "127.0.0.1, 10.0.0.1", /not exactly one IP address/],
    ["JSON", "application/json", '{"ip":"127.0.0.1"}', /application\/json/],
    ["a header echo", "text/plain", "X-Forwarded-For: 127.0.0.1", /not exactly one IP address/],
    ["an oversized body", "text/plain", "1".repeat(10_000), /exceeds 128 bytes|longer than 128 bytes/],
  ])("rejects %s", async (_n, type, body, message) => {
    const s = later(await startHttpEchoServer({ host: "127.0.0.1", handler: (_q, res) => res.writeHead(200, { "content-type": type }).end(body) }));
    await expect(httpEcho({ url: s.url, family: 4, timeoutMs: 3000 })).rejects.toThrow(message);
  });

  it("rejects an oversized chunked body while streaming", async () => {
    const s = later(await startHttpEchoServer({
      host: "127.0.0.1",
      handler: (_q, res) => {
        res.writeHead(200, { "content-type": "text/plain" });
        for (let i = 0; i < 100; i++) res.write("1234567890");
        res.end();
      },
    }));
    await expect(httpEcho({ url: s.url, family: 4, timeoutMs: 3000 })).rejects.toThrow(/longer than 128 bytes/);
  });

  it("does not follow redirects and reports HTTP errors", async () => {
    const s = later(await startHttpEchoServer({ host: "127.0.0.1", handler: (req, res) => (req.url === "/r" ? res.writeHead(302, { location: "/" }).end() : res.writeHead(503).end()) }));
    await expect(httpEcho({ url: `${s.url}r`, family: 4, timeoutMs: 3000 })).rejects.toThrow(/HTTP 302/);
    await expect(httpEcho({ url: s.url, family: 4, timeoutMs: 3000 })).rejects.toThrow(expect.objectContaining({ code: "LASTSEEN_ERR_IP_SERVER_ERROR" }));
  });

  it("refuses to ask an IPv4 literal URL about IPv6", async () => {
    await expect(httpEcho({ url: "http://127.0.0.1:9/", family: 6, timeoutMs: 1000 })).rejects.toThrow(/other family/);
  });
});

describe("router sources", () => {
  it("NAT-PMP: external address from a responder on loopback", async () => {
    const r = later(await startNatPmpResponder({ external: "100.64.7.8" }));
    expect(await natPmpExternalAddress({ gateway: "127.0.0.1", port: r.port, timeoutMs: 3000 })).toBe("100.64.7.8");
    expect(r.requests).toBe(1);
  });

  it("NAT-PMP: a result code is an error", async () => {
    const r = later(await startNatPmpResponder({ external: "0.0.0.0", result: 3 }));
    await expect(natPmpExternalAddress({ gateway: "127.0.0.1", port: r.port, timeoutMs: 3000 })).rejects.toThrow(/network failure/);
  });

  it("UPnP IGD: SSDP search (unicast to the test's responder), description, SOAP", async () => {
    const g = later(await startUpnpGateway({ external: "198.51.100.77" }));
    expect(await upnpExternalAddress({ ssdpTarget: { address: "127.0.0.1", port: g.ssdpPort }, timeoutMs: 3000 })).toBe("198.51.100.77");
    expect(g.searches).toContain("urn:schemas-upnp-org:service:WANIPConnection:1");
    expect(g.soapActions).toEqual(['"urn:schemas-upnp-org:service:WANIPConnection:1#GetExternalIPAddress"']);
  });

  it("UPnP IGD: a LOCATION on another host is not followed", async () => {
    const g = later(await startUpnpGateway({ external: "198.51.100.77", location: (port) => `http://127.0.0.2:${port}/rootDesc.xml` }));
    await expect(upnpExternalAddress({ ssdpTarget: { address: "127.0.0.1", port: g.ssdpPort }, timeoutMs: 800 })).rejects.toThrow(
      expect.objectContaining({ code: "LASTSEEN_ERR_IP_TIMEOUT" }),
    );
    expect(g.soapActions).toEqual([]);
  });
});
