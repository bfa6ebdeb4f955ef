// PROXY protocol (HAProxy's spec, v1 text and v2 binary) for collectors behind a TCP load balancer:
// the balancer prepends a header naming the real client before the first byte of the stream. It is
// read only from connections whose peer is a configured balancer (anyone else could forge it); for
// those it is mandatory, read with a deadline and stripped before the HTTP server sees the bytes.
import type { Socket, Server } from "node:net";
import type { BlockList } from "node:net";
import { bytesToAddress, inCidrList, normalizeAddress, parseCidrList } from "../../proto/ip.js";

export type ProxyProtocolErrorCode = "LASTSEEN_ERR_PROXY_PROTOCOL";

export class ProxyProtocolError extends Error {
  override readonly name = "ProxyProtocolError";
  readonly code: ProxyProtocolErrorCode = "LASTSEEN_ERR_PROXY_PROTOCOL";
}

export interface ProxyEndpoint {
  readonly address: string;
  readonly port: number;
  readonly family: 4 | 6;
}

export type ProxyHeaderParse =
  | { readonly status: "incomplete" }
  | { readonly status: "invalid"; readonly reason: string }
  | {
      readonly status: "ok";
      readonly version: 1 | 2;
      /** Bytes the header occupies at the start of the stream. */
      readonly length: number;
      /** "local": the balancer's own connection (health check); use the socket peer. */
      readonly command: "proxy" | "local";
      /** Null for LOCAL, UNKNOWN, UNSPEC or unix-socket addresses. */
      readonly source: ProxyEndpoint | null;
      readonly destination: ProxyEndpoint | null;
    };

const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V1_PREFIX = Buffer.from("PROXY ", "ascii");
/** The longest v1 header ("PROXY UNKNOWN ...", TCP6 with full addresses) is 107 bytes. */
export const PROXY_V1_MAX_BYTES = 107;
/** v2 allows 64 KiB of TLVs; a load balancer's header is far smaller. Longer headers are refused. */
export const PROXY_V2_MAX_BYTES = 16 + 2048;

/**
 * Parses a PROXY header at the start of `buf`. "incomplete" means: read more bytes and call again;
 * "invalid" means the connection must be closed.
 */
export function parseProxyHeader(buf: Uint8Array): ProxyHeaderParse {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length === 0) return { status: "incomplete" };
  if (prefixMatches(b, V2_SIGNATURE)) return parseV2(b);
  if (prefixMatches(b, V1_PREFIX)) return parseV1(b);
  return { status: "invalid", reason: "no PROXY protocol signature" };
}

function prefixMatches(b: Buffer, sig: Buffer): boolean {
  const n = Math.min(b.length, sig.length);
  return b.subarray(0, n).equals(sig.subarray(0, n));
}

function parseV1(b: Buffer): ProxyHeaderParse {
  const window = b.subarray(0, PROXY_V1_MAX_BYTES);
  const cr = window.indexOf("\r\n", 0, "ascii");
  if (cr < 0) {
    return b.length >= PROXY_V1_MAX_BYTES
      ? { status: "invalid", reason: `PROXY v1 line longer than ${PROXY_V1_MAX_BYTES} bytes` }
      : { status: "incomplete" };
  }
  const line = window.subarray(0, cr).toString("latin1");
  const length = cr + 2;
  const parts = line.split(" ");
  if (parts[1] === "UNKNOWN") return { status: "ok", version: 1, length, command: "proxy", source: null, destination: null };
  if (parts.length !== 6) return { status: "invalid", reason: `PROXY v1 line has ${parts.length} fields, expected 6` };
  const [, proto, src, dst, sport, dport] = parts as [string, string, string, string, string, string];
  if (proto !== "TCP4" && proto !== "TCP6") return { status: "invalid", reason: `PROXY v1 protocol "${proto.slice(0, 16)}" is not TCP4, TCP6 or UNKNOWN` };
  const family = proto === "TCP4" ? 4 : 6;
  const source = v1Endpoint(src, sport, family);
  const destination = v1Endpoint(dst, dport, family);
  if (!source || !destination) return { status: "invalid", reason: `PROXY v1 ${proto} addresses or ports are invalid` };
  return { status: "ok", version: 1, length, command: "proxy", source, destination };
}

function v1Endpoint(addr: string, port: string, family: 4 | 6): ProxyEndpoint | null {
  if (!/^(0|[1-9]\d{0,4})$/.test(port) || Number(port) > 65535) return null;
  // The raw text must be of the family named (an IPv4-mapped IPv6 under TCP6 is still IPv6 text).
  if (family === 4 ? addr.includes(":") : !addr.includes(":")) return null;
  const a = normalizeAddress(addr);
  if (a === null || addr.includes("%") || addr.includes("[")) return null;
  return { address: a, port: Number(port), family: a.includes(":") ? 6 : 4 };
}

