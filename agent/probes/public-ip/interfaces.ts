// Interface source: the host's own addresses (os.networkInterfaces, a seam for tests), each with its
// scope. A public address on an interface means the host is on the internet directly; private ones
// are shown for context but never taken for the public IP.
import os from "node:os";
import { classifyAddress, normalizeAddress } from "../../../proto/ip.js";
import type { AddressScope } from "../../../proto/ip.js";
import type { SourceObservation } from "./observation.js";

export type NetworkInterfacesFn = () => NodeJS.Dict<os.NetworkInterfaceInfo[]>;

export interface InterfaceAddress {
  readonly iface: string;
  readonly address: string;
  readonly family: 4 | 6;
  readonly scope: AddressScope;
}

/** Non-loopback interface addresses, public ones first, at most `max`. */
export function interfaceAddresses(list: NetworkInterfacesFn = os.networkInterfaces, max = 16): InterfaceAddress[] {
  const out: InterfaceAddress[] = [];
  const all = list();
  for (const name of Object.keys(all).sort()) {
    for (const info of all[name] ?? []) {
      if (info.internal) continue;
      const address = normalizeAddress(info.address);
      if (address === null) continue;
      const scope = classifyAddress(address);
      if (scope === "loopback" || scope === "unspecified" || scope === "multicast") continue;
      out.push({ iface: name, address, family: address.includes(":") ? 6 : 4, scope });
    }
  }
  const rank = (s: AddressScope) => (s === "public" ? 0 : s === "cgnat" ? 1 : s === "private" || s === "unique-local" ? 2 : 3);
  out.sort((a, b) => rank(a.scope) - rank(b.scope));
  return out.slice(0, max);
}

export function interfaceObservations(list?: NetworkInterfacesFn, families: ReadonlyArray<4 | 6> = [4, 6]): SourceObservation[] {
  return interfaceAddresses(list)
    .filter((a) => families.includes(a.family))
    .map((a) => ({ source: "interface", group: "interface", detail: `${a.iface} ${a.scope}`, address: a.address, family: a.family, error: "", rttMs: 0 }));
}
