import { describe, expect, it } from "vitest";
import { DNS_CLASS, DNS_TYPE, encodeDnsQuery, parseDnsResponse, txtStrings } from "../../../agent/probes/public-ip/dns-wire.js";

const Q = { name: "myip.opendns.com", type: DNS_TYPE.A, cls: DNS_CLASS.IN };

function response(id: number, answers: Buffer[], flags = 0x8180, question = encodeDnsQuery(id, Q).subarray(12)): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(flags, 2);
  h.writeUInt16BE(1, 4);
  h.writeUInt16BE(answers.length, 6);
  return Buffer.concat([h, question, ...answers]);
}

function rr(name: Buffer, type: number, cls: number, data: Buffer): Buffer {
  const f = Buffer.alloc(10);
  f.writeUInt16BE(type, 0);
  f.writeUInt16BE(cls, 2);
  f.writeUInt32BE(60, 4);
  f.writeUInt16BE(data.length, 8);
  return Buffer.concat([name, f, data]);
}

describe("DNS wire", () => {
  it("encodes a query with RD and one question", () => {
    expect(encodeDnsQuery(0x1234, Q).toString("hex")).toBe("123401000001000000000000" + "046d796970076f70656e646e7303636f6d00" + "00010001");
  });

  it("parses an answer whose owner name is a compression pointer", () => {
    const r = parseDnsResponse(response(7, [rr(Buffer.from([0xc0, 12]), 1, 1, Buffer.from([198, 51, 100, 7]))]), 7, Q);
    expect(r.answers).toHaveLength(1);
    expect(r.answers[0]).toMatchObject({ name: "myip.opendns.com", type: 1, cls: 1 });
    expect([...r.answers[0]!.data]).toEqual([198, 51, 100, 7]);
  });

  it("rejects a wrong id, a query, another question, loops and overruns", () => {
    const ok = response(7, [rr(Buffer.from([0xc0, 12]), 1, 1, Buffer.from([1, 2, 3, 4]))]);
    expect(() => parseDnsResponse(ok, 8, Q)).toThrow(/id 7 does not match/);
    expect(() => parseDnsResponse(response(7, [], 0x0100), 7, Q)).toThrow(/not a response/);
    expect(() => parseDnsResponse(ok, 7, { ...Q, type: DNS_TYPE.AAAA })).toThrow(/not the one asked/);
    // A pointer to itself.
    const loop = response(7, [rr(Buffer.from([0xc0, 34]), 1, 1, Buffer.from([1, 2, 3, 4]))]);
    expect(() => parseDnsResponse(loop, 7, Q)).toThrow(/pointer/);
    const cut = ok.subarray(0, ok.length - 2);
    expect(() => parseDnsResponse(cut, 7, Q)).toThrow(/runs past/);
    expect(() => parseDnsResponse(Buffer.alloc(5), 7, Q)).toThrow(/shorter than a header/);
    for (const err of [() => parseDnsResponse(loop, 7, Q)]) expect(err).toThrow(expect.objectContaining({ code: "LASTSEEN_ERR_IP_BAD_ANSWER" }));
  });

  it("splits TXT character-strings and rejects an overrun", () => {
    expect(txtStrings(Buffer.from("\x07192.0.2\x01x", "latin1"))).toEqual(["192.0.2", "x"]);
    expect(() => txtStrings(Buffer.from("\x09abc", "latin1"))).toThrow(/TXT/);
  });
});