function parseV2(b: Buffer): ProxyHeaderParse {
  if (b.length < 16) return { status: "incomplete" };
  const verCmd = b[12]!;
  if (verCmd >> 4 !== 2) return { status: "invalid", reason: `PROXY v2 header with version ${verCmd >> 4}` };
  const cmd = verCmd & 0x0f;
  if (cmd > 1) return { status: "invalid", reason: `PROXY v2 command ${cmd} is neither LOCAL nor PROXY` };
  const famProto = b[13]!;
  const len = b.readUInt16BE(14);
  const length = 16 + len;
  if (length > PROXY_V2_MAX_BYTES) return { status: "invalid", reason: `PROXY v2 header of ${length} bytes exceeds ${PROXY_V2_MAX_BYTES}` };
  if (b.length < length) return { status: "incomplete" };
  if (cmd === 0) return { status: "ok", version: 2, length, command: "local", source: null, destination: null };
  const fam = famProto >> 4;
  const proto = famProto & 0x0f;
  if (proto > 2) return { status: "invalid", reason: `PROXY v2 transport ${proto} is unknown` };
  const body = b.subarray(16, length);
  if (fam === 0x1) {
    if (len < 12) return { status: "invalid", reason: `PROXY v2 IPv4 address block of ${len} bytes (need 12)` };
    return {
      status: "ok", version: 2, length, command: "proxy",
      source: v2Endpoint(body.subarray(0, 4), body.readUInt16BE(8)),
      destination: v2Endpoint(body.subarray(4, 8), body.readUInt16BE(10)),
    };
  }
  if (fam === 0x2) {
    if (len < 36) return { status: "invalid", reason: `PROXY v2 IPv6 address block of ${len} bytes (need 36)` };
    return {
      status: "ok", version: 2, length, command: "proxy",
      source: v2Endpoint(body.subarray(0, 16), body.readUInt16BE(32)),
      destination: v2Endpoint(body.subarray(16, 32), body.readUInt16BE(34)),
    };
  }
  if (fam === 0x0 || fam === 0x3) {
    // UNSPEC or a unix socket: no IP to report; the receiver must use the real peer.
    return { status: "ok", version: 2, length, command: "proxy", source: null, destination: null };
  }
  return { status: "invalid", reason: `PROXY v2 address family ${fam} is unknown` };
}

function v2Endpoint(raw: Buffer, port: number): ProxyEndpoint {
  const address = bytesToAddress(raw);
  return { address, port, family: address.includes(":") ? 6 : 4 };
}

/** Encodes a v2 header (load balancers write these; tests and benchmarks use it). */
export function encodeProxyV2(source: ProxyEndpoint | null, destination: ProxyEndpoint | null, tlvs: Buffer = Buffer.alloc(0)): Buffer {
  if (!source || !destination) {
    const h = Buffer.alloc(16);
    V2_SIGNATURE.copy(h);
    h[12] = 0x20; // v2 LOCAL
    return h;
  }
  const v6 = source.family === 6;
  const block = Buffer.alloc(v6 ? 36 : 12);
  const put = (addr: string, off: number) => {
    const n = normalizeAddress(addr);
    if (n === null) throw new RangeError(`"${addr}" is not an IP address`);
    const bytes = v6 ? ipv6Bytes(n) : Buffer.from(n.split(".").map(Number));
    bytes.copy(block, off);
  };
  put(source.address, 0);
  put(destination.address, v6 ? 16 : 4);
  block.writeUInt16BE(source.port, v6 ? 32 : 8);
  block.writeUInt16BE(destination.port, v6 ? 34 : 10);
  const h = Buffer.alloc(16);
  V2_SIGNATURE.copy(h);
  h[12] = 0x21; // v2 PROXY
  h[13] = v6 ? 0x21 : 0x11; // TCP over IPv6 / IPv4
  h.writeUInt16BE(block.length + tlvs.length, 14);
  return Buffer.concat([h, block, tlvs]);
}

function ipv6Bytes(addr: string): Buffer {
  // A mapped IPv4 address normalises to dotted form; put it back as ::ffff:a.b.c.d.
  if (!addr.includes(":")) return Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...addr.split(".").map(Number)]);
  const halves = addr.split("::");
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length > 1 && halves[1] ? halves[1].split(":") : [];
  const words = [...head, ...Array<string>(8 - head.length - tail.length).fill("0"), ...tail];
  const out = Buffer.alloc(16);
  words.forEach((w, i) => out.writeUInt16BE(parseInt(w, 16), i * 2));
  return out;
}

// ---------- server side ----------

const realAddress = new WeakMap<Socket, ProxyEndpoint>();
// A TLS server hands requests a TLSSocket wrapped around the raw socket that carried the header.
// Both share the connection's endpoints, so live connections are also found by those.
const byEndpoints = new Map<string, ProxyEndpoint>();

function endpointsKey(socket: Socket): string | null {
  const { remoteAddress, remotePort, localAddress, localPort } = socket;
  if (remoteAddress === undefined || remotePort === undefined) return null;
  return `${remoteAddress}|${remotePort}|${localAddress ?? ""}|${localPort ?? ""}`;
}

