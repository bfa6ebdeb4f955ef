import { describe, expect, it } from "vitest";
import {
  addressFamily, classifyAddress, inCidrList, normalizeAddress, parseCidrList, parseHostPort,
} from "../../../proto/ip.js";

describe("normalizeAddress", () => {
  it.each([
    ["192.0.2.1", "192.0.2.1"],
    [" 192.0.2.1 ", "192.0.2.1"],
    ["::ffff:192.0.2.1", "192.0.2.1"],
    ["::FFFF:c000:0201", "192.0.2.1"],
    ["[2001:DB8::1]", "2001:db8::1"],
    ["2001:db8:0:0:0:0:0:1", "2001:db8::1"],
    ["2001:0db8:0000:0000:0001:0000:0000:0001", "2001:db8::1:0:0:1"],
    ["fe80::1%eth0", "fe80::1"],
    ["[fe80::1%25eth0]", "fe80::1"],
    ["::", "::"],
    ["::1", "::1"],
    ["2001:db8::0:1", "2001:db8::1"],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    ["64:ff9b::192.0.2.33", "64:ff9b::c000:221"],
  ])("%s -> %s", (input, want) => {
    expect(normalizeAddress(input)).toBe(want);
  });

  it.each(["", "example.com", "1.2.3", "256.1.1.1", "01.2.3.4", "1.2.3.4%eth0", "2001:db8::1::2", "[1.2.3.4", "1.2.3.4:80", "<b>1.2.3.4</b>", "2001:db8::g"])(
    "rejects %j",
    (input) => {
      expect(normalizeAddress(input)).toBeNull();
    },
  );
});

describe("addressFamily", () => {
  it("tells the family after unmapping", () => {
    expect(addressFamily("::ffff:10.0.0.1")).toBe(4);
    expect(addressFamily("2001:db8::1")).toBe(6);
    expect(addressFamily("garbage")).toBe(0);
  });
});

describe("classifyAddress", () => {
  it.each([
    ["8.8.8.8", "public"],
    ["100.64.0.1", "cgnat"],
    ["100.127.255.254", "cgnat"],
    ["100.128.0.1", "public"],
    ["10.1.2.3", "private"],
    ["172.16.0.1", "private"],
    ["172.32.0.1", "public"],
    ["192.168.178.1", "private"],
    ["127.0.0.1", "loopback"],
    ["169.254.1.1", "link-local"],
    ["192.0.2.5", "documentation"],
    ["198.51.100.5", "documentation"],
    ["203.0.113.5", "documentation"],
    ["224.0.0.251", "multicast"],
    ["255.255.255.255", "reserved"],
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "reserved"],
    ["::ffff:100.64.1.1", "cgnat"],
    ["2a00:1450:4001:80b::200e", "public"],
    ["2001:db8::1", "documentation"],
    ["3fff::1", "documentation"],
    ["fd00::2", "unique-local"],
    ["fe80::1", "link-local"],
    ["ff02::1", "multicast"],
    ["::1", "loopback"],
    ["::", "unspecified"],
    ["100::1", "reserved"],
    ["4000::1", "reserved"],
    ["not an address", "reserved"],
  ])("%s is %s", (addr, scope) => {
    expect(classifyAddress(addr)).toBe(scope);
  });
});

describe("parseCidrList / inCidrList", () => {
  it("matches addresses, prefixes and IPv4-mapped peers", () => {
    const list = parseCidrList(["127.0.0.1", "10.0.0.0/8", "fd00::/8", "::ffff:192.168.0.0/112"], "test");
    expect(inCidrList(list, "127.0.0.1")).toBe(true);
    expect(inCidrList(list, "::ffff:127.0.0.1")).toBe(true);
    expect(inCidrList(list, "127.0.0.2")).toBe(false);
    expect(inCidrList(list, "10.200.3.4")).toBe(true);
    expect(inCidrList(list, "fd12::1")).toBe(true);
    expect(inCidrList(list, "fe80::1")).toBe(false);
    expect(inCidrList(list, "192.168.7.7")).toBe(true);
    expect(inCidrList(list, "garbage")).toBe(false);
  });

  it("names the bad entry", () => {
    expect(() => parseCidrList(["10.0.0.0/33"], "trusted_proxies")).toThrow(/trusted_proxies: "10.0.0.0\/33"/);
    expect(() => parseCidrList(["example.com"], "trusted_proxies")).toThrow(/not an IP address/);
  });
});

describe("parseHostPort", () => {
  it("reads host:port forms", () => {
    expect(parseHostPort("stun.example.net:3478")).toEqual({ host: "stun.example.net", port: 3478 });
    expect(parseHostPort("[2001:db8::1]:19302")).toEqual({ host: "2001:db8::1", port: 19302 });
    expect(parseHostPort("2001:db8::1", 3478)).toEqual({ host: "2001:db8::1", port: 3478 });
    expect(parseHostPort("127.0.0.1", 53)).toEqual({ host: "127.0.0.1", port: 53 });
    expect(parseHostPort("host:0")).toBeNull();
    expect(parseHostPort("host:70000")).toBeNull();
    expect(parseHostPort("a b:1")).toBeNull();
    expect(parseHostPort("host")).toBeNull();
  });
});
