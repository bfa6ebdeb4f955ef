// Settings of the public-IP probe: the plain options object the code uses, and the zod schema of the
// agent config's [public_ip] table (snake_case keys), which validates and converts to it.
//
//   [public_ip]
//   stun = ["stun.example.net:3478"]       # extra STUN servers; the collector's is always asked
//   dns = true                              # or ["opendns", "cloudflare", "opendns@[::1]:5300"]
//   http = ["https://ip.example.net/"]     # plain-text echo URLs
//   natpmp = false
//   upnp = false
//   interval = "5m"
import { z } from "zod";
import { duration } from "../../../proto/config-fields.js";
import { normalizeAddress, parseHostPort } from "../../../proto/ip.js";
import type { DnsEchoService } from "./dns-echo.js";
import { PublicIpError } from "./errors.js";

export interface StunServer {
  /** IP literal or host name (resolved per family). */
  readonly host: string;
  readonly port: number;
}

export interface DnsEchoSource {
  readonly service: DnsEchoService;
  /** A resolver to ask instead of the service's own (its family is the one asked about). */
  readonly server?: { readonly address: string; readonly port: number };
}

export interface PublicIpOptions {
  readonly enabled: boolean;
  /** Ask the collector's STUN responder (host of the collector URL, port from Welcome). */
  readonly collectorStun: boolean;
  readonly stun: readonly StunServer[];
  readonly dns: readonly DnsEchoSource[];
  readonly http: readonly string[];
  readonly natpmp: boolean;
  readonly upnp: boolean;
  readonly interfaces: boolean;
  readonly families: ReadonlyArray<4 | 6>;
  readonly intervalMs: number;
  /** An unchanged result is still sent after this long. */
  readonly refreshMs: number;
  /** Each source gives up after this long; a whole run takes about as long. */
  readonly timeoutMs: number;
}

export const DEFAULT_PUBLIC_IP_OPTIONS: PublicIpOptions = Object.freeze<PublicIpOptions>({
  enabled: true,
  collectorStun: true,
  stun: [],
  dns: [],
  http: [],
  natpmp: false,
  upnp: false,
  interfaces: true,
  families: [4, 6],
  intervalMs: 5 * 60_000,
  refreshMs: 6 * 3600_000,
  timeoutMs: 3000,
});

export const STUN_DEFAULT_PORT = 3478;

/** "host", "host:port", "[v6]:port" -> StunServer. */
export function parseStunServer(text: string): StunServer {
  const hp = parseHostPort(text, STUN_DEFAULT_PORT);
  if (!hp) throw new PublicIpError("LASTSEEN_ERR_IP_CONFIG", `"${text}" is not a STUN server (use host:port, e.g. "stun.example.net:3478" or "[2001:db8::1]:3478")`);
  return hp;
}

/** "opendns", "cloudflare", or "SERVICE@ADDRESS:PORT" (a resolver address, not a name). */
export function parseDnsSource(text: string): DnsEchoSource {
  const m = /^(opendns|cloudflare)(?:@(.+))?$/.exec(text.trim());
  if (!m) throw new PublicIpError("LASTSEEN_ERR_IP_CONFIG", `"${text}" is not a DNS echo source (use "opendns", "cloudflare" or e.g. "opendns@127.0.0.1:5300")`);
  const service = m[1] as DnsEchoService;
  if (m[2] === undefined) return { service };
  const hp = parseHostPort(m[2], 53);
  const address = hp ? normalizeAddress(hp.host) : null;
  if (!hp || address === null) throw new PublicIpError("LASTSEEN_ERR_IP_CONFIG", `"${text}": the resolver must be an IP address with an optional port`);
  return { service, server: { address, port: hp.port } };
}

function checkHttpUrl(text: string): string {
  let u: URL;
  try {
    u = new URL(text);
  } catch (err) {
    throw new PublicIpError("LASTSEEN_ERR_IP_CONFIG", `"${text}" is not a URL`, { cause: err });
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new PublicIpError("LASTSEEN_ERR_IP_CONFIG", `"${text}" is not an http(s) URL`);
  return u.href;
}

/** Runs a parser inside a zod transform, turning PublicIpError into an issue. */
function via<T>(parse: (s: string) => T) {
  return z.string().transform((v, ctx) => {
    try {
      return parse(v);
    } catch (err) {
      if (!(err instanceof PublicIpError)) throw err;
      ctx.addIssue({ code: "custom", message: err.message });
      return z.NEVER;
    }
  });
}

/** The [public_ip] table of the agent config. Every key is optional. */
export const publicIpSchema = z
  .strictObject({
    enabled: z.boolean().optional(),
    collector_stun: z.boolean().optional(),
    stun: z.array(via(parseStunServer)).max(8).optional(),
    dns: z.union([z.boolean(), z.array(via(parseDnsSource)).max(8)]).optional(),
    http: z.array(via(checkHttpUrl)).max(8).optional(),
    natpmp: z.boolean().optional(),
    upnp: z.boolean().optional(),
    interfaces: z.boolean().optional(),
    families: z.array(z.union([z.literal(4), z.literal(6)])).min(1).max(2).optional(),
    interval: duration({ min: 10_000, max: 24 * 3600_000 }).optional(),
    refresh: duration({ min: 60_000, max: 7 * 24 * 3600_000 }).optional(),
    timeout: duration({ min: 100, max: 60_000 }).optional(),
  })
  .transform((t): PublicIpOptions => {
    const d = DEFAULT_PUBLIC_IP_OPTIONS;
    const dns: DnsEchoSource[] = t.dns === true ? [{ service: "opendns" }, { service: "cloudflare" }] : t.dns === false || t.dns === undefined ? [] : t.dns;
    return Object.freeze({
      enabled: t.enabled ?? d.enabled,
      collectorStun: t.collector_stun ?? d.collectorStun,
      stun: t.stun ?? d.stun,
      dns,
      http: t.http ?? d.http,
      natpmp: t.natpmp ?? d.natpmp,
      upnp: t.upnp ?? d.upnp,
      interfaces: t.interfaces ?? d.interfaces,
      families: t.families ? [...new Set(t.families)] : d.families,
      intervalMs: t.interval ?? d.intervalMs,
      refreshMs: t.refresh ?? d.refreshMs,
      timeoutMs: t.timeout ?? d.timeoutMs,
    });
  });

export type PublicIpTable = z.input<typeof publicIpSchema>;
