// Which address is a host's current public address of one family, when the collector's view of the
// connection and the agent's own report disagree. Pure.
//
// Two feeds report addresses:
// - "peer": the address the agent's connection comes from, as the collector sees it (after the
//   trusted-proxy and PROXY-protocol rules). Observed at every Hello.
// - "agent": the address the agent accepted after cross-checking its sources (STUN, DNS and HTTP
//   echoes, the router, ...). Observed at every AddressReport.
//
// Each feed keeps one view per family: its latest address and since when it says so. The current
// address is chosen from the views:
// 1. A public address beats a CGNAT one, which beats anything else (private, loopback, ...): a VPN
//    or LAN path to the collector shows a private peer address, and the agent's public one is what
//    the world sees.
// 2. Between addresses of the same class, the view that changed to its address last wins: a new
//    address is news, whichever feed brings it first.
// 3. Equal in both: the peer (the collector saw it itself).
// Re-observing an unchanged address does not change a view's `since`, so two feeds that keep
// disagreeing never make the current address flap: it changes only when a feed's address does.

import { classifyAddress } from "../../proto/ip.js";

export type Feed = "peer" | "agent";

export interface AddressView {
  feed: Feed;
  address: string;
  /** When the feed started to report this address. */
  since: number;
  /** When the feed last reported it. */
  lastSeen: number;
  /** Source kinds that reported it ("peer", "stun", "dns", ...). */
  sources: string[];
}

/** Longest source name kept (the agent's group names are at most 32 characters). */
const MAX_SOURCE = 32;

/** The feed an observation's source belongs to: "peer" is the connection, anything else the agent. */
export function feedOf(source: string): Feed {
  return source === "peer" ? "peer" : "agent";
}

/**
 * The kind of a source as history shows it: the agent's independence groups "stun:collector",
 * "dns:opendns", "http:ip.example" become "stun", "dns", "http"; "router", "interface",
 * "collector" (the agent repeating what the collector told it) and "peer" stay as they are.
 */
export function sourceKind(source: string): string {
  const s = source.trim();
  const kind = s.includes(":") ? s.slice(0, s.indexOf(":")) : s;
  return (kind || "agent").slice(0, MAX_SOURCE);
}

/** 2 public, 1 CGNAT (the carrier's NAT pool), 0 anything else. */
export function addressRank(address: string): number {
  const scope = classifyAddress(address);
  return scope === "public" ? 2 : scope === "cgnat" ? 1 : 0;
}

/** The view whose address is current, or null when there is none. */
export function chooseCurrent(views: readonly AddressView[]): AddressView | null {
  let best: AddressView | null = null;
  for (const v of views) {
    if (best === null || better(v, best)) best = v;
  }
  return best;
}

function better(a: AddressView, b: AddressView): boolean {
  const ra = addressRank(a.address);
  const rb = addressRank(b.address);
  if (ra !== rb) return ra > rb;
  if (a.since !== b.since) return a.since > b.since;
  return a.feed === "peer" && b.feed !== "peer";
}

/** The view after one more observation of the feed: extended when the address is the same. */
export function observeView(prev: AddressView | null, feed: Feed, address: string, source: string, at: number): AddressView {
  if (prev && prev.address === address) {
    const sources = prev.sources.includes(source) ? prev.sources : [...prev.sources, source];
    return { ...prev, lastSeen: Math.max(prev.lastSeen, at), sources };
  }
  return { feed, address, since: at, lastSeen: at, sources: [source] };
}
