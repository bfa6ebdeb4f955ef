// The common interface of every notification channel (email, Matrix, webhook, exec).

export type AlertKind = "firing" | "resolved" | "reminder" | "summary" | "notice" | "test";

/** A rendered notification for one flip. Channels format it, they do not decide anything. */
export interface Alert {
  /** Stable id of the flip this notification is for; channels derive idempotency keys from it. */
  readonly flipId: string;
  /** Identifies the incident (a firing and its resolution share it): email threading, grouping. */
  readonly incidentId: string;
  readonly kind: AlertKind;
  /** Host name, or "" for collector-wide notifications (summary, test). */
  readonly host: string;
  /** Rule that fired: "host.silent", "host.stale", "job.failed", ... */
  readonly rule: string;
  /** One line, e.g. "DOWN home: silent for 2m (last seen 02:10 UTC from 203.0.113.7)". */
  readonly subject: string;
  /** Plain-text body, several lines. */
  readonly text: string;
  /** HTML body (escaped, safe to embed). */
  readonly html: string;
  /** When the state changed. */
  readonly at: Date;
  /** Structured facts for machine consumers (webhook JSON, exec environment). */
  readonly facts: Readonly<Record<string, string>>;
}

export interface DeliveryReceipt {
  /** Channel-specific id of what was delivered (Message-ID, Matrix event_id, HTTP status). */
  readonly id?: string;
}

export interface Notifier {
  /** Unique channel name, e.g. "email", "matrix", "webhook-2". */
  readonly name: string;
  readonly type: "email" | "matrix" | "webhook" | "exec";
  /** One-time preparation (resolve a Matrix room alias, verify SMTP); throws NotifyError. */
  init?(): Promise<void>;
  /** Delivers one alert; throws NotifyError on failure. `attempt` starts at 1. */
  send(alert: Alert, attempt: number): Promise<DeliveryReceipt>;
  close?(): Promise<void>;
}

export type NotifyErrorCode =
  | "LASTSEEN_ERR_NOTIFY_CONFIG"
  | "LASTSEEN_ERR_NOTIFY_TRANSIENT"
  | "LASTSEEN_ERR_NOTIFY_REJECTED"
  | "LASTSEEN_ERR_NOTIFY_RATE_LIMITED";

export class NotifyError extends Error {
  override readonly name = "NotifyError";
  constructor(
    readonly code: NotifyErrorCode,
    message: string,
    /** false: retrying will not help (bad config, 4xx). */
    readonly retryable: boolean,
    /** Server asked to wait this long (Matrix 429 retry_after_ms, HTTP Retry-After). */
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
