// The public-IP probe: runs a discovery every few minutes and reports an AddressReport. Its
// fingerprint covers only the accepted addresses and the disagreements, so round-trip times and a
// flaky echo service that answers the same address do not cause new events.
import { createHash } from "node:crypto";
import type { AddressReport } from "../../../proto/types.js";
import type { Probe, ProbeContext, ProbeResult } from "../probe.js";
import { DEFAULT_PUBLIC_IP_OPTIONS } from "./config.js";
import type { PublicIpOptions } from "./config.js";
import { discoverPublicIp } from "./discover.js";
import type { CollectorEndpoint, DiscoverSeams } from "./discover.js";

export interface PublicIpProbeOptions {
  /** The validated [public_ip] settings (defaults for whatever is left out). */
  readonly options?: Partial<PublicIpOptions>;
  /**
   * The collector's STUN endpoint and what it saw: host of the collector URL, stunPort and
   * observedAddress from the last Welcome. Null before the first Welcome.
   */
  readonly collector?: () => CollectorEndpoint | null;
  readonly seams?: DiscoverSeams;
}

/** Digest of what matters in a report: accepted addresses (with scope) and disagreements. */
export function addressReportFingerprint(report: AddressReport): string {
  const accepted = report.accepted
    .map((a) => `${a.family} ${a.address} ${a.scope}`)
    .sort();
  const disagreements = [...report.disagreements].sort();
  return createHash("sha256").update(JSON.stringify({ accepted, disagreements })).digest("hex").slice(0, 32);
}

export function createPublicIpProbe(opts: PublicIpProbeOptions = {}): Probe {
  const options: PublicIpOptions = { ...DEFAULT_PUBLIC_IP_OPTIONS, ...opts.options };
  return {
    name: "public-ip",
    intervalMs: options.intervalMs,
    refreshMs: options.refreshMs,
    async collect(ctx: ProbeContext): Promise<ProbeResult | null> {
      if (!options.enabled) return null;
      const { report } = await discoverPublicIp({ options, collector: opts.collector?.() ?? null, seams: opts.seams, signal: ctx.signal });
      if (report.observations.length === 0) return null;
      ctx.log.debug(
        { accepted: report.accepted.map((a) => `${a.address} (${a.scope})`), disagreements: report.disagreements.length },
        "public-ip: discovery done",
      );
      return { body: { kind: "addressReport", value: report }, fingerprint: addressReportFingerprint(report) };
    },
  };
}
