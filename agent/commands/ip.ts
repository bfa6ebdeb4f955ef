// `lastseen-agent ip [--json] [--collector URL] [--stun host:port ...]`: runs the public-IP discovery
// once on this host and prints what each source said, then the accepted addresses and any
// disagreement. Exit status: 0 when an address was accepted, 1 when none was, 2 on bad arguments.
import { DEFAULT_PUBLIC_IP_OPTIONS, parseStunServer, STUN_DEFAULT_PORT } from "../probes/public-ip/config.js";
import type { PublicIpOptions, StunServer } from "../probes/public-ip/config.js";
import { discoverPublicIp } from "../probes/public-ip/discover.js";
import type { CollectorEndpoint, DiscoverSeams } from "../probes/public-ip/discover.js";
import { PublicIpError } from "../probes/public-ip/errors.js";
import type { SourceObservation } from "../probes/public-ip/observation.js";

export interface IpCommandOptions {
  readonly json?: boolean;
  /** Collector URL (ws://, wss://, http://, https://); its host is asked over STUN. */
  readonly collector?: string;
  /** The collector's STUN port (the Welcome message announces it; 3478 by default). */
  readonly collectorStunPort?: number;
  /** Extra STUN servers, "host:port". */
  readonly stun?: readonly string[];
  /** The agent config's [public_ip] settings. */
  readonly options?: Partial<PublicIpOptions>;
  /** The address the collector saw, when the caller knows it. */
  readonly observedAddress?: string;
  readonly seams?: DiscoverSeams;
  readonly signal?: AbortSignal;
}

export interface Output {
  write(chunk: string): unknown;
}

/** Host of a collector URL, without IPv6 brackets. */
export function collectorHost(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch (err) {
    throw new PublicIpError("LASTSEEN_ERR_IP_CONFIG", `--collector "${url}" is not a URL`, { cause: err });
  }
  if (!["ws:", "wss:", "http:", "https:"].includes(u.protocol) || u.hostname === "") {
    throw new PublicIpError("LASTSEEN_ERR_IP_CONFIG", `--collector "${url}" is not a ws(s):// or http(s):// URL with a host`);
  }
  return u.hostname.replace(/^\[|\]$/g, "");
}

export async function ipCommand(opts: IpCommandOptions, out: Output): Promise<number> {
  let options: PublicIpOptions;
  let collector: CollectorEndpoint | null = null;
  try {
    const extra: StunServer[] = (opts.stun ?? []).map(parseStunServer);
    const base = { ...DEFAULT_PUBLIC_IP_OPTIONS, ...opts.options };
    options = { ...base, stun: [...base.stun, ...extra] };
    if (opts.collector !== undefined) {
      const port = opts.collectorStunPort ?? STUN_DEFAULT_PORT;
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new PublicIpError("LASTSEEN_ERR_IP_CONFIG", `collector STUN port ${port} is not 1..65535`);
      collector = { host: collectorHost(opts.collector), stunPort: port, observedAddress: opts.observedAddress };
    } else if (opts.observedAddress) {
      collector = { host: "", stunPort: 0, observedAddress: opts.observedAddress };
    }
  } catch (err) {
    if (!(err instanceof PublicIpError)) throw err;
    out.write(`lastseen-agent ip: ${err.message}\n`);
    return 2;
  }
  const { observations, report } = await discoverPublicIp({ options, collector, seams: opts.seams, signal: opts.signal });
  if (opts.json) {
    out.write(`${JSON.stringify({ observations: observations.map(jsonObservation), accepted: report.accepted, disagreements: report.disagreements }, null, 2)}\n`);
  } else {
    out.write(renderTable(observations));
    out.write("\n");
    for (const family of options.families) {
      const a = report.accepted.find((x) => x.family === family);
      out.write(a ? `IPv${family}  ${a.address}  ${a.scope}  (agreed: ${a.sources.join(", ")})\n` : `IPv${family}  none accepted (no two independent sources agree)\n`);
    }
    for (const d of report.disagreements) out.write(`! ${d}\n`);
  }
  return report.accepted.length > 0 ? 0 : 1;
}

function jsonObservation(o: SourceObservation) {
  return { source: o.source, group: o.group, detail: o.detail, family: o.family, address: o.address || null, error: o.error || null, rttMs: o.rttMs };
}

export function renderTable(observations: readonly SourceObservation[]): string {
  const rows = [["SOURCE", "FAMILY", "ADDRESS", "RTT", "DETAIL"]];
  for (const o of observations) {
    rows.push([
      o.source,
      o.family ? `IPv${o.family}` : "-",
      o.address || (o.error ? "error" : "-"),
      o.error || o.source === "interface" || o.source === "collector" ? "-" : `${o.rttMs} ms`,
      o.error ? `${o.detail}: ${o.error}` : o.detail,
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ").trimEnd()).join("\n") + "\n";
}
