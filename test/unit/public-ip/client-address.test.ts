import { describe, expect, it } from "vitest";
import { clientAddress, forwardedHops, trustedProxyList, xffHops } from "../../../collector/ingest/client-address.js";

const proxies = trustedProxyList(["127.0.0.1", "10.0.0.0/8", "fd00::/8"]);

describe("clientAddress", () => {
  it("uses the socket peer, normalising IPv4-mapped IPv6", () => {
    expect(clientAddress({ remoteAddress: "::ffff:203.0.113.9", headers: {}, trustedProxies: proxies })).toEqual({ address: "203.0.113.9", family: 4, via: "peer" });
    expect(clientAddress({ remoteAddress: "2001:DB8::7", headers: {}, trustedProxies: [] })).toEqual({ address: "2001:db8::7", family: 6, via: "peer" });
  });

  it("ignores X-Forwarded-For from an untrusted peer (spoofing)", () => {
    const r = clientAddress({ remoteAddress: "198.51.100.20", headers: { "x-forwarded-for": "1.2.3.4" }, trustedProxies: proxies });
    expect(r).toEqual({ address: "198.51.100.20", family: 4, via: "peer" });
  });

  it("ignores forwarding headers entirely when no proxy is trusted", () => {
    const r = clientAddress({ remoteAddress: "127.0.0.1", headers: { "x-forwarded-for": "1.2.3.4", forwarded: "for=1.2.3.4" }, trustedProxies: [] });
    expect(r.via).toBe("peer");
    expect(r.address).toBe("127.0.0.1");
  });

  it("takes the rightmost untrusted hop of a trusted proxy's X-Forwarded-For", () => {
    // The client forged "6.6.6.6"; nginx appended the real peer 203.0.113.7; an inner proxy 10.0.0.5.
    const r = clientAddress({
      remoteAddress: "::ffff:127.0.0.1",
      headers: { "x-forwarded-for": "6.6.6.6, 203.0.113.7, 10.0.0.5" },
      trustedProxies: proxies,
    });
    expect(r).toEqual({ address: "203.0.113.7", family: 4, via: "x-forwarded-for" });
  });

  it("joins repeated headers and accepts ports and bare IPv6 in X-Forwarded-For", () => {
    const r = clientAddress({ remoteAddress: "127.0.0.1", headers: { "x-forwarded-for": ["6.6.6.6", "2001:db8::9"] }, trustedProxies: proxies });
    expect(r).toEqual({ address: "2001:db8::9", family: 6, via: "x-forwarded-for" });
    expect(xffHops("203.0.113.7:4711, [2001:db8::1]:80, ::ffff:10.1.1.1")).toEqual(["203.0.113.7", "2001:db8::1", "10.1.1.1"]);
  });

  it("stops at garbage: nothing left of it can be trusted", () => {
    const r = clientAddress({ remoteAddress: "127.0.0.1", headers: { "x-forwarded-for": "203.0.113.7, <script>, 10.0.0.5" }, trustedProxies: proxies });
    // The hop written by 10.0.0.5's upstream is garbage, so the nearest known hop (10.0.0.5) is it.
    expect(r).toEqual({ address: "10.0.0.5", family: 4, via: "x-forwarded-for" });
    const empty = clientAddress({ remoteAddress: "127.0.0.1", headers: { "x-forwarded-for": "   " }, trustedProxies: proxies });
    expect(empty).toEqual({ address: "127.0.0.1", family: 4, via: "peer" });
    const huge = clientAddress({ remoteAddress: "127.0.0.1", headers: { "x-forwarded-for": "x".repeat(100_000) }, trustedProxies: proxies });
    expect(huge.via).toBe("peer");
  });

  it("when every hop is trusted, the leftmost one is the client", () => {
    const r = clientAddress({ remoteAddress: "127.0.0.1", headers: { "x-forwarded-for": "10.0.0.9, 10.0.0.5" }, trustedProxies: proxies });
    expect(r).toEqual({ address: "10.0.0.9", family: 4, via: "x-forwarded-for" });
  });

  it("reads RFC 7239 Forwarded only when told to, and then not X-Forwarded-For", () => {
    const headers = {
      forwarded: 'for=6.6.6.6, for="[2001:db8:cafe::17]:4711";proto=https;by=10.0.0.5, for=10.0.0.5',
      "x-forwarded-for": "7.7.7.7",
    };
    expect(clientAddress({ remoteAddress: "127.0.0.1", headers, trustedProxies: proxies, header: "forwarded" })).toEqual({
      address: "2001:db8:cafe::17", family: 6, via: "forwarded",
    });
    // A proxy that writes X-Forwarded-For: a client-sent Forwarded header is not looked at.
    expect(clientAddress({ remoteAddress: "127.0.0.1", headers, trustedProxies: proxies }).address).toBe("7.7.7.7");
  });

  it("parses Forwarded strictly", () => {
    expect(forwardedHops('for="_hidden", for=unknown, For=192.0.2.60:80, for="[::ffff:192.0.2.1]", for=2001:db8::1')).toEqual([
      null, null, "192.0.2.60", "192.0.2.1", null,
    ]);
    // A quoted comma does not split elements.
    expect(forwardedHops('for="[2001:db8::1]";x="a,b", for=192.0.2.2')).toEqual(["2001:db8::1", "192.0.2.2"]);
    expect(forwardedHops("for=1.2.3.4;for=5.6.7.8")).toEqual([null]);
  });

  it("a PROXY protocol address replaces the peer; a trusted one still consults the header", () => {
    expect(clientAddress({ remoteAddress: "10.9.9.9", proxyProtocolAddress: "203.0.113.50", headers: { "x-forwarded-for": "6.6.6.6" }, trustedProxies: proxies })).toEqual({
      address: "203.0.113.50", family: 4, via: "proxy-protocol",
    });
    expect(clientAddress({ remoteAddress: "10.9.9.9", proxyProtocolAddress: "10.0.0.7", headers: { "x-forwarded-for": "203.0.113.51" }, trustedProxies: proxies }).address).toBe("203.0.113.51");
  });

  it("rejects bad trusted_proxies entries with a stable code", () => {
    expect(() => trustedProxyList(["10.0.0.0/8", "nope"])).toThrow(expect.objectContaining({ code: "LASTSEEN_ERR_TRUSTED_PROXY" }));
    expect(() => clientAddress({ remoteAddress: undefined, headers: {}, trustedProxies: [] })).toThrow(expect.objectContaining({ code: "LASTSEEN_ERR_TRUSTED_PROXY" }));
  });
});
