// UPnP IGD source: finds the router by SSDP (M-SEARCH for a WANIPConnection / WANPPPConnection
// service), reads its device description, and asks GetExternalIPAddress over SOAP. Off by default.
// The SSDP target is injectable (tests answer from loopback, never multicast on a real network).
// Answers are only followed to the device that sent them, and that device must be on the LAN, so a
// forged SSDP reply cannot send the agent to an arbitrary URL.
import dgram from "node:dgram";
import { classifyAddress, formatEndpoint, normalizeAddress } from "../../../proto/ip.js";
import { PublicIpError } from "./errors.js";
import { boundedRequest } from "./http-get.js";

export const SSDP_MULTICAST = { address: "239.255.255.250", port: 1900 } as const;

export const WAN_SERVICE_TYPES = [
  "urn:schemas-upnp-org:service:WANIPConnection:2",
  "urn:schemas-upnp-org:service:WANIPConnection:1",
  "urn:schemas-upnp-org:service:WANPPPConnection:1",
] as const;

const LAN_SCOPES = new Set(["private", "loopback", "link-local", "unique-local", "cgnat"]);

export interface UpnpOptions {
  /** Where M-SEARCH goes; the SSDP multicast group by default. */
  readonly ssdpTarget?: { readonly address: string; readonly port: number };
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

export interface SsdpAnswer {
  readonly location: URL;
  readonly st: string;
  readonly from: string;
}

export function mSearch(st: string, target: { address: string; port: number }, mx = 2): Buffer {
  return Buffer.from(
    `M-SEARCH * HTTP/1.1\r\nHOST: ${formatEndpoint(target.address, target.port)}\r\nMAN: "ssdp:discover"\r\nMX: ${mx}\r\nST: ${st}\r\n\r\n`,
    "ascii",
  );
}

/**
 * Parses an SSDP search response. Returns null unless it is a 200 answer for a WAN service whose
 * LOCATION is an http URL on the very host that answered.
 */
export function parseSsdpResponse(msg: Buffer, from: string): SsdpAnswer | null {
  if (msg.length > 2048) return null;
  const lines = msg.toString("latin1").split("\r\n");
  if (!/^HTTP\/1\.[01] 200\b/.test(lines[0] ?? "")) return null;
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const st = headers.get("st") ?? "";
  if (!(WAN_SERVICE_TYPES as readonly string[]).includes(st)) return null;
  let location: URL;
  try {
    location = new URL(headers.get("location") ?? "");
  } catch {
    return null;
  }
  if (location.protocol !== "http:") return null;
  const host = normalizeAddress(location.hostname);
  const sender = normalizeAddress(from);
  if (host === null || host !== sender || !LAN_SCOPES.has(classifyAddress(host))) return null;
  return { location, st, from: host };
}

/** Sends M-SEARCH and resolves to the first usable answer. */
export function ssdpSearch(opts: UpnpOptions): Promise<SsdpAnswer> {
  const target = opts.ssdpTarget ?? SSDP_MULTICAST;
  const where = formatEndpoint(target.address, target.port);
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket({ type: "udp4" });
    let settled = false;
    const finish = (err: Error | null, value?: SsdpAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      clearTimeout(again);
      opts.signal?.removeEventListener("abort", onAbort);
      socket.close();
      if (err) reject(err);
      else resolve(value!);
    };
    const onAbort = () => finish(new PublicIpError("LASTSEEN_ERR_IP_TIMEOUT", "UPnP: aborted"));
    const deadline = setTimeout(() => finish(new PublicIpError("LASTSEEN_ERR_IP_TIMEOUT", `no UPnP gateway answered M-SEARCH to ${where} within ${opts.timeoutMs} ms`)), opts.timeoutMs);
    let again: NodeJS.Timeout | undefined;
    const sendAll = () => {
      for (const st of WAN_SERVICE_TYPES) {
        socket.send(mSearch(st, target), target.port, target.address, (err) => {
          if (err) finish(new PublicIpError("LASTSEEN_ERR_IP_UNREACHABLE", `cannot send M-SEARCH to ${where}: ${err.message}`, { cause: err }));
        });
      }
    };
    socket.on("error", (err) => finish(new PublicIpError("LASTSEEN_ERR_IP_UNREACHABLE", `SSDP: ${err.message}`, { cause: err })));
    socket.on("message", (msg, rinfo) => {
      const answer = parseSsdpResponse(msg, rinfo.address);
      if (answer) finish(null, answer);
    });
    if (opts.signal?.aborted) {
      onAbort();
      return;
    }
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    socket.bind({ address: "0.0.0.0", port: 0 }, () => {
      if (settled) return;
      if (target.address === SSDP_MULTICAST.address) socket.setMulticastTTL(2);
      sendAll();
      // UDP may be lost: one repeat.
      again = setTimeout(sendAll, Math.min(1000, opts.timeoutMs / 2));
    });
  });
}

