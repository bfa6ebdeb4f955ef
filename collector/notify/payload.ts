// The machine-readable form of an alert: the webhook body and the exec channel's stdin.
// Version 1; fields are only ever added, never renamed or removed.
import type { Alert } from "./notifier.js";

export interface AlertPayload {
  readonly version: 1;
  readonly kind: Alert["kind"];
  readonly host: string;
  readonly rule: string;
  readonly subject: string;
  readonly text: string;
  /** ISO 8601 time of the state change. */
  readonly at: string;
  readonly flipId: string;
  readonly incidentId: string;
  readonly facts: Readonly<Record<string, string>>;
}

export function alertPayload(alert: Alert): AlertPayload {
  return {
    version: 1,
    kind: alert.kind,
    host: alert.host,
    rule: alert.rule,
    subject: alert.subject,
    text: alert.text,
    at: alert.at.toISOString(),
    flipId: alert.flipId,
    incidentId: alert.incidentId,
    facts: alert.facts,
  };
}
