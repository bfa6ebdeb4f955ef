// IP address helpers that agent and collector both need: one canonical text form per address (so
// "::ffff:192.0.2.1", "[2001:DB8::1]" and "2001:db8:0:0::1%eth0" compare equal to what the other
// side wrote), the family, and the scope an address belongs to (public, CGNAT, private, ...).
import { BlockList, isIPv4, isIPv6 } from "node:net";

export type AddressFamily = 4 | 6;

export type AddressScope =
  | "public"
  | "cgnat"
  | "private"
  | "loopback"
  | "link-local"
  | "unique-local"
  | "documentation"
  | "multicast"
  | "unspecified"
  | "reserved";

const MAPPED_V4 = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i;

/**
 * The canonical text form of an IP address, or null when `s` is not one.
 * IPv4-mapped IPv6 (`::ffff:a.b.c.d`, also in hex form) becomes plain IPv4; IPv6 is lower-cased and
 * compressed per RFC 5952; surrounding brackets and a zone id (`%eth0`) are removed.
 */
export function normalizeAddress(s: string): string | null {
  let t = s.trim();
  if (t.length === 0 || t.length > 64) return null;
  if (t.startsWith("[") && t.endsWith("]")) t = t.slice(1, -1);
  const zone = t.indexOf("%");
  if (zone >= 0) {
    // A zone id only belongs to IPv6.
    if (!t.includes(":")) return null;
    t = t.slice(0, zone);
  }
  if (isIPv4(t)) return t;
  // Fast path for what Node reports for IPv4 peers on dual-stack sockets.
  const mapped = MAPPED_V4.exec(t);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]!;
  if (!isIPv6(t)) return null;
  const bytes = ipv6ToBytes(t);
  if (!bytes) return null;
  if (isV4MappedBytes(bytes)) return `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  return formatIPv6(bytes);
}

/** 4 or 6 for a valid address (after normalisation), 0 otherwise. */
export function addressFamily(s: string): AddressFamily | 0 {
  const n = normalizeAddress(s);
  if (n === null) return 0;
  return isIPv4(n) ? 4 : 6;
}

/** Raw bytes of an address (4 or 16), or null. Does not unmap IPv4-mapped IPv6. */
export function addressToBytes(s: string): Uint8Array | null {
  if (isIPv4(s)) return Uint8Array.from(s.split(".").map(Number));
  if (isIPv6(s)) return ipv6ToBytes(s);
  return null;
}

/** Text form of 4 or 16 raw bytes (IPv6 compressed per RFC 5952, IPv4-mapped shown as IPv4). */
export function bytesToAddress(b: Uint8Array): string {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  if (b.length !== 16) throw new RangeError(`an IP address has 4 or 16 bytes, got ${b.length}`);
  if (isV4MappedBytes(b)) return `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  return formatIPv6(b);
}

