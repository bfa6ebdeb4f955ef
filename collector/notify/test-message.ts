// `lastseen notify test [--channel NAME]`: the test Alert (kind "test") and a runner that sends
// it through each channel (init, then send) and reports per channel instead of stopping at the
// first failure. Closing the notifiers afterwards is the caller's job.
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { escapeHtml } from "./escape-html.js";
import { NotifyError } from "./notifier.js";
import type { Alert, Notifier } from "./notifier.js";

export interface TestAlertOptions {
  readonly now: Date;
  /** Name of the collector machine, shown in the message. */
  readonly collector?: string;
  /** Unique part of the flip id; random by default so each test is a new message. */
  readonly nonce?: string;
}

export function buildTestAlert(opts: TestAlertOptions): Alert {
  const nonce = opts.nonce ?? randomBytes(6).toString("hex");
  const id = `test-${opts.now.getTime()}-${nonce}`;
  const from = opts.collector ? ` from the collector on ${opts.collector}` : "";
  const when = opts.now.toISOString().replace(/\.\d+Z$/, "Z");
  const text = [
    `This is a test notification${from}, sent at ${when} by "lastseen notify test".`,
    "If you can read it, this channel works: alerts about silent hosts, failed jobs and stale services will arrive here.",
  ].join("\n");
  const html =
    `<p>This is a test notification${escapeHtml(from)}, sent at ${escapeHtml(when)} by <code>lastseen notify test</code>.</p>` +
    "<p>If you can read it, this channel works: alerts about silent hosts, failed jobs and stale services will arrive here.</p>";
  return {
    flipId: id,
    incidentId: id,
    kind: "test",
    host: "",
    rule: "notify.test",
    subject: "lastseen test notification",
    text,
    html,
    at: opts.now,
    facts: { test: "true", ...(opts.collector ? { collector: opts.collector } : {}) },
  };
}

export interface NotifyTestResult {
  readonly channel: string;
  readonly type: Notifier["type"];
  readonly ok: boolean;
  /** Receipt id (Message-ID, event_id, HTTP status) when delivered. */
  readonly id?: string;
  readonly error?: { readonly code: string; readonly message: string; readonly retryable: boolean };
  readonly ms: number;
}

/**
 * Sends `alert` through every notifier (or only the one named `channel`), one after the other.
 * Throws NotifyError LASTSEEN_ERR_NOTIFY_CONFIG when `channel` names no configured channel.
 */
export async function runNotifyTest(notifiers: readonly Notifier[], alert: Alert, channel?: string): Promise<NotifyTestResult[]> {
  const chosen = channel === undefined ? notifiers : notifiers.filter((n) => n.name === channel);
  if (chosen.length === 0) {
    const known = notifiers.map((n) => n.name).join(", ") || "none";
    throw new NotifyError(
      "LASTSEEN_ERR_NOTIFY_CONFIG",
      channel === undefined ? "no notification channel is configured ([[notify.email]], [[notify.matrix]], ...)" : `no channel named "${channel}" (configured: ${known})`,
      false,
    );
  }
  const results: NotifyTestResult[] = [];
  for (const n of chosen) {
    const start = performance.now();
    try {
      await n.init?.();
      const receipt = await n.send(alert, 1);
      results.push({ channel: n.name, type: n.type, ok: true, id: receipt.id, ms: performance.now() - start });
    } catch (err) {
      const e = err instanceof NotifyError ? err : new NotifyError("LASTSEEN_ERR_NOTIFY_TRANSIENT", `${n.type} channel "${n.name}": ${(err as Error).message}`, true);
      results.push({ channel: n.name, type: n.type, ok: false, error: { code: e.code, message: e.message, retryable: e.retryable }, ms: performance.now() - start });
    }
  }
  return results;
}
