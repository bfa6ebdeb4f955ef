// Errors of the IP on-change hook. The message is what `lastseen alerts` and the ip.hook-failed
// notification show, so it names the host, the family, the command (or the URL's origin) and why.
// Codes are stable.
import { CodedError } from "../../proto/errors.js";

export type IpHookErrorCode =
  /** The command exited non-zero or was killed, or the URL answered something other than 2xx, or could not be reached. */
  | "LASTSEEN_ERR_IP_HOOK_FAILED"
  /** The run took longer than on_ip_change.timeout (the command's process group was killed). */
  | "LASTSEEN_ERR_IP_HOOK_TIMEOUT"
  /** The command could not be started (ENOENT, EACCES): retried, but needs a config fix. */
  | "LASTSEEN_ERR_IP_HOOK_SPAWN";

export class IpHookError extends CodedError<IpHookErrorCode> {
  override readonly name = "IpHookError";
}
