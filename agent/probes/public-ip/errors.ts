// Errors of the public-IP sources. Each ends up as the `error` of an observation ("CODE: message"),
// so the collector and `lastseen-agent ip` show why a source said nothing. Codes are stable.
import { CodedError } from "../../../proto/errors.js";

export type PublicIpErrorCode =
  /** No (valid) answer within the time allowed. */
  | "LASTSEEN_ERR_IP_TIMEOUT"
  /** An answer came but is not exactly one address: HTML, two addresses, a malformed packet. */
  | "LASTSEEN_ERR_IP_BAD_ANSWER"
  /** The answer is an address of the other family than the socket asked with. */
  | "LASTSEEN_ERR_IP_FAMILY_MISMATCH"
  /** The server answered with an error (STUN error response, DNS rcode, HTTP status, NAT-PMP result). */
  | "LASTSEEN_ERR_IP_SERVER_ERROR"
  /** The server could not be reached: name resolution, socket or connection error. */
  | "LASTSEEN_ERR_IP_UNREACHABLE"
  /** NAT-PMP: no default IPv4 gateway in the routing table. */
  | "LASTSEEN_ERR_IP_NO_GATEWAY"
  /** A [public_ip] setting or command-line value is invalid. */
  | "LASTSEEN_ERR_IP_CONFIG";

export class PublicIpError extends CodedError<PublicIpErrorCode> {
  override readonly name = "PublicIpError";
}

/** "CODE: message" for an observation's error field; unexpected errors keep their message. */
export function describeError(err: unknown): string {
  if (err instanceof PublicIpError) return `${err.code}: ${err.message}`;
  if (err instanceof Error) {
    if (err.name === "AbortError") return "LASTSEEN_ERR_IP_TIMEOUT: aborted";
    return `LASTSEEN_ERR_IP_UNREACHABLE: ${err.message}`;
  }
  return `LASTSEEN_ERR_IP_UNREACHABLE: ${String(err)}`;
}