function xmlText(tag: string, xml: string): string[] {
  const re = new RegExp(`<(?:[A-Za-z_][\\w.-]*:)?${tag}\\b[^>]*>([\\s\\S]*?)</(?:[A-Za-z_][\\w.-]*:)?${tag}>`, "g");
  const out: string[] = [];
  for (const m of xml.matchAll(re)) out.push(m[1]!);
  return out;
}

function decodeEntities(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos);/g, (_, e: string) => ({ lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" })[e]!).trim();
}

/** From a device description: the control URL and service type of the first WAN connection service. */
export function findWanService(xml: string, base: URL): { controlUrl: URL; serviceType: string } | null {
  const urlBase = xmlText("URLBase", xml)[0];
  let root = base;
  if (urlBase) {
    try {
      root = new URL(decodeEntities(urlBase));
    } catch {
      root = base;
    }
  }
  for (const service of xmlText("service", xml)) {
    const type = decodeEntities(xmlText("serviceType", service)[0] ?? "");
    if (!(WAN_SERVICE_TYPES as readonly string[]).includes(type)) continue;
    const control = decodeEntities(xmlText("controlURL", service)[0] ?? "");
    if (!control) continue;
    try {
      return { controlUrl: new URL(control, root), serviceType: type };
    } catch {
      continue;
    }
  }
  return null;
}

export function soapGetExternalIp(serviceType: string): string {
  return (
    '<?xml version="1.0"?>\r\n' +
    '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">' +
    `<s:Body><u:GetExternalIPAddress xmlns:u="${serviceType}"></u:GetExternalIPAddress></s:Body></s:Envelope>\r\n`
  );
}

/** The address in a GetExternalIPAddress response: exactly one NewExternalIPAddress element. */
export function parseExternalIpResponse(xml: string): string {
  const values = xmlText("NewExternalIPAddress", xml).map(decodeEntities);
  if (values.length !== 1) throw new PublicIpError("LASTSEEN_ERR_IP_BAD_ANSWER", `UPnP: ${values.length} NewExternalIPAddress elements (expected 1)`);
  const a = normalizeAddress(values[0]!);
  if (a === null) throw new PublicIpError("LASTSEEN_ERR_IP_BAD_ANSWER", `UPnP: external address ${JSON.stringify(values[0]!.slice(0, 48))} is not an IP address`);
  return a;
}

export async function upnpExternalAddress(opts: UpnpOptions): Promise<string> {
  const start = Date.now();
  const left = () => Math.max(1, opts.timeoutMs - (Date.now() - start));
  const answer = await ssdpSearch(opts);
  const desc = await boundedRequest({ url: answer.location, maxBytes: 64 * 1024, timeoutMs: left(), signal: opts.signal, family: 4 });
  if (desc.status !== 200) throw new PublicIpError("LASTSEEN_ERR_IP_SERVER_ERROR", `UPnP: device description ${answer.location.href} answered HTTP ${desc.status}`);
  const svc = findWanService(desc.body.toString("utf8"), answer.location);
  if (!svc) throw new PublicIpError("LASTSEEN_ERR_IP_BAD_ANSWER", `UPnP: ${answer.location.href} describes no WANIPConnection or WANPPPConnection service`);
  // The control URL must stay on the device that answered.
  if (svc.controlUrl.protocol !== "http:" || normalizeAddress(svc.controlUrl.hostname) !== answer.from) {
    throw new PublicIpError("LASTSEEN_ERR_IP_BAD_ANSWER", `UPnP: control URL ${svc.controlUrl.href} is not on the gateway ${answer.from}`);
  }
  const res = await boundedRequest({
    url: svc.controlUrl,
    method: "POST",
    headers: { "content-type": 'text/xml; charset="utf-8"', soapaction: `"${svc.serviceType}#GetExternalIPAddress"` },
    body: soapGetExternalIp(svc.serviceType),
    maxBytes: 16 * 1024,
    timeoutMs: left(),
    signal: opts.signal,
    family: 4,
  });
  if (res.status !== 200) throw new PublicIpError("LASTSEEN_ERR_IP_SERVER_ERROR", `UPnP: GetExternalIPAddress answered HTTP ${res.status}`);
  return parseExternalIpResponse(res.body.toString("utf8"));
}
