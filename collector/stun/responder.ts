// The collector's STUN responder: answers Binding requests on UDP with the sender's address, so an
// agent learns its public IP without any third party. It is an open UDP service, so it is built not
// to be abused: every datagram is size- and format-checked, each source address (IPv6: its /64) has
// a token bucket, a response is never much larger than the request that caused it, and anything
// odd is dropped silently and counted (counters() exposes the numbers for /metrics).
import dgram from "node:dgram";
import { isIPv4, isIPv6 } from "node:net";
import { normalizeAddress } from "../../proto/ip.js";
import {
  decodeStunMessage, encodeBindingError, encodeBindingSuccess, looksLikeStun, readChangeRequest, StunError,
  STUN_METHOD_BINDING, unknownRequiredAttributes,
} from "../../proto/stun.js";
import type { StunMessage } from "../../proto/stun.js";
import { SourceRateLimiter, sourceKey } from "./rate-limit.js";
import type { TokenBucketOptions } from "./rate-limit.js";

/** What the responder logs through; pino's Logger fits. */
export interface StunLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface StunResponderOptions {
  /** Address(es) to bind: "0.0.0.0", "::", "127.0.0.1", "::1", or a list such as ["0.0.0.0", "::"]. */
  readonly host: string | readonly string[];
  /** UDP port; 0 picks a free one (the same one for every host in the list). */
  readonly port: number;
  readonly log: StunLog;
  /** SOFTWARE attribute of responses; "" to leave it out. */
  readonly software?: string;
  readonly rateLimit?: Partial<TokenBucketOptions>;
  /** Responder-wide cap, whatever the sources. */
  readonly globalRateLimit?: { readonly burst: number; readonly perSecond: number };
  /** Clock seam for the token buckets. */
  readonly now?: () => number;
}

export interface StunResponderCounters {
  /** Datagrams received. */
  received: number;
  /** Binding success responses sent. */
  answered: number;
  /** Error responses sent (420 Unknown Attribute). */
  errors: number;
  /** Not STUN, truncated, bad length, bad FINGERPRINT: dropped. */
  malformed: number;
  /** STUN, but not a Binding request (responses, indications, other methods): dropped. */
  ignored: number;
  /** RFC 3489 change-IP/port requests, which one address cannot honour: dropped. */
  changeRequests: number;
  /** Dropped by the per-source or global token bucket. */
  rateLimited: number;
  /** A response would have been too much larger than its request: dropped. */
  oversized: number;
  /** socket.send failures. */
  sendFailures: number;
}

export interface StunResponder {
  /** The bound UDP port. */
  readonly port: number;
  /** The bound addresses, e.g. [{ address: "0.0.0.0", family: 4 }, { address: "::", family: 6 }]. */
  readonly addresses: ReadonlyArray<{ readonly address: string; readonly family: 4 | 6 }>;
  counters(): Readonly<StunResponderCounters>;
  close(): Promise<void>;
}

/** A response may exceed its request by at most this many bytes (anti-amplification). */
export const STUN_MAX_RESPONSE_OVERHEAD = 48;

const DEFAULT_RATE: TokenBucketOptions = { burst: 50, perSecond: 5, maxSources: 10_000 };
const DEFAULT_GLOBAL = { burst: 2000, perSecond: 1000 };

