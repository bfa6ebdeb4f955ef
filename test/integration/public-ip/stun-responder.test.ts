// The collector's STUN responder against real UDP sockets on loopback: Debian's stun-client (an
// independent RFC 3489 implementation), the agent's own client over IPv4 and IPv6, and the abuse
// defences (malformed input, rate limit, response size).
import { execFile } from "node:child_process";
import dgram from "node:dgram";
import { existsSync } from "node:fs";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { stunQuery } from "../../../agent/probes/public-ip/stun.js";
import { startStunResponder, STUN_MAX_RESPONSE_OVERHEAD } from "../../../collector/stun/responder.js";
import type { StunResponder } from "../../../collector/stun/responder.js";
import {
  decodeStunMessage, encodeBindingError, encodeBindingRequest, encodeBindingSuccess, readErrorCode, readMappedAddress,
} from "../../../proto/stun.js";

const run = promisify(execFile);
const log = { info: () => {}, warn: () => {}, debug: () => {} };
const STUN_CLIENT = "/usr/bin/stun";

let responders: StunResponder[] = [];
afterEach(async () => {
  await Promise.all(responders.map((r) => r.close()));
  responders = [];
});

async function start(opts: Partial<Parameters<typeof startStunResponder>[0]> = {}) {
  const r = await startStunResponder({ host: "127.0.0.1", port: 0, log, ...opts });
  responders.push(r);
  return r;
}

/** Sends raw datagrams from one socket; resolves to what came back within `waitMs`. */
async function exchange(host: string, port: number, datagrams: Buffer[], waitMs = 300): Promise<Buffer[]> {
  const s = dgram.createSocket(host.includes(":") ? "udp6" : "udp4");
  const got: Buffer[] = [];
  s.on("message", (m) => got.push(m));
  await new Promise<void>((resolve) => s.bind(0, host, () => resolve()));
  for (const d of datagrams) s.send(d, port, host);
  await new Promise((r) => setTimeout(r, waitMs));
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return got;
}

describe("STUN responder", () => {
  it("answers Debian's stun-client with the client's mapped address", async () => {
    expect(existsSync(STUN_CLIENT), `${STUN_CLIENT} is missing: apt-get install -y stun-client (.ci/run does)`).toBe(true);
    const r = await start();
    const { stdout, stderr } = await run(STUN_CLIENT, [`127.0.0.1:${r.port}`, "1", "-v"], { timeout: 15_000 });
    const out = stdout + stderr;
    const opened = /Opened port (\d+)/.exec(out)?.[1];
    expect(opened, out).toBeDefined();
    expect(out).toContain(`MappedAddress = 127.0.0.1:${opened}`);
    expect(out).toContain("ServerName = lastseen");
    expect(r.counters().answered).toBeGreaterThanOrEqual(1);
  });

  it("answers the agent's client over IPv4 and over IPv6 on ::1, on one port", async () => {
    const r = await start({ host: ["127.0.0.1", "::1"] });
    expect(r.addresses.map((a) => a.family)).toEqual([4, 6]);
    const v4 = await stunQuery({ address: "127.0.0.1", port: r.port, timeoutMs: 3000 });
    expect(v4).toMatchObject({ address: "127.0.0.1", family: 4, via: "xor-mapped-address" });
    const v6 = await stunQuery({ address: "::1", port: r.port, timeoutMs: 3000 });
    expect(v6).toMatchObject({ address: "::1", family: 6, via: "xor-mapped-address" });
    expect(r.counters().answered).toBe(2);
  });

  it("a dual-stack :: socket answers IPv4 clients with their plain IPv4 address", async () => {
    const r = await start({ host: "::" });
    const v4 = await stunQuery({ address: "127.0.0.1", port: r.port, timeoutMs: 3000 });
    expect(v4.address).toBe("127.0.0.1");
    expect(v4.family).toBe(4);
  });

  it("drops malformed datagrams silently and counts them", async () => {
    const r = await start();
    const good = encodeBindingRequest(Buffer.alloc(12, 1));
    const wrongLength = Buffer.from(good);
    wrongLength.writeUInt16BE(8, 2);
    const badFingerprint = Buffer.from(encodeBindingRequest(Buffer.alloc(12, 2), { fingerprint: true }));
    badFingerprint[badFingerprint.length - 1]! ^= 0xff;
    const got = await exchange("127.0.0.1", r.port, [Buffer.from("hello"), wrongLength, badFingerprint, Buffer.alloc(1400, 0)]);
    expect(got).toEqual([]);
    expect(r.counters()).toMatchObject({ received: 4, malformed: 4, answered: 0 });
  });

  it("ignores responses and indications (no reflection loops)", async () => {
    const r = await start();
    const success = Buffer.from(encodeBindingRequest(Buffer.alloc(12, 5)));
    success.writeUInt16BE(0x0101, 0);
    const indication = Buffer.from(encodeBindingRequest(Buffer.alloc(12, 6)));
    indication.writeUInt16BE(0x0011, 0);
    const got = await exchange("127.0.0.1", r.port, [success, indication]);
    expect(got).toEqual([]);
    expect(r.counters().ignored).toBe(2);
  });

  it("rate-limits each source with a token bucket (frozen clock: no refill)", async () => {
    const r = await start({ rateLimit: { burst: 3, perSecond: 1 }, now: () => 1_000_000 });
    const reqs = Array.from({ length: 10 }, (_, i) => encodeBindingRequest(Buffer.alloc(12, i + 1)));
    const got = await exchange("127.0.0.1", r.port, reqs, 500);
    expect(got).toHaveLength(3);
    expect(r.counters()).toMatchObject({ answered: 3, rateLimited: 7 });
  });

  it("never answers with much more than it was sent (amplification)", async () => {
    const r = await start({ host: ["127.0.0.1", "::1"] });
    for (const host of ["127.0.0.1", "::1"]) {
      const req = encodeBindingRequest(Buffer.alloc(12, 9)); // the smallest request: 20 bytes
      const [res] = await exchange(host, r.port, [req]);
      expect(res).toBeDefined();
      expect(res!.length).toBeLessThanOrEqual(req.length + STUN_MAX_RESPONSE_OVERHEAD);
      expect(readMappedAddress(decodeStunMessage(res!))?.address).toBe(host);
    }
    // A long SOFTWARE name is dropped rather than growing the response.
    const big = await start({ software: "x".repeat(120) });
    const [res] = await exchange("127.0.0.1", big.port, [encodeBindingRequest(Buffer.alloc(12, 1))]);
    expect(res!.length).toBeLessThanOrEqual(20 + STUN_MAX_RESPONSE_OVERHEAD);
  });

  it("answers an RFC 5780 CHANGE-REQUEST with 420, and an RFC 3489 one not at all", async () => {
    const r = await start();
    const modern = Buffer.concat([encodeBindingRequest(Buffer.alloc(12, 1)), Buffer.from("0003000400000006", "hex")]);
    modern.writeUInt16BE(8, 2);
    const [res] = await exchange("127.0.0.1", r.port, [modern]);
    expect(readErrorCode(decodeStunMessage(res!))).toEqual({ code: 420, reason: "Unknown Attribute" });
    const legacy = Buffer.from("00010008028af27c38d3bb4405ba9c3d86b0a10c0003000400000004", "hex");
    expect(await exchange("127.0.0.1", r.port, [legacy])).toEqual([]);
    expect(r.counters().changeRequests).toBe(2);
  });

  it("refuses to bind a name or a bad port", async () => {
    await expect(startStunResponder({ host: "localhost", port: 0, log })).rejects.toThrow(/not an IP address/);
    const r = await start();
    await expect(startStunResponder({ host: "127.0.0.1", port: r.port, log })).rejects.toThrow(/cannot bind UDP 127\.0\.0\.1 port/);
  });
});

