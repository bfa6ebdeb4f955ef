import { describe, expect, it } from "vitest";
import {
  crc32, decodeStunMessage, encodeBindingError, encodeBindingRequest, encodeBindingSuccess, looksLikeStun,
  readChangeRequest, readErrorCode, readMappedAddress, STUN_ATTR, STUN_MAGIC_COOKIE, unknownRequiredAttributes,
} from "../../../proto/stun.js";

// RFC 5769 2.2 and 2.3: Binding success responses with SOFTWARE, XOR-MAPPED-ADDRESS,
// MESSAGE-INTEGRITY and FINGERPRINT.
const RFC5769_IPV4 = Buffer.from(
  "0101003c2112a442b7e7a701bc34d686fa87dfae8022000b7465737420766563746f7220" +
    "002000080001a147e112a643000800142b91f599fd9e90c38c7489f92af9ba53f06be7d7" +
    "80280004c07d4c96",
  "hex",
);
const RFC5769_IPV6 = Buffer.from(
  "010100482112a442b7e7a701bc34d686fa87dfae8022000b7465737420766563746f7220" +
    "002000140002a1470113a9faa5d3f179bc25f4b5bed2b9d9" +
    "00080014a382954e4be67bf11784c97c8292c275bfe3ed41" +
    "80280004c8fb0b4c",
  "hex",
);
const RFC_TID = Buffer.from("b7e7a701bc34d686fa87dfae", "hex");

describe("RFC 5769 test vectors", () => {
  it("decodes the IPv4 sample response and verifies its FINGERPRINT", () => {
    const m = decodeStunMessage(RFC5769_IPV4);
    expect(m.cls).toBe("success");
    expect(m.method).toBe(1);
    expect(m.hasMagicCookie).toBe(true);
    expect(m.transactionId.equals(RFC_TID)).toBe(true);
    expect(m.fingerprinted).toBe(true);
    expect(readMappedAddress(m)).toEqual({ address: "192.0.2.1", port: 32853, family: 4, via: "xor-mapped-address" });
    // MESSAGE-INTEGRITY is known (comprehension-required but understood).
    expect(unknownRequiredAttributes(m)).toEqual([]);
  });

  it("decodes the IPv6 sample response", () => {
    const m = decodeStunMessage(RFC5769_IPV6);
    expect(readMappedAddress(m)).toEqual({ address: "2001:db8:1234:5678:11:2233:4455:6677", port: 32853, family: 6, via: "xor-mapped-address" });
  });

  it("rejects a response whose FINGERPRINT does not match", () => {
    const bad = Buffer.from(RFC5769_IPV4);
    bad[bad.length - 1]! ^= 1;
    expect(() => decodeStunMessage(bad)).toThrow(expect.objectContaining({ code: "LASTSEEN_ERR_STUN_FINGERPRINT" }));
    // A flipped bit in the body is caught by the same check.
    const body = Buffer.from(RFC5769_IPV4);
    body[45]! ^= 0x10;
    expect(() => decodeStunMessage(body)).toThrow(expect.objectContaining({ code: "LASTSEEN_ERR_STUN_FINGERPRINT" }));
  });

  it("crc32 is the IEEE polynomial (check value of 123456789)", () => {
    expect(crc32(Buffer.from("123456789"))).toBe(0xcbf43926);
  });
});

describe("strict length checks", () => {
  it.each([
    ["shorter than a header", RFC5769_IPV4.subarray(0, 19)],
    ["length field larger than the datagram", RFC5769_IPV4.subarray(0, 76)],
    ["a byte too many", Buffer.concat([RFC5769_IPV4, Buffer.alloc(1)])],
  ])("rejects %s", (_name, buf) => {
    expect(() => decodeStunMessage(buf)).toThrow(expect.objectContaining({ code: "LASTSEEN_ERR_STUN_MALFORMED" }));
    expect(looksLikeStun(buf)).toBe(false);
  });

  it("rejects an attribute that runs past the end", () => {
    const b = Buffer.from(encodeBindingRequest(Buffer.alloc(12, 7), { software: "abcd" }));
    b.writeUInt16BE(200, 22); // SOFTWARE claims 200 bytes
    expect(() => decodeStunMessage(b)).toThrow(/runs past the message end/);
  });

  it("rejects leading bits set and attributes after FINGERPRINT", () => {
    const req = encodeBindingRequest(Buffer.alloc(12, 1), { fingerprint: true });
    const hi = Buffer.from(req);
    hi[0] = 0x40;
    expect(() => decodeStunMessage(hi)).toThrow(/two leading bits/);
    const after = Buffer.concat([req, Buffer.from([0x80, 0x22, 0, 0])]);
    after.writeUInt16BE(after.length - 20, 2);
    expect(() => decodeStunMessage(after)).toThrow(/after FINGERPRINT|FINGERPRINT does not match/);
  });

  it("rejects XOR-MAPPED-ADDRESS of a wrong size or family", () => {
    const res = Buffer.from(encodeBindingSuccess({ hasMagicCookie: true, cookieAndId: cookie(RFC_TID) }, { address: "192.0.2.1", port: 1, family: 4 }));
    const fam = Buffer.from(res);
    fam[25] = 3; // family byte of the first attribute
    expect(() => readMappedAddress(decodeStunMessage(fam))).toThrow(/unknown address family/);
  });
});

