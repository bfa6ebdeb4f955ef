// One discovery run: every enabled source, per family, concurrently and within the timeout, then the
// cross-check. Used by the probe (every few minutes) and by `lastseen-agent ip` (once).
import { lookup as dnsLookup } from "node:dns/promises";
import { isIP } from "node:net";
import { formatEndpoint, normalizeAddress } from "../../../proto/ip.js";
import { LIMITS } from "../../../proto/limits.js";
import type { AddressReport } from "../../../proto/types.js";
import type { PublicIpOptions } from "./config.js";
import { crosscheck } from "./crosscheck.js";
import { DNS_ECHO_SERVICES, dnsEcho } from "./dns-echo.js";
import { PublicIpError } from "./errors.js";
import { httpEcho, urlFitsFamily } from "./http-echo.js";
import { interfaceObservations } from "./interfaces.js";
import type { NetworkInterfacesFn } from "./interfaces.js";
import { natPmpExternalAddress, natPmpGateway } from "./natpmp.js";
import { errorObservation, observe, okObservation, toWire } from "./observation.js";
import type { SourceObservation } from "./observation.js";
import { stunQuery } from "./stun.js";
import { SSDP_MULTICAST, upnpExternalAddress } from "./upnp.js";

/** What the agent knows of its collector: from the collector URL and the Welcome message. */
export interface CollectorEndpoint {
  /** Host of the collector URL (name or IP literal, without brackets). */
  readonly host: string;
  /** UDP port of the collector's STUN responder; 0 when it has none. */
  readonly stunPort: number;
  /** The agent's address as the collector sees it (Welcome.observedAddress), if known. */
  readonly observedAddress?: string;
}

/** Resolves a host name to its addresses of one family ([] when it has none). */
export type LookupFn = (host: string, family: 4 | 6) => Promise<string[]>;

export interface DiscoverSeams {
  readonly networkInterfaces?: NetworkInterfacesFn;
  /** Root path for /proc (NAT-PMP's gateway). */
  readonly procRoot?: string;
  /** NAT-PMP gateway and port instead of the routing table's default gateway and 5351. */
  readonly natpmpGateway?: string;
  readonly natpmpPort?: number;
  /** Where SSDP M-SEARCH goes instead of the multicast group. */
  readonly ssdpTarget?: { readonly address: string; readonly port: number };
  readonly lookup?: LookupFn;
  /** Monotonic clock for round-trip times. */
  readonly now?: () => number;
}

export interface DiscoverOptions {
  readonly options: PublicIpOptions;
  readonly collector?: CollectorEndpoint | null;
  readonly seams?: DiscoverSeams;
  readonly signal?: AbortSignal;
}

export interface DiscoveryResult {
  /** Everything the sources said, with their independence groups. */
  readonly observations: SourceObservation[];
  /** The wire body: observations, accepted addresses, disagreements. */
  readonly report: AddressReport;
}

const defaultLookup: LookupFn = async (host, family) => {
  try {
    const all = await dnsLookup(host, { family, all: true });
    return all.map((a) => a.address);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOTFOUND" || code === "ENODATA" || code === "EAI_NONAME" || code === "EAI_NODATA") return [];
    throw new PublicIpError("LASTSEEN_ERR_IP_UNREACHABLE", `cannot resolve ${host}: ${(err as Error).message}`, { cause: err });
  }
};

function deadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PublicIpError("LASTSEEN_ERR_IP_TIMEOUT", `${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

export async function discoverPublicIp(d: DiscoverOptions): Promise<DiscoveryResult> {
  const o = d.options;
  const seams = d.seams ?? {};
  const now = seams.now ?? (() => performance.now());
  const lookup = seams.lookup ?? defaultLookup;
  const timeoutMs = o.timeoutMs;
  const signal = d.signal;
  const tasks: Array<Promise<SourceObservation | null>> = [];

  /** The server's address of this family: the literal itself, or the first resolved one. */
  const resolve = async (host: string, family: 4 | 6): Promise<string | null> => {
    const literal = isIP(host);
    if (literal !== 0) return literal === family ? normalizeAddress(host) : null;
    const all = await deadline(lookup(host, family), timeoutMs, `resolving ${host}`);
    if (all.length === 0) throw new PublicIpError("LASTSEEN_ERR_IP_UNREACHABLE", `${host} has no IPv${family} address`);
    return normalizeAddress(all[0]!);
  };

  const stunTask = (host: string, port: number, family: 4 | 6, group: string, name: string) =>
    (async (): Promise<SourceObservation | null> => {
      let address: string | null;
      try {
        address = await resolve(host, family);
      } catch (err) {
        return errorObservation("stun", group, `${name}${formatEndpoint(host, port)}`, family, err);
      }
      if (address === null) return null; // a literal of the other family: nothing to ask
      const detail = `${name}${formatEndpoint(address, port)}`;
      return observe("stun", group, detail, family, async () => (await stunQuery({ address, port, timeoutMs, signal })).address, now);
    })();

  for (const family of o.families) {
    const c = d.collector;
    if (o.collectorStun && c && c.stunPort > 0) tasks.push(stunTask(c.host, c.stunPort, family, "stun:collector", "collector "));
    for (const s of o.stun) tasks.push(stunTask(s.host, s.port, family, `stun:${s.host}`, ""));
    for (const src of o.dns) {
      const server = src.server ?? { address: DNS_ECHO_SERVICES[src.service].servers[family], port: 53 };
      if ((server.address.includes(":") ? 6 : 4) !== family) continue;
      tasks.push(observe("dns", `dns:${src.service}`, `${src.service} ${formatEndpoint(server.address, server.port)}`, family,
        () => dnsEcho({ service: src.service, address: server.address, port: server.port, timeoutMs, signal }), now));
    }
    for (const url of o.http) {
      if (!urlFitsFamily(url, family)) continue;
      let host: string;
      try {
        host = new URL(url).hostname;
      } catch (err) {
        tasks.push(Promise.resolve(errorObservation("http", "http:?", url, family, new PublicIpError("LASTSEEN_ERR_IP_CONFIG", `"${url}" is not a URL`, { cause: err }))));
        continue;
      }
      tasks.push(observe("http", `http:${host}`, url, family, () => httpEcho({ url, family, timeoutMs, signal }), now));
    }
    if (c?.observedAddress) {
      const a = normalizeAddress(c.observedAddress);
      if (a !== null && (a.includes(":") ? 6 : 4) === family) {
        tasks.push(Promise.resolve(okObservation("collector", "collector", "seen by the collector", family, a, 0)));
      }
    }
  }
  if (o.families.includes(4)) {
    if (o.natpmp) {
      tasks.push((async () => {
        let gateway: string;
        try {
          gateway = await natPmpGateway({ gateway: seams.natpmpGateway, procRoot: seams.procRoot });
        } catch (err) {
          return errorObservation("natpmp", "router", "default gateway", 4, err);
        }
        const port = seams.natpmpPort;
        return observe("natpmp", "router", `gateway ${formatEndpoint(gateway, port ?? 5351)}`, 4,
          () => natPmpExternalAddress({ gateway, port, timeoutMs, signal }), now);
      })());
    }
    if (o.upnp) {
      const target = seams.ssdpTarget ?? SSDP_MULTICAST;
      tasks.push(observe("upnp", "router", `ssdp ${formatEndpoint(target.address, target.port)}`, 4,
        () => upnpExternalAddress({ ssdpTarget: target, timeoutMs, signal }), now));
    }
  }

  const settled = (await Promise.all(tasks)).filter((x): x is SourceObservation => x !== null);
  if (o.interfaces) settled.push(...interfaceObservations(seams.networkInterfaces, o.families));
  const observations = settled.slice(0, LIMITS.maxObservations);
  const { accepted, disagreements } = crosscheck(observations);
  return {
    observations,
    report: {
      observations: observations.map(toWire),
      accepted,
      disagreements: disagreements.slice(0, LIMITS.maxDisagreements).map((s) => (s.length <= 512 ? s : `${s.slice(0, 511)}…`)),
    },
  };
}