function isV4MappedBytes(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

function ipv6ToBytes(s: string): Uint8Array | null {
  let text = s;
  const out = new Uint8Array(16);
  // A trailing dotted quad ("::ffff:1.2.3.4", "64:ff9b::1.2.3.4") stands for the last 32 bits.
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(":");
  const maybeV4 = text.slice(lastColon + 1);
  if (maybeV4.includes(".")) {
    if (!isIPv4(maybeV4)) return null;
    tail = maybeV4.split(".").map(Number);
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(":") : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const groups = halves.length === 2 ? head.length + rest.length : head.length;
  if (groups > 8 || (halves.length === 1 && groups !== 8)) return null;
  const words: number[] = [];
  for (const g of head) words.push(parseInt(g, 16));
  if (halves.length === 2) for (let i = 0; i < 8 - groups; i++) words.push(0);
  for (const g of rest) words.push(parseInt(g, 16));
  for (let i = 0; i < 8; i++) {
    const w = words[i]!;
    if (!Number.isInteger(w) || w < 0 || w > 0xffff) return null;
    out[i * 2] = w >> 8;
    out[i * 2 + 1] = w & 0xff;
  }
  if (tail.length === 4) out.set(tail, 12);
  return out;
}

function formatIPv6(b: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((b[i]! << 8) | b[i + 1]!);
  // RFC 5952: compress the longest run of two or more zero words (the first on a tie).
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) return hex.join(":");
  const left = hex.slice(0, bestStart).join(":");
  const right = hex.slice(bestStart + bestLen).join(":");
  return `${left}::${right}`;
}

// ---------- scopes ----------

const V4_RANGES: ReadonlyArray<readonly [string, number, AddressScope]> = [
  ["0.0.0.0", 32, "unspecified"],
  ["0.0.0.0", 8, "reserved"], // "this network"
  ["10.0.0.0", 8, "private"],
  ["100.64.0.0", 10, "cgnat"], // RFC 6598 shared address space
  ["127.0.0.0", 8, "loopback"],
  ["169.254.0.0", 16, "link-local"],
  ["172.16.0.0", 12, "private"],
  ["192.0.0.0", 24, "reserved"], // IETF protocol assignments
  ["192.0.2.0", 24, "documentation"],
  ["192.88.99.0", 24, "reserved"], // deprecated 6to4 relay anycast
  ["192.168.0.0", 16, "private"],
  ["198.18.0.0", 15, "reserved"], // benchmarking
  ["198.51.100.0", 24, "documentation"],
  ["203.0.113.0", 24, "documentation"],
  ["224.0.0.0", 4, "multicast"],
  ["240.0.0.0", 4, "reserved"], // includes 255.255.255.255
];

const V6_RANGES: ReadonlyArray<readonly [string, number, AddressScope]> = [
  ["::", 128, "unspecified"],
  ["::1", 128, "loopback"],
  ["64:ff9b:1::", 48, "private"], // RFC 8215 local-use NAT64
  ["100::", 64, "reserved"], // discard-only
  ["2001:2::", 48, "reserved"], // benchmarking
  ["2001:10::", 28, "reserved"], // ORCHID
  ["2001:20::", 28, "reserved"], // ORCHIDv2
  ["2001:db8::", 32, "documentation"],
  ["3fff::", 20, "documentation"], // RFC 9637
  ["fc00::", 7, "unique-local"],
  ["fe80::", 10, "link-local"],
  ["ff00::", 8, "multicast"],
];

// One BlockList per scope and family, most specific prefixes first (checked in table order).
function compile(ranges: ReadonlyArray<readonly [string, number, AddressScope]>, type: "ipv4" | "ipv6") {
  return ranges.map(([net, prefix, scope]) => {
    const list = new BlockList();
    list.addSubnet(net, prefix, type);
    return { list, scope };
  });
}
const V4 = compile(V4_RANGES, "ipv4");
const V6 = compile(V6_RANGES, "ipv6");
const V6_GLOBAL_UNICAST = new BlockList();
V6_GLOBAL_UNICAST.addSubnet("2000::", 3, "ipv6");

/**
 * Which kind of address this is. Invalid input is "reserved" (never "public"): callers that accept
 * only public addresses stay safe with garbage.
 */
export function classifyAddress(s: string): AddressScope {
  const n = normalizeAddress(s);
  if (n === null) return "reserved";
  if (isIPv4(n)) {
    for (const { list, scope } of V4) if (list.check(n, "ipv4")) return scope;
    return "public";
  }
  for (const { list, scope } of V6) if (list.check(n, "ipv6")) return scope;
  // Only 2000::/3 is allocated for global unicast today.
  return V6_GLOBAL_UNICAST.check(n, "ipv6") ? "public" : "reserved";
}

/** True for addresses that can be someone's reachable public IP. */
export function isPublicAddress(s: string): boolean {
  return classifyAddress(s) === "public";
}

/** Address and port of a socket endpoint, e.g. "192.0.2.1:80" or "[2001:db8::1]:80". */
export function formatEndpoint(address: string, port: number): string {
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * Parses "host:port", "[v6]:port" or a bare host (then `defaultPort`). The host may be a name.
 * Returns null when the text is not of that shape or the port is out of range.
 */
export function parseHostPort(text: string, defaultPort?: number): { host: string; port: number } | null {
  const t = text.trim();
  if (t.length === 0 || t.length > 300) return null;
  let host: string;
  let portText: string | undefined;
  const bracket = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(t);
  if (bracket) {
    host = bracket[1]!;
    portText = bracket[2];
    if (!isIPv6(host.split("%")[0]!)) return null;
  } else if (isIPv6(t)) {
    host = t;
  } else {
    const m = /^([A-Za-z0-9._-]+)(?::(\d{1,5}))?$/.exec(t);
    if (!m) return null;
    host = m[1]!;
    portText = m[2];
  }
  const port = portText === undefined ? defaultPort : Number(portText);
  if (port === undefined || !Number.isInteger(port) || port < 1 || port > 65535) return null;
  return { host, port };
}

/** A list of CIDRs ("10.0.0.0/8", "2001:db8::/32", or single addresses) as a BlockList. */
export function parseCidrList(cidrs: readonly string[], where: string): BlockList {
  const list = new BlockList();
  for (const raw of cidrs) {
    const text = raw.trim();
    const slash = text.indexOf("/");
    const addrText = slash >= 0 ? text.slice(0, slash) : text;
    const addr = normalizeAddress(addrText);
    if (addr === null || addrText.includes("%")) throw new RangeError(`${where}: "${raw}" is not an IP address or CIDR`);
    const type = isIPv4(addr) ? "ipv4" : "ipv6";
    // The prefix length is counted in the text's own family (an IPv4-mapped CIDR counts 128 bits).
    const max = addrText.includes(":") ? 128 : 32;
    let prefix = max;
    if (slash >= 0) {
      const p = text.slice(slash + 1);
      if (!/^\d{1,3}$/.test(p) || Number(p) > max) throw new RangeError(`${where}: "${raw}" has an invalid prefix length`);
      prefix = Number(p);
      // An IPv4-mapped IPv6 CIDR ("::ffff:10.0.0.0/104") names IPv4 addresses.
      if (type === "ipv4" && addrText.includes(":")) {
        if (prefix < 96) throw new RangeError(`${where}: "${raw}" mixes IPv4-mapped and IPv6 addresses`);
        prefix -= 96;
      }
    }
    list.addSubnet(addr, prefix, type);
  }
  return list;
}

/** Whether a (normalised or not) address is in the list. Invalid addresses never are. */
export function inCidrList(list: BlockList, address: string): boolean {
  const n = normalizeAddress(address);
  if (n === null) return false;
  return list.check(n, isIPv4(n) ? "ipv4" : "ipv6");
}
