// One request/response exchange over UDP with retransmissions, shared by the STUN, DNS and NAT-PMP
// sources. The socket's family is pinned by the server address (udp4 for IPv4, udp6 for IPv6), so
// an IPv4 question is never answered over IPv6 or the other way round. Only datagrams from the
// server's own address and port are looked at; `accept` decides whether one is the answer.
import dgram from "node:dgram";
import { isIPv4, isIPv6 } from "node:net";
import { formatEndpoint, normalizeAddress } from "../../../proto/ip.js";
import { PublicIpError } from "./errors.js";

export interface UdpExchangeOptions<T> {
  /** Server IP address (a literal: resolve names before). */
  readonly address: string;
  readonly port: number;
  /** The request; called for every (re)transmission, so it may vary (it usually does not). */
  readonly request: Buffer | (() => Buffer);
  /** First retransmission timeout; each next one doubles (RFC 8489 6.2.1, RFC 6886 3.1). */
  readonly rtoMs: number;
  /** The whole exchange gives up after this long. */
  readonly timeoutMs: number;
  /**
   * Looks at a datagram from the server: returns the result, undefined to keep waiting (not the
   * answer to this request, e.g. another transaction id), or throws to fail the exchange.
   */
  readonly accept: (msg: Buffer) => T | undefined;
  readonly signal?: AbortSignal;
  /** Largest datagram read; longer ones are ignored. */
  readonly maxBytes?: number;
}

export function udpExchange<T>(opts: UdpExchangeOptions<T>): Promise<T> {
  const server = normalizeAddress(opts.address);
  if (server === null || (!isIPv4(server) && !isIPv6(server))) {
    return Promise.reject(new PublicIpError("LASTSEEN_ERR_IP_UNREACHABLE", `"${opts.address}" is not an IP address`));
  }
  const family = isIPv4(server) ? 4 : 6;
  const where = formatEndpoint(server, opts.port);
  return new Promise<T>((resolve, reject) => {
    const socket = dgram.createSocket({ type: family === 4 ? "udp4" : "udp6", ipv6Only: family === 6 });
    let settled = false;
    let retransmit: NodeJS.Timeout | undefined;
    const finish = (err: Error | null, value?: T) => {
      if (settled) return;
      settled = true;
      clearTimeout(retransmit);
      clearTimeout(deadline);
      opts.signal?.removeEventListener("abort", onAbort);
      socket.close();
      if (err) reject(err);
      else resolve(value as T);
    };
    const onAbort = () => finish(new PublicIpError("LASTSEEN_ERR_IP_TIMEOUT", `${where}: aborted`));
    const deadline = setTimeout(() => finish(new PublicIpError("LASTSEEN_ERR_IP_TIMEOUT", `no answer from ${where} within ${opts.timeoutMs} ms`)), opts.timeoutMs);
    let rto = opts.rtoMs;
    const send = () => {
      const payload = typeof opts.request === "function" ? opts.request() : opts.request;
      socket.send(payload, opts.port, server, (err) => {
        if (err) finish(new PublicIpError("LASTSEEN_ERR_IP_UNREACHABLE", `cannot send to ${where}: ${err.message}`, { cause: err }));
      });
      retransmit = setTimeout(send, rto);
      rto *= 2;
    };
    socket.on("error", (err) => finish(new PublicIpError("LASTSEEN_ERR_IP_UNREACHABLE", `${where}: ${err.message}`, { cause: err })));
    socket.on("message", (msg, rinfo) => {
      if (settled) return;
      // Only the server itself may answer (a reply from elsewhere is spoofed or misrouted).
      if (rinfo.port !== opts.port || normalizeAddress(rinfo.address) !== server) return;
      if (msg.length > (opts.maxBytes ?? 2048)) return;
      let value: T | undefined;
      try {
        value = opts.accept(msg);
      } catch (err) {
        finish(err as Error);
        return;
      }
      if (value !== undefined) finish(null, value);
    });
    if (opts.signal?.aborted) {
      onAbort();
      return;
    }
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    socket.bind({ address: family === 4 ? "0.0.0.0" : "::", port: 0 }, () => {
      if (!settled) send();
    });
  });
}
