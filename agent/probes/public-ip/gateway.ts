// The default IPv4 gateway, read from /proc/net/route (the root path is a seam so tests use a
// fixture file). The router is whom NAT-PMP asks.
import { readFile } from "node:fs/promises";
import path from "node:path";

const RTF_UP = 0x1;
const RTF_GATEWAY = 0x2;

export interface DefaultGateway {
  readonly address: string;
  readonly iface: string;
}

/** Parses /proc/net/route text: the default route with the lowest metric, or null. */
export function parseProcNetRoute(text: string): DefaultGateway | null {
  let best: (DefaultGateway & { metric: number }) | null = null;
  for (const line of text.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const [iface, dest, gw, flagsHex, , , metricText, mask] = f as [string, string, string, string, string, string, string, string];
    const flags = parseInt(flagsHex, 16);
    if (dest !== "00000000" || mask !== "00000000" || (flags & (RTF_UP | RTF_GATEWAY)) !== (RTF_UP | RTF_GATEWAY)) continue;
    if (!/^[0-9A-Fa-f]{8}$/.test(gw)) continue;
    const n = parseInt(gw, 16);
    // The kernel prints the address in host (little-endian) byte order.
    const address = [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff].join(".");
    const metric = Number(metricText);
    if (address === "0.0.0.0") continue;
    if (!best || metric < best.metric) best = { address, iface, metric };
  }
  return best ? { address: best.address, iface: best.iface } : null;
}

/** Reads ROOT/proc/net/route; null when there is no default gateway (or no such file). */
export async function defaultGateway(root = "/"): Promise<DefaultGateway | null> {
  let text: string;
  try {
    text = await readFile(path.join(root, "proc/net/route"), "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "EACCES") return null;
    throw err;
  }
  return parseProcNetRoute(text);
}
