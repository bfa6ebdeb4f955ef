// The cross-check: from what every source said, which address is this host's, per family. Pure.
//
// - An address is accepted when sources of two different independence groups report it (two STUN
//   servers, STUN and a DNS echo, the collector's view and any one source, ...). One source alone is
//   never enough: a web echo can mix up families or a STUN server can sit behind a proxy.
// - When external sources report different addresses, that is a disagreement, described in words.
//   The address with the most groups behind it still wins; a tie accepts nothing.
// - A router whose WAN address is CGNAT (100.64.0.0/10) or private is not a disagreement but a flag:
//   the address the world sees is then a NAT pool's, not reachable from outside. The accepted
//   address's scope says so ("cgnat" / "private"), and a line explains it.
// - Interface addresses support a public address they contain, and never dispute one: a host has
//   many addresses (IPv6 privacy addresses), and a private one says nothing about the public IP.
import type { AcceptedAddress } from "../../../proto/types.js";
import { classifyAddress } from "../../../proto/ip.js";
import type { SourceObservation } from "./observation.js";

export interface CrosscheckResult {
  readonly accepted: AcceptedAddress[];
  readonly disagreements: string[];
}

const MAX_SOURCE_NAME = 32;

export function crosscheck(observations: readonly SourceObservation[]): CrosscheckResult {
  const accepted: AcceptedAddress[] = [];
  const disagreements: string[] = [];
  for (const family of [4, 6] as const) {
    const r = crosscheckFamily(observations, family);
    if (r.accepted) accepted.push(r.accepted);
    disagreements.push(...r.disagreements);
  }
  return { accepted, disagreements };
}

function crosscheckFamily(all: readonly SourceObservation[], family: 4 | 6): { accepted: AcceptedAddress | null; disagreements: string[] } {
  const label = `IPv${family}`;
  const ok = all.filter((o) => o.family === family && o.address !== "" && o.error === "");
  const routerFlags = ok.filter((o) => o.group === "router" && classifyAddress(o.address) !== "public");
  const external = ok.filter((o) => o.group !== "interface" && !routerFlags.includes(o));
  const supporting = ok.filter((o) => o.group === "interface" && classifyAddress(o.address) === "public");

  const votes = new Map<string, Set<string>>();
  for (const o of [...external, ...supporting]) {
    let groups = votes.get(o.address);
    if (!groups) votes.set(o.address, (groups = new Set()));
    groups.add(o.group);
  }
  const ranked = [...votes.entries()]
    .map(([address, groups]) => ({ address, groups: [...groups].sort() }))
    .sort((a, b) => b.groups.length - a.groups.length || a.address.localeCompare(b.address));

  const disagreements: string[] = [];
  const externalAddresses = new Set(external.map((o) => o.address));
  if (externalAddresses.size > 1) {
    const parts = ranked
      .filter((r) => externalAddresses.has(r.address))
      .map((r) => `${r.address} (${r.groups.join(", ")})`);
    disagreements.push(`${label}: sources disagree: ${parts.join("; ")}`);
  }

  let winner: { address: string; groups: string[] } | null = null;
  const top = ranked[0];
  if (top && top.groups.length >= 2 && !(ranked[1] && ranked[1].groups.length === top.groups.length)) winner = top;
  if (!winner && top && top.groups.length >= 2) {
    disagreements.push(`${label}: no address is backed by more sources than another; none accepted`);
  }

  let scope: string = winner ? classifyAddress(winner.address) : "";
  for (const r of [...new Map(routerFlags.map((o) => [o.address, o])).values()].sort((a, b) => a.address.localeCompare(b.address))) {
    const wanScope = classifyAddress(r.address);
    const seen = winner ? winner.address : "the address the internet sees";
    if (wanScope === "cgnat") {
      disagreements.push(`${label}: router WAN address ${r.address} (${r.source}) is CGNAT: ${seen} belongs to the carrier's NAT pool and is not reachable from outside`);
    } else {
      disagreements.push(`${label}: router WAN address ${r.address} (${r.source}) is ${wanScope}: another NAT sits between the router and the internet (double NAT)`);
    }
    if (winner && scope === "public") scope = wanScope === "cgnat" ? "cgnat" : "private";
  }

  const accepted: AcceptedAddress | null = winner
    ? { address: winner.address, family, sources: winner.groups.slice(0, 16).map((g) => g.slice(0, MAX_SOURCE_NAME)), scope }
    : null;
  return { accepted, disagreements };
}
