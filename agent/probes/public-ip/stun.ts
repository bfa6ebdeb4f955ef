// STUN source: a Binding request (RFC 8489) to the collector's responder or a configured server; the
// XOR-MAPPED-ADDRESS of the answer is this host's address as that server sees it. The socket family
// is pinned by the server address, the transaction id is checked, and retransmissions follow the
// RFC's doubling RTO within a short total timeout.
import {
  decodeStunMessage, encodeBindingRequest, newTransactionId, readErrorCode, readMappedAddress, StunError,
  STUN_METHOD_BINDING, unknownRequiredAttributes,
} from "../../../proto/stun.js";
import { PublicIpError } from "./errors.js";
import { udpExchange } from "./udp.js";

export interface StunQueryOptions {
  /** Server IP address (literal). */
  readonly address: string;
  readonly port: number;
  readonly timeoutMs: number;
  /** Initial retransmission timeout; RFC 8489 suggests 500 ms. */
  readonly rtoMs?: number;
  readonly signal?: AbortSignal;
  /** SOFTWARE attribute of the request; none by default (smallest request). */
  readonly software?: string;
}

export interface StunAnswer {
  readonly address: string;
  readonly port: number;
  readonly family: 4 | 6;
  readonly via: "xor-mapped-address" | "mapped-address";
}

export async function stunQuery(opts: StunQueryOptions): Promise<StunAnswer> {
  const tid = newTransactionId();
  const request = encodeBindingRequest(tid, { software: opts.software, fingerprint: true });
  return udpExchange<StunAnswer>({
    address: opts.address,
    port: opts.port,
    request,
    rtoMs: opts.rtoMs ?? 500,
    timeoutMs: opts.timeoutMs,
    signal: opts.signal,
    maxBytes: 2048,
    accept: (msg) => {
      let res;
      try {
        res = decodeStunMessage(msg);
      } catch (err) {
        if (err instanceof StunError) return undefined; // not a (valid) STUN answer: keep waiting
        throw err;
      }
      if (!res.hasMagicCookie || !res.transactionId.equals(tid)) return undefined; // another transaction
      if (res.method !== STUN_METHOD_BINDING || (res.cls !== "success" && res.cls !== "error")) return undefined;
      if (res.cls === "error") {
        const ec = readErrorCode(res);
        throw new PublicIpError("LASTSEEN_ERR_IP_SERVER_ERROR", `STUN error ${ec ? `${ec.code} ${ec.reason}` : "without ERROR-CODE"}`);
      }
      const unknown = unknownRequiredAttributes(res);
      if (unknown.length > 0) {
        throw new PublicIpError("LASTSEEN_ERR_IP_BAD_ANSWER", `STUN response with unknown comprehension-required attribute(s) ${unknown.map((t) => `0x${t.toString(16).padStart(4, "0")}`).join(", ")}`);
      }
      let mapped;
      try {
        mapped = readMappedAddress(res);
      } catch (err) {
        if (err instanceof StunError) throw new PublicIpError("LASTSEEN_ERR_IP_BAD_ANSWER", err.message, { cause: err });
        throw err;
      }
      if (!mapped) throw new PublicIpError("LASTSEEN_ERR_IP_BAD_ANSWER", "STUN response carries no (XOR-)MAPPED-ADDRESS");
      return mapped;
    },
  });
}
