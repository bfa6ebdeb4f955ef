// Typed errors of the collector. Codes are stable and listed in docs/errors.md.
import { CodedError } from "../proto/errors.js";

export type CollectorErrorCode =
  | "LASTSEEN_ERR_CONFIG"
  | "LASTSEEN_ERR_DATA_DIR"
  | "LASTSEEN_ERR_STORE"
  | "LASTSEEN_ERR_STORE_UNAVAILABLE"
  | "LASTSEEN_ERR_STORE_MIGRATION"
  | "LASTSEEN_ERR_UNKNOWN_HOST"
  | "LASTSEEN_ERR_TOKEN_EXISTS"
  | "LASTSEEN_ERR_TOKEN_UNKNOWN"
  | "LASTSEEN_ERR_BAD_NAME"
  | "LASTSEEN_ERR_UNREACHABLE"
  | "LASTSEEN_ERR_UNAUTHORIZED"
  | "LASTSEEN_ERR_API"
  | "LASTSEEN_ERR_TLS"
  | "LASTSEEN_ERR_LISTEN"
  | "LASTSEEN_ERR_NOT_FOUND"
  | "LASTSEEN_ERR_BAD_REQUEST";

export class CollectorError extends CodedError<CollectorErrorCode> {
  override readonly name = "CollectorError";
}

/** Host and token names: what users type on the command line. */
export const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,62}$/i;

export function checkName(name: string, what = "host name"): string {
  if (!NAME_RE.test(name)) {
    throw new CollectorError("LASTSEEN_ERR_BAD_NAME", `invalid ${what} "${name}": use letters, digits, ".", "_" and "-" (at most 63, starting with a letter or digit)`);
  }
  return name;
}
