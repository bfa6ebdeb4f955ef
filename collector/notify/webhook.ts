// Webhook channel: one signed JSON POST per alert (the body is payload.ts's AlertPayload).
//
//   X-Lastseen-Timestamp: <unix seconds at the time of this attempt>
//   X-Lastseen-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>" keyed with the secret>
//   X-Lastseen-Delivery:  <flipId>  (the same on every attempt: receivers de-duplicate with it)
//
// 2xx = delivered; 408, 429 and 5xx are retryable (Retry-After honoured); any other status is a
// permanent rejection. Error messages show only the URL's origin: webhook URLs often embed tokens.
import { createHmac } from "node:crypto";
import { httpRequest, originOf, parseRetryAfter, snippet } from "./http.js";
import { NotifyError } from "./notifier.js";
import { alertPayload } from "./payload.js";
import type { Alert, DeliveryReceipt, Notifier } from "./notifier.js";

export interface WebhookChannelOptions {
  readonly name: string;
  readonly url: string;
  /** HMAC key. */
  readonly secret: string;
  /** Extra request headers (already resolved), e.g. an Authorization for the receiver. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** Clock for the timestamp header and Retry-After dates. */
  readonly now?: () => Date;
}

/** The X-Lastseen-Signature value for a body sent at `timestamp` (unix seconds). */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/** Header names the channel sets itself; the `headers` table may not override them. */
export const RESERVED_WEBHOOK_HEADERS: readonly string[] = [
  "content-type",
  "content-length",
  "host",
  "x-lastseen-timestamp",
  "x-lastseen-signature",
  "x-lastseen-delivery",
];

export class WebhookNotifier implements Notifier {
  readonly type = "webhook" as const;
  readonly name: string;
  private readonly now: () => Date;

  constructor(private readonly opts: WebhookChannelOptions) {
    this.name = opts.name;
    this.now = opts.now ?? (() => new Date());
  }

  async send(alert: Alert, _attempt: number): Promise<DeliveryReceipt> {
    const body = JSON.stringify(alertPayload(alert));
    const timestamp = Math.floor(this.now().getTime() / 1000);
    const label = `webhook channel "${this.name}": POST ${originOf(this.opts.url)}`;
    const res = await httpRequest({
      method: "POST",
      url: this.opts.url,
      headers: {
        "User-Agent": "lastseen",
        ...this.opts.headers,
        "Content-Type": "application/json",
        "X-Lastseen-Timestamp": String(timestamp),
        "X-Lastseen-Signature": webhookSignature(this.opts.secret, timestamp, body),
        "X-Lastseen-Delivery": alert.flipId,
      },
      body,
      timeoutMs: this.opts.timeoutMs,
      label,
    });
    if (res.status >= 200 && res.status < 300) return { id: `HTTP ${res.status}` };

    const detail = res.text ? `: ${snippet(res.text)}` : "";
    const msg = `${label} answered HTTP ${res.status}${detail}`;
    const retryAfter = parseRetryAfter(res.headers.get("retry-after"), this.now());
    if (res.status === 429) throw new NotifyError("LASTSEEN_ERR_NOTIFY_RATE_LIMITED", msg, true, retryAfter);
    if (res.status >= 500 || res.status === 408) throw new NotifyError("LASTSEEN_ERR_NOTIFY_TRANSIENT", msg, true, retryAfter);
    throw new NotifyError("LASTSEEN_ERR_NOTIFY_REJECTED", msg, false);
  }
}
