// What one source said, plus the group it belongs to for the cross-check: two observations only
// count as independent when their groups differ (NAT-PMP and UPnP both ask the same router; two
// queries to the same service are one opinion).
import type { AddressObservation } from "../../../proto/types.js";
import { normalizeAddress } from "../../../proto/ip.js";
import { describeError, PublicIpError } from "./errors.js";

export type SourceKind = "stun" | "dns" | "http" | "natpmp" | "upnp" | "interface" | "collector";

export interface SourceObservation extends AddressObservation {
  /** Independence group, e.g. "stun:collector", "dns:opendns", "http:ifconfig.example", "router". */
  readonly group: string;
}

const MAX_DETAIL = 256;
const MAX_ERROR = 512;

function clip(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

export function okObservation(source: SourceKind, group: string, detail: string, family: 4 | 6, address: string, rttMs: number): SourceObservation {
  const a = normalizeAddress(address);
  if (a === null) throw new PublicIpError("LASTSEEN_ERR_IP_BAD_ANSWER", `"${clip(address, 64)}" is not an IP address`);
  const got = a.includes(":") ? 6 : 4;
  if (got !== family) {
    throw new PublicIpError("LASTSEEN_ERR_IP_FAMILY_MISMATCH", `asked over IPv${family}, got the IPv${got} address ${a}`);
  }
  return { source, group, detail: clip(detail, MAX_DETAIL), address: a, family, error: "", rttMs: Math.max(0, Math.round(rttMs)) };
}

export function errorObservation(source: SourceKind, group: string, detail: string, family: 0 | 4 | 6, err: unknown, rttMs = 0): SourceObservation {
  return { source, group, detail: clip(detail, MAX_DETAIL), address: "", family, error: clip(describeError(err), MAX_ERROR), rttMs: Math.max(0, Math.round(rttMs)) };
}

/**
 * Runs one source and turns its answer or its failure into an observation. The source resolves to
 * the address it saw; `now` is the clock seam used for the round-trip time.
 */
export async function observe(
  source: SourceKind,
  group: string,
  detail: string,
  family: 4 | 6,
  run: () => Promise<string>,
  now: () => number = () => performance.now(),
): Promise<SourceObservation> {
  const start = now();
  try {
    const address = await run();
    return okObservation(source, group, detail, family, address, now() - start);
  } catch (err) {
    return errorObservation(source, group, detail, family, err, now() - start);
  }
}

/** The wire form: the group is the agent's own bookkeeping. */
export function toWire(o: SourceObservation): AddressObservation {
  return { source: o.source, detail: o.detail, address: o.address, family: o.family, error: o.error, rttMs: o.rttMs };
}
