// Delivers stored notifications: claims due rows (compare-and-set with a lease), sends each
// through its channel, and records the outcome on the row — delivered, retry later (exponential
// backoff, or what the server asked for), or failed for good. Survives restarts: the outbox is
// the notifications table.
import type { Logger } from "pino";
import type { Clock } from "../clock.js";
import { NotifyError, type Alert, type Notifier } from "../notify/notifier.js";
import type { FlipRecord } from "../store/alert-repo.js";
import type { Store } from "../store/store.js";

export interface DispatcherOptions {
  store: Store;
  clock: Clock;
  log: Logger;
  notifiers: readonly Notifier[];
  /** Deliveries in flight at once (default 32). */
  concurrency?: number;
  /** Attempts before a notification is marked failed (default 12: about 5 h of backoff). */
  maxAttempts?: number;
  /** First retry delay (default 5 s), doubling up to maxDelayMs (default 1 h). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A claim older than this is taken again (the sender died): default 2 min. */
  leaseMs?: number;
  random?: () => number;
  /** Makes flip ids unique across databases (Matrix txnIds and webhook delivery ids derive from them). */
  instanceId: string;
  onDelivered?(channel: string, ok: boolean): void;
}

export class Dispatcher {
  private readonly byName: Map<string, Notifier>;
  private inFlight = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private kicking = false;
  private again = false;
  private readonly idle = new Set<() => void>();
  /** Delivery outcomes waiting to be stored together (see record()). */
  private outcomes: (() => void)[] = [];
  private flushScheduled = false;

  constructor(private readonly o: DispatcherOptions) {
    this.byName = new Map(o.notifiers.map((n) => [n.name, n]));
    // A collector killed mid-delivery left claims behind: deliver them now, not after the lease.
    const released = o.store.notifications.releaseClaims();
    if (released > 0) o.log.warn({ released }, "notifications interrupted by the previous run are due again");
  }

  get channels(): string[] {
    return [...this.byName.keys()];
  }

  /** Looks for due notifications now (called when new ones are stored). */
  kick(): void {
    if (this.stopped) return;
    if (this.kicking) {
      this.again = true;
      return;
    }
    this.kicking = true;
    setImmediate(() => {
      this.kicking = false;
      this.pump();
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  private pump(): void {
    const { store, clock } = this.o;
    const concurrency = this.o.concurrency ?? 32;
    const room = concurrency - this.inFlight;
    // Claim in batches (half the slots) unless idle: each claim is a query over the outbox and a
    // commit, and a DOWN storm stores a flip (and kicks) per host.
    if (room > 0 && (this.inFlight === 0 || room >= concurrency / 2)) {
      let claimed;
      try {
        claimed = store.notifications.claimDue(clock.now(), room, this.o.leaseMs ?? 120_000);
      } catch (err) {
        this.o.log.error({ err }, "cannot claim notifications; retrying in 5 s");
        return this.arm(clock.now() + 5000);
      }
      for (const n of claimed) {
        this.inFlight++;
        void this.deliver(n.id, n.flipId, n.channel, n.attempts).finally(() => {
          this.inFlight--;
          if (this.inFlight === 0) for (const fn of this.idle) fn();
          if (this.inFlight <= concurrency / 2) this.kick();
        });
      }
    }
    this.arm(store.notifications.nextDue());
  }

  private arm(at: number | null): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (at === null || this.stopped) return;
    this.timer = setTimeout(() => this.kick(), Math.min(Math.max(0, at - this.o.clock.now()), 2 ** 31 - 1));
    this.timer.unref();
  }

  private async deliver(id: number, flipId: number, channel: string, attempt: number): Promise<void> {
    const { store, clock, log } = this.o;
    const flip = store.alerts.flip(flipId);
    const notifier = this.byName.get(channel);
    if (!flip || !notifier) {
      const why = !flip ? "the flip no longer exists" : `no channel named "${channel}" in the configuration any more`;
      this.record(() => store.notifications.failed(id, why));
      return;
    }
    try {
      const receipt = await notifier.send(toAlert(flip, this.o.instanceId), attempt);
      const at = clock.now();
      this.record(() => store.notifications.delivered(id, receipt.id ?? null, at));
      this.o.onDelivered?.(channel, true);
      log.info({ channel, flip: flipId, host: flip.host, rule: flip.rule, kind: flip.kind, attempt }, "notification delivered");
    } catch (err) {
      const e = err instanceof NotifyError ? err : new NotifyError("LASTSEEN_ERR_NOTIFY_TRANSIENT", (err as Error).message ?? String(err), true);
      const message = `${e.code}: ${e.message}`;
      this.o.onDelivered?.(channel, false);
      if (!e.retryable || attempt >= (this.o.maxAttempts ?? 12)) {
        this.record(() => store.notifications.failed(id, message));
        log.error({ channel, flip: flipId, host: flip.host, attempt, code: e.code }, `notification failed for good: ${e.message}`);
        return;
      }
      const delay = e.retryAfterMs ?? this.backoff(attempt);
      const at = clock.now() + delay;
      this.record(() => store.notifications.retryAt(id, at, message));
      log.warn({ channel, flip: flipId, host: flip.host, attempt, retryInMs: delay, code: e.code }, `notification failed, will retry: ${e.message}`);
    }
  }

  /**
   * Stores an outcome with the others of this turn of the event loop, in one transaction: one
   * commit (one fsync) per batch instead of one per delivery when many notifications go out at once.
   */
  private record(write: () => void): void {
    this.outcomes.push(write);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flushOutcomes());
  }

  private flushOutcomes(): void {
    this.flushScheduled = false;
    const writes = this.outcomes.splice(0);
    if (writes.length === 0) return;
    try {
      this.o.store.transaction(() => { for (const w of writes) w(); });
    } catch (err) {
      // The rows stay claimed: they are sent again when their lease ends (or at the next start).
      this.o.log.error({ err, outcomes: writes.length }, "cannot store delivery outcomes; those notifications will be sent again");
    }
  }

  private backoff(attempt: number): number {
    const base = this.o.baseDelayMs ?? 5000;
    const cap = this.o.maxDelayMs ?? 3_600_000;
    const exp = Math.min(cap, base * 2 ** (attempt - 1));
    return Math.round(exp * (0.8 + 0.4 * (this.o.random ?? Math.random)()));
  }

  /** Resolves when nothing is being sent (for a clean stop). */
  async drain(timeoutMs = 10_000): Promise<void> {
    if (this.inFlight === 0) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, timeoutMs);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.idle.add(done);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.drain();
    this.flushOutcomes();
    for (const n of this.o.notifiers) await n.close?.();
  }
}

export function toAlert(f: FlipRecord, instanceId: string): Alert {
  return {
    flipId: `${instanceId}-${f.id}`, incidentId: f.incidentId, kind: f.kind,
    host: f.host ?? "", rule: f.rule, subject: f.subject, text: f.text, html: f.html, at: new Date(f.at), facts: f.facts,
  };
}
