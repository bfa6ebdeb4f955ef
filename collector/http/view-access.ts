// Who may see the read-only views (the status page and /metrics): a pure decision over what the
// request carries. A read or admin token always works; `[status_page] public = true` opens them to
// everyone; otherwise a request from this machine needs no token, but only when it really comes
// from this machine: the socket peer is loopback AND the request did not pass through a proxy.
//
// "Did not pass through a proxy" is judged three ways, any one of which makes the request remote:
// the peer is a configured trusted proxy, the connection carried a PROXY protocol header, or the
// request has a forwarding header (X-Forwarded-For, Forwarded, X-Real-IP, Via, ...). The last one
// covers a reverse proxy on the same machine that the operator forgot to list in trusted_proxies:
// every proxy example in deploy/proxy/ sets X-Forwarded-For, and a local client can only use such
// a header to lock itself out.
import type { IncomingHttpHeaders } from "node:http";
import { isIPv4 } from "node:net";
import { inCidrList, normalizeAddress } from "../../proto/ip.js";
import type { TrustedProxies } from "../ingest/client-address.js";

export type ViewRole = "admin" | "read";

export interface ViewPolicy {
  /** `[status_page] public`: everyone may look, no token needed. */
  readonly public: boolean;
  /** `[status_page] loopback`: requests from this machine (not through a proxy) need no token. */
  readonly loopback: boolean;
}

export interface ViewAccessInput {
  /** Role of the token the request presented and that verified, or null (none, or not valid). */
  readonly role: ViewRole | null;
  /** req.socket.remoteAddress. */
  readonly peer: string | undefined;
  readonly headers: IncomingHttpHeaders;
  /** The connection carried a PROXY protocol header (it came from a load balancer). */
  readonly viaProxyProtocol: boolean;
  readonly trustedProxies: TrustedProxies;
  readonly policy: ViewPolicy;
}

export type ViewAccess =
  | { readonly allow: true; readonly as: "token" | "public" | "loopback" }
  | { readonly allow: false; readonly reason: string };

/** Headers that only a proxy (or a client pretending to be one) sends. */
export const FORWARDING_HEADERS = [
  "x-forwarded-for", "forwarded", "x-real-ip", "via", "x-forwarded-host", "x-forwarded-proto",
  "x-forwarded-port", "x-client-ip", "true-client-ip", "cf-connecting-ip", "fastly-client-ip",
] as const;

/** 127.0.0.0/8 and ::1, also written as ::ffff:127.x.y.z (Node's dual-stack form). */
export function isLoopbackAddress(address: string | undefined): boolean {
  const n = address === undefined ? null : normalizeAddress(address);
  if (n === null) return false;
  return isIPv4(n) ? n.startsWith("127.") : n === "::1";
}

/** Why a request counts as proxied, or null when it does not. */
export function proxiedBecause(i: Pick<ViewAccessInput, "peer" | "headers" | "viaProxyProtocol" | "trustedProxies">): string | null {
  if (i.viaProxyProtocol) return "it came through a load balancer (PROXY protocol)";
  if (i.peer !== undefined && !i.trustedProxies.empty && inCidrList(i.trustedProxies.list, i.peer)) {
    return `its peer ${normalizeAddress(i.peer) ?? i.peer} is a trusted proxy`;
  }
  const header = FORWARDING_HEADERS.find((h) => i.headers[h] !== undefined);
  return header ? `it carries a ${header} header` : null;
}

export function decideViewAccess(i: ViewAccessInput): ViewAccess {
  if (i.role !== null) return { allow: true, as: "token" };
  if (i.policy.public) return { allow: true, as: "public" };
  if (!i.policy.loopback) return { allow: false, reason: "a read or admin token is required ([status_page] loopback = false)" };
  if (!isLoopbackAddress(i.peer)) return { allow: false, reason: `a read or admin token is required for requests from ${normalizeAddress(i.peer ?? "") ?? "an unknown address"} (only this machine may look without one)` };
  const proxied = proxiedBecause(i);
  if (proxied) return { allow: false, reason: `a read or admin token is required: the request is not from this machine (${proxied})` };
  return { allow: true, as: "loopback" };
}
