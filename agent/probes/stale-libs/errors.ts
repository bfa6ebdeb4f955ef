// Errors of the stale-library scanner. Codes are stable and listed in docs/stale-libs.md.
// Expected races (a process that exits mid-scan, a file we may not read) are never errors: they
// are counted in the scan's `skipped` figures. Only what makes the whole scan impossible, or a
// configuration mistake, is raised.
import { CodedError } from "../../../proto/errors.js";

export type ScanErrorCode =
  /** ROOT/proc cannot be listed: no scan is possible. */
  | "LASTSEEN_ERR_SCAN_PROC_UNAVAILABLE"
  /** A user-supplied ignore pattern is not valid. */
  | "LASTSEEN_ERR_SCAN_IGNORE_PATTERN";

export class ScanError extends CodedError<ScanErrorCode> {
  override readonly name = "ScanError";
}

/** The errno code of a failed fs call, or "" when the value is not such an error. */
export function errnoCode(err: unknown): string {
  if (typeof err === "object" && err !== null && "code" in err) {
    const code = (err as { code: unknown }).code;
    return typeof code === "string" ? code : "";
  }
  return "";
}

/** A process that went away between listing /proc and reading its files. */
export function isVanished(err: unknown): boolean {
  const code = errnoCode(err);
  return code === "ENOENT" || code === "ESRCH" || code === "ENOTDIR";
}

/** A file of a process that exists but that this user may not read. */
export function isDenied(err: unknown): boolean {
  const code = errnoCode(err);
  return code === "EACCES" || code === "EPERM";
}
