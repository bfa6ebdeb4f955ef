// Which address an agent connection really comes from. The socket peer is the truth unless that peer
// is a configured reverse proxy: only then is its forwarding header read, from the right (the end
// the proxies append to), skipping further trusted proxies, and the first untrusted hop is the
// client. The leftmost values are whatever the client wrote, so they are never taken on trust.
import type { IncomingHttpHeaders } from "node:http";
import { isIPv6 } from "node:net";
import type { BlockList } from "node:net";
import { inCidrList, normalizeAddress, parseCidrList } from "../../proto/ip.js";

export type ClientAddressVia = "peer" | "x-forwarded-for" | "forwarded" | "proxy-protocol";

/** Which header the trusted proxies write. Only that one is read: a client can send the other. */
export type ForwardingHeader = "x-forwarded-for" | "forwarded";

export interface ClientAddress {
  readonly address: string;
  readonly family: 4 | 6;
  readonly via: ClientAddressVia;
}

/** Trusted proxy networks, parsed once (see trustedProxyList). */
export interface TrustedProxies {
  readonly list: BlockList;
  readonly cidrs: readonly string[];
  readonly empty: boolean;
}

export type TrustedProxyErrorCode = "LASTSEEN_ERR_TRUSTED_PROXY";

export class TrustedProxyError extends Error {
  override readonly name = "TrustedProxyError";
  readonly code: TrustedProxyErrorCode = "LASTSEEN_ERR_TRUSTED_PROXY";
}

/**
 * Parses a `trusted_proxies` list ("127.0.0.1", "10.0.0.0/8", "::1", "fd00::/8") once.
 * `where` names the config key for the error message.
 */
export function trustedProxyList(cidrs: readonly string[], where = "trusted_proxies"): TrustedProxies {
  try {
    return { list: parseCidrList(cidrs, where), cidrs: [...cidrs], empty: cidrs.length === 0 };
  } catch (err) {
    throw new TrustedProxyError((err as Error).message, { cause: err });
  }
}

const cache = new WeakMap<readonly string[], TrustedProxies>();

function compiled(t: TrustedProxies | readonly string[]): TrustedProxies {
  if (!Array.isArray(t)) return t as TrustedProxies;
  const arr = t as readonly string[];
  let c = cache.get(arr);
  if (!c) {
    c = trustedProxyList(arr);
    cache.set(arr, c);
  }
  return c;
}

/** Hops walked at most; a longer header is cut (its left end is client-controlled anyway). */
const MAX_HOPS = 32;
const MAX_HEADER_CHARS = 8192;

export interface ClientAddressInput {
  /** req.socket.remoteAddress. */
  readonly remoteAddress: string | undefined;
  readonly headers: IncomingHttpHeaders;
  /** The client address from a PROXY protocol header, when the connection carried one. */
  readonly proxyProtocolAddress?: string | undefined;
  readonly trustedProxies: TrustedProxies | readonly string[];
  /** Which forwarding header the trusted proxies set. Default "x-forwarded-for". */
  readonly header?: ForwardingHeader;
}

/**
 * The client's address. Pure: no I/O, no clock. Throws only when neither the socket nor the PROXY
 * header gives a valid address (a destroyed socket has no remoteAddress).
 */
export function clientAddress(input: ClientAddressInput): ClientAddress {
  const trusted = compiled(input.trustedProxies);
  let current: string | null = null;
  let via: ClientAddressVia = "peer";
  if (input.proxyProtocolAddress !== undefined) {
    current = normalizeAddress(input.proxyProtocolAddress);
    via = "proxy-protocol";
  }
  if (current === null) {
    current = input.remoteAddress === undefined ? null : normalizeAddress(input.remoteAddress);
    via = "peer";
  }
  if (current === null) {
    throw new TrustedProxyError(`connection has no valid peer address (remoteAddress ${JSON.stringify(input.remoteAddress ?? null)})`);
  }
  if (trusted.empty || !inCidrList(trusted.list, current)) return result(current, via);

  const headerName = input.header ?? "x-forwarded-for";
  const hops = headerName === "forwarded" ? forwardedHops(input.headers.forwarded) : xffHops(input.headers["x-forwarded-for"]);
  // Walk from the right: each hop was written by the (trusted) hop to its right.
  for (let i = hops.length - 1, walked = 0; i >= 0 && walked < MAX_HOPS; i--, walked++) {
    const hop = hops[i]!;
    if (hop === null) break; // garbage, "unknown" or an obfuscated id: nothing beyond it can be trusted
    current = hop;
    via = headerName;
    if (!inCidrList(trusted.list, hop)) break;
  }
  return result(current, via);
}

