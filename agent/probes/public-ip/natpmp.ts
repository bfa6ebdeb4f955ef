// NAT-PMP source (RFC 6886): asks the default gateway for its external (WAN) IPv4 address. Off by
// default. The router's WAN address is not always the public IP: behind carrier-grade NAT it is a
// 100.64.0.0/10 address, and the cross-check flags that.
import { normalizeAddress } from "../../../proto/ip.js";
import { PublicIpError } from "./errors.js";
import { defaultGateway } from "./gateway.js";
import { udpExchange } from "./udp.js";

export const NATPMP_PORT = 5351;

const RESULT_TEXT: Record<number, string> = {
  1: "unsupported version",
  2: "not authorized / refused",
  3: "network failure (the router has no WAN address)",
  4: "out of resources",
  5: "unsupported opcode",
};

export interface NatPmpOptions {
  /** Gateway address; read from ROOT/proc/net/route when absent. */
  readonly gateway?: string;
  readonly port?: number;
  /** Root path seam for /proc. */
  readonly procRoot?: string;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

/** Resolves the gateway to ask, or throws LASTSEEN_ERR_IP_NO_GATEWAY. */
export async function natPmpGateway(opts: Pick<NatPmpOptions, "gateway" | "procRoot">): Promise<string> {
  if (opts.gateway !== undefined) {
    const g = normalizeAddress(opts.gateway);
    if (g === null || g.includes(":")) throw new PublicIpError("LASTSEEN_ERR_IP_CONFIG", `NAT-PMP gateway "${opts.gateway}" is not an IPv4 address`);
    return g;
  }
  const gw = await defaultGateway(opts.procRoot);
  if (!gw) throw new PublicIpError("LASTSEEN_ERR_IP_NO_GATEWAY", `no default IPv4 gateway in ${opts.procRoot ?? "/"}proc/net/route`);
  return gw.address;
}

/** The 12-byte answer to opcode 0, checked; returns the external address. */
export function parseNatPmpResponse(msg: Buffer): string | undefined {
  if (msg.length < 2 || msg[0] !== 0 || msg[1] !== 128) return undefined; // not an answer to our request
  if (msg.length < 8) throw new PublicIpError("LASTSEEN_ERR_IP_BAD_ANSWER", `NAT-PMP answer of ${msg.length} bytes`);
  const result = msg.readUInt16BE(2);
  if (result !== 0) {
    throw new PublicIpError("LASTSEEN_ERR_IP_SERVER_ERROR", `NAT-PMP result ${result} (${RESULT_TEXT[result] ?? "unknown"})`);
  }
  if (msg.length !== 12) throw new PublicIpError("LASTSEEN_ERR_IP_BAD_ANSWER", `NAT-PMP answer of ${msg.length} bytes (expected 12)`);
  return `${msg[8]}.${msg[9]}.${msg[10]}.${msg[11]}`;
}

export async function natPmpExternalAddress(opts: NatPmpOptions): Promise<string> {
  const gateway = await natPmpGateway(opts);
  return udpExchange<string>({
    address: gateway,
    port: opts.port ?? NATPMP_PORT,
    request: Buffer.from([0, 0]), // version 0, opcode 0: external address
    rtoMs: 250,
    timeoutMs: opts.timeoutMs,
    signal: opts.signal,
    maxBytes: 64,
    accept: parseNatPmpResponse,
  });
}
