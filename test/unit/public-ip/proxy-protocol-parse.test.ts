import { describe, expect, it } from "vitest";
import { encodeProxyV2, parseProxyHeader } from "../../../collector/ingest/proxy-protocol.js";

describe("PROXY protocol v1", () => {
  it("parses TCP4 and TCP6 lines and reports the header length", () => {
    const buf = Buffer.from("PROXY TCP4 192.0.2.10 10.0.0.1 56324 443\r\nGET / HTTP/1.1\r\n");
    expect(parseProxyHeader(buf)).toEqual({
      status: "ok", version: 1, length: 42, command: "proxy",
      source: { address: "192.0.2.10", port: 56324, family: 4 },
      destination: { address: "10.0.0.1", port: 443, family: 4 },
    });
    const v6 = parseProxyHeader(Buffer.from("PROXY TCP6 2001:DB8::1 2001:db8::2 1 2\r\n"));
    expect(v6).toMatchObject({ status: "ok", source: { address: "2001:db8::1", family: 6 } });
  });

  it("UNKNOWN carries no address", () => {
    expect(parseProxyHeader(Buffer.from("PROXY UNKNOWN\r\n"))).toMatchObject({ status: "ok", length: 15, source: null });
    expect(parseProxyHeader(Buffer.from("PROXY UNKNOWN ffff:f...f:ffff 1 2\r\n"))).toMatchObject({ status: "ok", source: null });
  });

  it("asks for more bytes until the line is complete", () => {
    expect(parseProxyHeader(Buffer.from("PRO"))).toEqual({ status: "incomplete" });
    expect(parseProxyHeader(Buffer.from("PROXY TCP4 192.0.2.10 10.0"))).toEqual({ status: "incomplete" });
  });

  it.each([
    ["no signature", "GET / HTTP/1.1\r\n"],
    ["family mismatch", "PROXY TCP4 2001:db8::1 10.0.0.1 1 2\r\n"],
    ["bad port", "PROXY TCP4 192.0.2.1 10.0.0.1 65536 2\r\n"],
    ["leading zero port", "PROXY TCP4 192.0.2.1 10.0.0.1 080 2\r\n"],
    ["too few fields", "PROXY TCP4 192.0.2.1 10.0.0.1 80\r\n"],
    ["unknown proto", "PROXY UDP4 192.0.2.1 10.0.0.1 80 80\r\n"],
    ["hostname", "PROXY TCP4 example.com 10.0.0.1 80 80\r\n"],
    ["double space", "PROXY TCP4  192.0.2.1 10.0.0.1 80 80\r\n"],
    ["over 107 bytes", `PROXY TCP4 ${"1".repeat(120)}`],
  ])("rejects %s", (_n, text) => {
    expect(parseProxyHeader(Buffer.from(text)).status).toBe("invalid");
  });
});

describe("PROXY protocol v2", () => {
  it("round-trips IPv4 and IPv6 and skips TLVs", () => {
    const v4 = encodeProxyV2({ address: "203.0.113.5", port: 51000, family: 4 }, { address: "10.0.0.2", port: 443, family: 4 }, Buffer.from([0x04, 0x00, 0x01, 0x61]));
    expect(parseProxyHeader(Buffer.concat([v4, Buffer.from("GET")]))).toEqual({
      status: "ok", version: 2, length: 16 + 12 + 4, command: "proxy",
      source: { address: "203.0.113.5", port: 51000, family: 4 },
      destination: { address: "10.0.0.2", port: 443, family: 4 },
    });
    const v6 = encodeProxyV2({ address: "2001:db8::5", port: 1, family: 6 }, { address: "2001:db8::1", port: 2, family: 6 });
    expect(parseProxyHeader(v6)).toMatchObject({ status: "ok", length: 52, source: { address: "2001:db8::5", port: 1 } });
  });

  it("LOCAL (health check) has no address", () => {
    expect(parseProxyHeader(encodeProxyV2(null, null))).toMatchObject({ status: "ok", command: "local", source: null, length: 16 });
  });

  it("is incomplete until the declared length is there", () => {
    const v4 = encodeProxyV2({ address: "203.0.113.5", port: 1, family: 4 }, { address: "10.0.0.2", port: 2, family: 4 });
    for (const n of [1, 11, 12, 15, 16, 27]) expect(parseProxyHeader(v4.subarray(0, n)).status).toBe("incomplete");
    expect(parseProxyHeader(v4).status).toBe("ok");
  });

  it("rejects bad versions, commands, families, short blocks and huge lengths", () => {
    const good = encodeProxyV2({ address: "203.0.113.5", port: 1, family: 4 }, { address: "10.0.0.2", port: 2, family: 4 });
    const mutate = (i: number, v: number) => {
      const b = Buffer.from(good);
      b[i] = v;
      return parseProxyHeader(b).status;
    };
    expect(mutate(12, 0x11)).toBe("invalid"); // version 1 in the binary form
    expect(mutate(12, 0x22)).toBe("invalid"); // command 2
    expect(mutate(13, 0x51)).toBe("invalid"); // family 5
    expect(mutate(13, 0x21)).toBe("invalid"); // says IPv6 but carries 12 bytes
    const huge = Buffer.from(good);
    huge.writeUInt16BE(60000, 14);
    expect(parseProxyHeader(huge).status).toBe("invalid");
    expect(mutate(3, 0x0b)).toBe("invalid"); // signature
  });
});