function result(address: string, via: ClientAddressVia): ClientAddress {
  return { address, family: address.includes(":") ? 6 : 4, via };
}

function headerText(v: string | string[] | undefined): string {
  if (v === undefined) return "";
  const s = Array.isArray(v) ? v.join(",") : v;
  return s.length > MAX_HEADER_CHARS ? s.slice(s.length - MAX_HEADER_CHARS) : s;
}

/** X-Forwarded-For entries, each a normalised address or null for garbage. */
export function xffHops(v: string | string[] | undefined): Array<string | null> {
  const text = headerText(v);
  if (text.trim() === "") return [];
  return text.split(",").map((part) => parseNode(part.trim(), false));
}

/** The `for=` values of an RFC 7239 Forwarded header, each normalised or null. */
export function forwardedHops(v: string | string[] | undefined): Array<string | null> {
  const text = headerText(v);
  if (text.trim() === "") return [];
  const out: Array<string | null> = [];
  for (const element of splitOutsideQuotes(text, ",")) {
    if (element.trim() === "") continue;
    let forValue: string | null | undefined;
    for (const pair of splitOutsideQuotes(element, ";")) {
      const eq = pair.indexOf("=");
      if (eq < 0) {
        if (pair.trim() !== "") forValue = null;
        continue;
      }
      if (pair.slice(0, eq).trim().toLowerCase() !== "for") continue;
      // A second for= in one element is malformed.
      if (forValue !== undefined) {
        forValue = null;
        continue;
      }
      const raw = unquote(pair.slice(eq + 1).trim());
      forValue = raw === null ? null : parseNode(raw, true);
    }
    // An element without for= says nothing about the client: treat it as a break in the chain.
    out.push(forValue ?? null);
  }
  return out;
}

function splitOutsideQuotes(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quoted && c === "\\" && i + 1 < s.length) {
      cur += c + s[i + 1]!;
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === sep && !quoted) {
      out.push(cur);
      cur = "";
      continue;
    }
    cur += c;
  }
  out.push(cur);
  return out;
}

function unquote(v: string): string | null {
  if (!v.startsWith('"')) return /^[!#$%&'*+.^_`|~0-9A-Za-z:-]+$/.test(v) ? v : null; // a token
  if (v.length < 2 || !v.endsWith('"')) return null;
  return v.slice(1, -1).replace(/\\(.)/g, "$1");
}

/**
 * One node: "192.0.2.1", "192.0.2.1:8080", "[2001:db8::1]", "[2001:db8::1]:8080", and outside
 * Forwarded also a bare "2001:db8::1". "unknown" and obfuscated ids ("_hidden") give null.
 */
function parseNode(node: string, forwarded: boolean): string | null {
  if (node.length === 0 || node.length > 64) return null;
  const bracket = /^\[([0-9A-Fa-f:.]+)\](?::(\d{1,5}|_[A-Za-z0-9._-]+))?$/.exec(node);
  if (bracket) {
    return isIPv6(bracket[1]!) ? normalizeAddress(bracket[1]!) : null;
  }
  const v4port = /^(\d{1,3}(?:\.\d{1,3}){3})(?::(\d{1,5}|_[A-Za-z0-9._-]+))?$/.exec(node);
  if (v4port) return normalizeAddress(v4port[1]!);
  // RFC 7239 requires brackets around IPv6; X-Forwarded-For writers usually leave them out.
  if (!forwarded && node.includes(":")) return normalizeAddress(node);
  return null;
}