function remember(socket: Socket, source: ProxyEndpoint): void {
  realAddress.set(socket, source);
  const key = endpointsKey(socket);
  if (key === null) return;
  byEndpoints.set(key, source);
  socket.once("close", () => byEndpoints.delete(key));
}

/**
 * The client address a PROXY header named for this connection, if any. Takes the raw socket or the
 * TLSSocket built on it (req.socket of an https server).
 */
export function proxyProtocolAddress(socket: Socket): ProxyEndpoint | undefined {
  const direct = realAddress.get(socket);
  if (direct) return direct;
  const key = endpointsKey(socket);
  return key === null ? undefined : byEndpoints.get(key);
}

/** Logs through pino's Logger or anything of that shape. */
export interface ProxyProtocolLog {
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface ProxyProtocolOptions {
  /** Addresses / CIDRs of the load balancers that send PROXY headers (`proxy_protocol`). */
  readonly loadBalancers: readonly string[];
  /** Close a balancer connection that has not sent its whole header in this time. Default 5 s. */
  readonly headerTimeoutMs?: number;
  readonly log?: ProxyProtocolLog;
}

export interface ProxyProtocolCounters {
  /** Connections from balancers with a valid header. */
  accepted: number;
  /** Connections from other peers, passed through untouched. */
  passedThrough: number;
  /** Balancer connections closed for a missing or invalid header. */
  rejected: number;
  /** Balancer connections closed because the header did not arrive in time. */
  timedOut: number;
}

export interface ProxyProtocolHandle {
  counters(): Readonly<ProxyProtocolCounters>;
  /** Puts the server's own connection handling back. */
  detach(): void;
}

/**
 * Puts PROXY protocol handling in front of a server's existing "connection" listeners (those of an
 * http.Server or https.Server, or yours): connections from a configured load balancer have their
 * header read and stripped first, and proxyProtocolAddress(socket) then names the real client.
 * Call it after the server is created and before connections arrive.
 */
export function acceptProxyProtocol(server: Server, opts: ProxyProtocolOptions): ProxyProtocolHandle {
  let balancers: BlockList;
  try {
    balancers = parseCidrList(opts.loadBalancers, "proxy_protocol");
  } catch (err) {
    throw new ProxyProtocolError((err as Error).message, { cause: err });
  }
  const timeoutMs = opts.headerTimeoutMs ?? 5000;
  const counters: ProxyProtocolCounters = { accepted: 0, passedThrough: 0, rejected: 0, timedOut: 0 };
  const original = server.listeners("connection") as Array<(socket: Socket) => void>;
  const handOver = (socket: Socket) => {
    for (const l of original) l.call(server, socket);
  };

  const onConnection = (socket: Socket) => {
    const peer = socket.remoteAddress;
    if (peer === undefined || !inCidrList(balancers, peer)) {
      counters.passedThrough++;
      handOver(socket);
      return;
    }
    let chunks = Buffer.alloc(0);
    let done = false;
    const finish = () => {
      done = true;
      clearTimeout(timer);
      socket.off("readable", onReadable);
      socket.off("error", onError);
      socket.off("end", onEnd);
    };
    const reject = (reason: string, timedOut: boolean) => {
      finish();
      if (timedOut) counters.timedOut++;
      else counters.rejected++;
      opts.log?.warn({ peer, reason }, "proxy protocol: closing load balancer connection");
      socket.destroy();
    };
    const onError = (err: Error) => {
      if (done) return;
      finish();
      counters.rejected++;
      opts.log?.debug({ peer, err: err.message }, "proxy protocol: socket error before the header");
    };
    const onEnd = () => {
      if (!done) reject("connection ended before a complete PROXY header", false);
    };
    const onReadable = () => {
      if (done) return;
      // Read only what the header can need, so no request bytes are taken from the stream by mistake.
      let chunk: Buffer | null;
      while (!done && (chunk = socket.read() as Buffer | null) !== null) {
        chunks = Buffer.concat([chunks, chunk]);
        const r = parseProxyHeader(chunks);
        if (r.status === "incomplete") {
          if (chunks.length > PROXY_V2_MAX_BYTES) reject("PROXY header too long", false);
          continue;
        }
        if (r.status === "invalid") {
          reject(r.reason, false);
          return;
        }
        finish();
        const rest = chunks.subarray(r.length);
        if (r.command === "proxy" && r.source) remember(socket, r.source);
        counters.accepted++;
        if (rest.length > 0) socket.unshift(rest);
        handOver(socket);
        return;
      }
    };
    const timer = setTimeout(() => reject(`no complete PROXY header within ${timeoutMs} ms`, true), timeoutMs);
    timer.unref();
    socket.on("error", onError);
    socket.on("end", onEnd);
    socket.on("readable", onReadable);
  };

  server.removeAllListeners("connection");
  server.on("connection", onConnection);
  return {
    counters: () => ({ ...counters }),
    detach: () => {
      server.off("connection", onConnection);
      for (const l of original) server.on("connection", l);
    },
  };
}