describe("STUN client", () => {
  /** A scripted server: for each request, sends the datagrams `reply` builds, in order. */
  async function scripted(reply: (req: ReturnType<typeof decodeStunMessage>) => Buffer[]) {
    const s = dgram.createSocket("udp4");
    const other = dgram.createSocket("udp4");
    s.on("message", (m, r) => {
      const req = decodeStunMessage(m);
      const out = reply(req);
      // The first datagram comes from another port (must be ignored), the rest from the server.
      if (out[0]) other.send(out[0], r.port, r.address);
      out.slice(1).forEach((d, i) => setTimeout(() => s.send(d, r.port, r.address), 20 * (i + 1)));
    });
    await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()));
    await new Promise<void>((r) => other.bind(0, "127.0.0.1", () => r()));
    return {
      port: s.address().port,
      close: async () => {
        await new Promise<void>((r) => s.close(() => r()));
        await new Promise<void>((r) => other.close(() => r()));
      },
    };
  }

  it("ignores answers from another port or for another transaction, takes the right one", async () => {
    const server = await scripted((req) => {
      const wrongTid = { hasMagicCookie: true, cookieAndId: Buffer.concat([req.cookieAndId.subarray(0, 4), Buffer.alloc(12, 0xee)]) };
      return [
        encodeBindingSuccess(req, { address: "192.0.2.66", port: 1, family: 4 }), // from another port
        encodeBindingSuccess(wrongTid, { address: "192.0.2.77", port: 1, family: 4 }), // other transaction
        Buffer.from("not stun at all"),
        encodeBindingSuccess(req, { address: "198.51.100.5", port: 4242, family: 4 }, { fingerprint: true }),
      ];
    });
    try {
      expect(await stunQuery({ address: "127.0.0.1", port: server.port, timeoutMs: 3000 })).toEqual({
        address: "198.51.100.5", port: 4242, family: 4, via: "xor-mapped-address",
      });
    } finally {
      await server.close();
    }
  });

  it("fails on a STUN error response, and times out on silence", async () => {
    const server = await scripted((req) => [Buffer.alloc(0), encodeBindingError(req, 500, "Server Error")]);
    try {
      await expect(stunQuery({ address: "127.0.0.1", port: server.port, timeoutMs: 3000 })).rejects.toThrow(/STUN error 500 Server Error/);
    } finally {
      await server.close();
    }
    const silent = await scripted(() => []);
    try {
      await expect(stunQuery({ address: "127.0.0.1", port: silent.port, timeoutMs: 300, rtoMs: 50 })).rejects.toThrow(
        expect.objectContaining({ code: "LASTSEEN_ERR_IP_TIMEOUT" }),
      );
    } finally {
      await silent.close();
    }
  });
});
