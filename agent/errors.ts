// Typed errors of the agent. Codes are stable and listed in docs/errors.md.
import { CodedError } from "../proto/errors.js";

export type AgentErrorCode =
  | "LASTSEEN_ERR_CONFIG"
  | "LASTSEEN_ERR_STATE_DIR"
  | "LASTSEEN_ERR_STATE_LOCKED"
  | "LASTSEEN_ERR_OUTBOX_IO"
  | "LASTSEEN_ERR_OUTBOX_CORRUPT"
  | "LASTSEEN_ERR_OUTBOX_CLOSED"
  | "LASTSEEN_ERR_SPOOL"
  | "LASTSEEN_ERR_EVENT_INVALID"
  | "LASTSEEN_ERR_CONTROL"
  | "LASTSEEN_ERR_TLS";

export class AgentError extends CodedError<AgentErrorCode> {
  override readonly name = "AgentError";
}
