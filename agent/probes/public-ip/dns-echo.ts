// DNS echo source: resolvers that answer a special name with the address the query came from.
// OpenDNS answers myip.opendns.com (A over IPv4, AAAA over IPv6); Cloudflare answers the CHAOS-class
// TXT name whoami.cloudflare. A minimal client of our own speaks to them over a socket pinned to the
// family asked about, and the answer must be exactly one record holding one address.
import { randomInt } from "node:crypto";
import { bytesToAddress, normalizeAddress } from "../../../proto/ip.js";
import { DNS_CLASS, DNS_TYPE, encodeDnsQuery, parseDnsResponse, txtStrings } from "./dns-wire.js";
import type { DnsQuestion } from "./dns-wire.js";
import { PublicIpError } from "./errors.js";
import { udpExchange } from "./udp.js";

export type DnsEchoService = "opendns" | "cloudflare";

export interface DnsEchoServiceInfo {
  /** The service's resolver addresses, per family. */
  readonly servers: { readonly 4: string; readonly 6: string };
  question(family: 4 | 6): DnsQuestion;
}

export const DNS_ECHO_SERVICES: Readonly<Record<DnsEchoService, DnsEchoServiceInfo>> = {
  opendns: {
    // resolver1.opendns.com
    servers: { 4: "208.67.222.222", 6: "2620:119:35::35" },
    question: (family) => ({ name: "myip.opendns.com", type: family === 4 ? DNS_TYPE.A : DNS_TYPE.AAAA, cls: DNS_CLASS.IN }),
  },
  cloudflare: {
    servers: { 4: "1.1.1.1", 6: "2606:4700:4700::1111" },
    question: () => ({ name: "whoami.cloudflare", type: DNS_TYPE.TXT, cls: DNS_CLASS.CH }),
  },
};

export interface DnsEchoOptions {
  readonly service: DnsEchoService;
  /** Resolver address (its family is the family asked about) and port. */
  readonly address: string;
  readonly port: number;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

/** Asks one echo resolver; resolves to the address it reports. */
export async function dnsEcho(opts: DnsEchoOptions): Promise<string> {
  const server = normalizeAddress(opts.address);
  if (server === null) throw new PublicIpError("LASTSEEN_ERR_IP_CONFIG", `DNS echo server "${opts.address}" is not an IP address`);
  const family = server.includes(":") ? 6 : 4;
  const q = DNS_ECHO_SERVICES[opts.service].question(family);
  const id = randomInt(0, 0x10000);
  const query = encodeDnsQuery(id, q);
  return udpExchange<string>({
    address: server,
    port: opts.port,
    request: query,
    rtoMs: 1000,
    timeoutMs: opts.timeoutMs,
    signal: opts.signal,
    maxBytes: 1232,
    accept: (msg) => {
      // A datagram with another id is not ours (late answer to an earlier query): keep waiting.
      if (msg.length >= 2 && msg.readUInt16BE(0) !== id) return undefined;
      const res = parseDnsResponse(msg, id, q);
      if (res.truncated) throw new PublicIpError("LASTSEEN_ERR_IP_BAD_ANSWER", "DNS: truncated response");
      if (res.rcode !== 0) throw new PublicIpError("LASTSEEN_ERR_IP_SERVER_ERROR", `DNS: response code ${res.rcode} for ${q.name}`);
      const matching = res.answers.filter((a) => a.type === q.type && a.cls === q.cls && a.name.toLowerCase() === q.name);
      if (matching.length !== 1) {
        throw new PublicIpError("LASTSEEN_ERR_IP_BAD_ANSWER", `DNS: ${matching.length} answers for ${q.name} (expected exactly 1)`);
      }
      return addressOf(matching[0]!.type, matching[0]!.data);
    },
  });
}

function addressOf(type: number, data: Buffer): string {
  if (type === DNS_TYPE.A || type === DNS_TYPE.AAAA) {
    const want = type === DNS_TYPE.A ? 4 : 16;
    if (data.length !== want) throw new PublicIpError("LASTSEEN_ERR_IP_BAD_ANSWER", `DNS: ${type === DNS_TYPE.A ? "A" : "AAAA"} record of ${data.length} bytes`);
    return bytesToAddress(data);
  }
  const strings = txtStrings(data);
  if (strings.length !== 1) throw new PublicIpError("LASTSEEN_ERR_IP_BAD_ANSWER", `DNS: TXT record with ${strings.length} strings (expected 1)`);
  const text = strings[0]!.trim();
  const addr = /^[0-9A-Fa-f:.]{2,45}$/.test(text) ? normalizeAddress(text) : null;
  if (addr === null) throw new PublicIpError("LASTSEEN_ERR_IP_BAD_ANSWER", `DNS: TXT answer ${JSON.stringify(text.slice(0, 64))} is not an IP address`);
  return addr;
}