export async function startStunResponder(opts: StunResponderOptions): Promise<StunResponder> {
  const hosts = [...new Set(typeof opts.host === "string" ? [opts.host] : opts.host)];
  if (hosts.length === 0) throw new RangeError("stun: no address to bind");
  for (const h of hosts) {
    if (!isIPv4(h) && !isIPv6(h)) throw new RangeError(`stun: "${h}" is not an IP address to bind (use e.g. "0.0.0.0" or "::")`);
  }
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) throw new RangeError(`stun: invalid port ${opts.port}`);
  const now = opts.now ?? Date.now;
  const software = opts.software ?? "lastseen";
  const perSource = new SourceRateLimiter({ ...DEFAULT_RATE, ...opts.rateLimit });
  const globalOpts = opts.globalRateLimit ?? DEFAULT_GLOBAL;
  const global = new SourceRateLimiter({ ...globalOpts, maxSources: 1 });
  const counters: StunResponderCounters = {
    received: 0, answered: 0, errors: 0, malformed: 0, ignored: 0, changeRequests: 0, rateLimited: 0, oversized: 0, sendFailures: 0,
  };
  // With an IPv4 and an IPv6 wildcard both asked for, the IPv6 socket must not also take IPv4.
  const hasV4 = hosts.some((h) => isIPv4(h));

  const handle = (socket: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo): void => {
    counters.received++;
    if (!looksLikeStun(msg)) {
      counters.malformed++;
      return;
    }
    const peer = normalizeAddress(rinfo.address);
    if (peer === null || rinfo.port === 0) {
      counters.malformed++;
      return;
    }
    // Rate limits come before decoding: a flood costs as little as possible.
    const t = now();
    if (!global.take("*", t) || !perSource.take(sourceKey(peer), t)) {
      counters.rateLimited++;
      return;
    }
    let req: StunMessage;
    try {
      req = decodeStunMessage(msg);
    } catch (err) {
      if (!(err instanceof StunError)) throw err;
      counters.malformed++;
      opts.log.debug({ peer, port: rinfo.port, code: err.code }, `stun: dropped datagram: ${err.message}`);
      return;
    }
    if (req.cls !== "request" || req.method !== STUN_METHOD_BINDING) {
      counters.ignored++;
      return;
    }
    let response: Buffer | null;
    try {
      response = respond(req, peer, rinfo.port, msg.length);
    } catch (err) {
      if (!(err instanceof StunError)) throw err;
      counters.malformed++;
      return;
    }
    if (response === null) return;
    socket.send(response, rinfo.port, rinfo.address, (err) => {
      if (err) {
        counters.sendFailures++;
        opts.log.debug({ peer, port: rinfo.port, err: err.message }, "stun: send failed");
      }
    });
  };

  const respond = (req: StunMessage, peer: string, port: number, requestBytes: number): Buffer | null => {
    const unknown = unknownRequiredAttributes(req);
    let out: Buffer;
    let kind: "answered" | "errors";
    if (unknown.length > 0) {
      kind = "errors";
      out = fit(requestBytes, (sw) => encodeBindingError(req, 420, "Unknown Attribute", unknown.slice(0, 8), { software: sw, fingerprint: true }));
    } else if (readChangeRequest(req) !== 0) {
      // One address and port cannot answer "from another IP/port". An RFC 8489 client is told so;
      // an RFC 3489 client (stun-client) is not answered: it would read any answer as success.
      counters.changeRequests++;
      if (!req.hasMagicCookie) return null;
      kind = "errors";
      out = fit(requestBytes, (sw) => encodeBindingError(req, 420, "Unknown Attribute", [0x0003], { software: sw, fingerprint: true }));
    } else {
      const family = peer.includes(":") ? 6 : 4;
      kind = "answered";
      out = fit(requestBytes, (sw) => encodeBindingSuccess(req, { address: peer, port, family }, { software: sw, fingerprint: true }));
    }
    if (out.length === 0) {
      counters.oversized++;
      return null;
    }
    counters[kind]++;
    return out;
  };

  // Builds the response with SOFTWARE, or without it when that would exceed the size budget; an
  // empty buffer when even the bare response would.
  const fit = (requestBytes: number, build: (software: string | undefined) => Buffer): Buffer => {
    const limit = requestBytes + STUN_MAX_RESPONSE_OVERHEAD;
    if (software) {
      const full = build(software);
      if (full.length <= limit) return full;
    }
    const bare = build(undefined);
    return bare.length <= limit ? bare : Buffer.alloc(0);
  };

  const sockets: dgram.Socket[] = [];
  const bound: Array<{ address: string; family: 4 | 6 }> = [];
  let port = opts.port;
  const closeAll = async () => {
    await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    sockets.length = 0;
    bound.length = 0;
  };
  // With port 0 and several hosts, the first bind picks the port and the others must get the same
  // one; if it is taken on another address, start over with a new port.
  for (let attempt = 0; ; attempt++) {
    try {
      for (const host of hosts) {
        const family = isIPv4(host) ? 4 : 6;
        const socket = dgram.createSocket({ type: family === 4 ? "udp4" : "udp6", ipv6Only: family === 6 && hasV4 });
        socket.on("message", (msg, rinfo) => handle(socket, msg, rinfo));
        socket.on("error", (err) => opts.log.warn({ err: err.message, host, port }, "stun: socket error"));
        sockets.push(socket);
        await bindSocket(socket, host, port);
        port = socket.address().port;
        bound.push({ address: host, family });
      }
      break;
    } catch (err) {
      await closeAll();
      const code = (err as NodeJS.ErrnoException).code;
      if (opts.port === 0 && hosts.length > 1 && code === "EADDRINUSE" && attempt < 5) {
        port = 0;
        continue;
      }
      throw new Error(`stun: cannot bind UDP ${hosts.join(", ")} port ${opts.port}: ${(err as Error).message}`, { cause: err });
    }
  }
  opts.log.info({ addresses: bound.map((b) => b.address), port }, "stun: responder listening");
  return {
    port,
    addresses: [...bound],
    counters: () => ({ ...counters }),
    close: closeAll,
  };
}

function bindSocket(socket: dgram.Socket, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    socket.once("error", onError);
    socket.bind({ address: host, port, exclusive: true }, () => {
      socket.off("error", onError);
      resolve();
    });
  });
}