function cookie(tid: Buffer): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt32BE(STUN_MAGIC_COOKIE, 0);
  tid.copy(b, 4);
  return b;
}

describe("encoding", () => {
  it("a bare Binding request is 20 bytes with the magic cookie", () => {
    const tid = Buffer.from("000102030405060708090a0b", "hex");
    const r = encodeBindingRequest(tid);
    expect(r.toString("hex")).toBe("000100002112a442000102030405060708090a0b");
    const m = decodeStunMessage(r);
    expect(m.cls).toBe("request");
    expect(m.transactionId.equals(tid)).toBe(true);
  });

  it.each([
    ["198.51.100.7", 40000, 4],
    ["2001:db8::42", 65535, 6],
  ] as const)("round-trips XOR-MAPPED-ADDRESS %s port %d with FINGERPRINT", (address, port, family) => {
    const req = decodeStunMessage(encodeBindingRequest(Buffer.alloc(12, 9)));
    const res = decodeStunMessage(encodeBindingSuccess(req, { address, port, family }, { software: "lastseen", fingerprint: true }));
    expect(res.fingerprinted).toBe(true);
    expect(res.transactionId.equals(Buffer.alloc(12, 9))).toBe(true);
    expect(readMappedAddress(res)).toEqual({ address, port, family, via: "xor-mapped-address" });
    expect(res.attributes.find((a) => a.type === STUN_ATTR.SOFTWARE)?.value.toString()).toBe("lastseen");
  });

  it("answers an RFC 3489 request (no cookie) with MAPPED-ADDRESS and its 16-byte id", () => {
    // The request Debian's stun-client sends for test I: CHANGE-REQUEST with no flags.
    const legacy = Buffer.from("00010008018484734fbaf27bf02a3c2706590b5d0003000400000000", "hex");
    const req = decodeStunMessage(legacy);
    expect(req.hasMagicCookie).toBe(false);
    expect(readChangeRequest(req)).toBe(0);
    const out = encodeBindingSuccess(req, { address: "::ffff:127.0.0.1", port: 31448, family: 6 });
    expect(out.subarray(4, 20).equals(legacy.subarray(4, 20))).toBe(true);
    const res = decodeStunMessage(out);
    expect(res.fingerprinted).toBe(false);
    expect(readMappedAddress(res)).toEqual({ address: "127.0.0.1", port: 31448, family: 4, via: "mapped-address" });
  });

  it("encodes a 420 with UNKNOWN-ATTRIBUTES", () => {
    const req = decodeStunMessage(encodeBindingRequest(Buffer.alloc(12, 3)));
    const res = decodeStunMessage(encodeBindingError(req, 420, "Unknown Attribute", [0x0003, 0x7777], { fingerprint: true }));
    expect(res.cls).toBe("error");
    expect(readErrorCode(res)).toEqual({ code: 420, reason: "Unknown Attribute" });
    expect(res.attributes.find((a) => a.type === STUN_ATTR.UNKNOWN_ATTRIBUTES)?.value.toString("hex")).toBe("00037777");
  });

  it("lists unknown comprehension-required attributes, not optional ones", () => {
    const base = encodeBindingRequest(Buffer.alloc(12, 4));
    const withAttrs = Buffer.concat([base, Buffer.from("7777000400000000" + "c0010000", "hex")]);
    withAttrs.writeUInt16BE(withAttrs.length - 20, 2);
    expect(unknownRequiredAttributes(decodeStunMessage(withAttrs))).toEqual([0x7777]);
  });
});
