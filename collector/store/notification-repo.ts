// The durable notification outbox: one row per flip and channel. A dispatcher claims due rows
// with compare-and-set (status and lease), so a crash mid-delivery leaves a row that is claimed
// again once its lease expires.
import type { Db } from "./db.js";
import { cachedPrepare, type Prepare } from "./statements.js";

export type NotificationStatus = "pending" | "sending" | "delivered" | "failed";

export interface NotificationRecord {
  id: number;
  flipId: number;
  channel: string;
  status: NotificationStatus;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  receipt: string | null;
  deliveredAt: number | null;
  createdAt: number;
}

interface Row {
  id: number; flip_id: number; channel: string; status: NotificationStatus; attempts: number; next_attempt_at: number;
  last_error: string | null; receipt: string | null; delivered_at: number | null; created_at: number;
}

const toRecord = (r: Row): NotificationRecord => ({
  id: r.id, flipId: r.flip_id, channel: r.channel, status: r.status, attempts: r.attempts, nextAttemptAt: r.next_attempt_at,
  lastError: r.last_error, receipt: r.receipt, deliveredAt: r.delivered_at, createdAt: r.created_at,
});

export class NotificationRepo {
  private readonly prep: Prepare;

  constructor(private readonly db: Db) {
    this.prep = cachedPrepare(db);
  }

  enqueue(flipId: number, channels: readonly string[], now: number): void {
    const stmt = this.prep("INSERT INTO notifications (flip_id, channel, status, next_attempt_at, created_at) VALUES (?, ?, 'pending', ?, ?) ON CONFLICT DO NOTHING");
    for (const c of channels) stmt.run(flipId, c, now, now);
  }

  /**
   * Claims up to `limit` due notifications: pending ones whose time has come, and ones stuck in
   * 'sending' whose lease expired (the collector died mid-delivery). Compare-and-set per row.
   */
  claimDue(now: number, limit: number, leaseMs: number): NotificationRecord[] {
    const due = "((status = 'pending' AND next_attempt_at <= ?) OR (status = 'sending' AND claimed_until <= ?))";
    // Two queries that each read the index in order (one with OR sorted every due row, each time:
    // thousands of rows in a DOWN storm).
    const expired = this.prep<[number, number], Row>("SELECT * FROM notifications WHERE status = 'sending' AND claimed_until <= ? LIMIT ?").all(now, limit);
    const pending = this.prep<[number, number], Row>("SELECT * FROM notifications WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?")
      .all(now, limit);
    const candidates = [...expired, ...pending].sort((a, b) => a.next_attempt_at - b.next_attempt_at || a.id - b.id).slice(0, limit);
    // Compare-and-set: a row is ours only if it is still due when we update it.
    const claim = this.prep(`UPDATE notifications SET status = 'sending', claimed_until = ?, attempts = attempts + 1 WHERE id = ? AND ${due}`);
    return this.db.transaction(() => candidates
      .filter((c) => claim.run(now + leaseMs, c.id, now, now).changes === 1)
      .map((c) => ({ ...toRecord(c), status: "sending" as const, attempts: c.attempts + 1 })))();
  }

  /**
   * At start-up: rows a previous collector process claimed and never finished (it was killed
   * mid-delivery) are due again at once, instead of after their lease. One collector owns a data
   * directory, so no other sender holds these claims. Returns how many were released.
   */
  releaseClaims(): number {
    return this.prep("UPDATE notifications SET status = 'pending', claimed_until = NULL WHERE status = 'sending'").run().changes;
  }

  delivered(id: number, receipt: string | null, now: number): void {
    this.prep("UPDATE notifications SET status = 'delivered', receipt = ?, delivered_at = ?, claimed_until = NULL, last_error = NULL WHERE id = ? AND status = 'sending'")
      .run(receipt, now, id);
  }

  retryAt(id: number, at: number, error: string): void {
    this.prep("UPDATE notifications SET status = 'pending', next_attempt_at = ?, claimed_until = NULL, last_error = ? WHERE id = ? AND status = 'sending'")
      .run(at, error, id);
  }

  failed(id: number, error: string): void {
    this.prep("UPDATE notifications SET status = 'failed', claimed_until = NULL, last_error = ? WHERE id = ? AND status = 'sending'").run(error, id);
  }

  /** Earliest time something becomes due, or null when nothing waits. */
  nextDue(): number | null {
    // min() over each status alone reads one end of the index instead of every waiting row.
    const pending = this.prep<[], { t: number | null }>("SELECT min(next_attempt_at) AS t FROM notifications WHERE status = 'pending'").get()?.t ?? null;
    const sending = this.prep<[], { t: number | null }>("SELECT min(claimed_until) AS t FROM notifications WHERE status = 'sending'").get()?.t ?? null;
    return pending === null ? sending : sending === null ? pending : Math.min(pending, sending);
  }

  forFlip(flipId: number): NotificationRecord[] {
    return this.prep<[number], Row>("SELECT * FROM notifications WHERE flip_id = ? ORDER BY channel").all(flipId).map(toRecord);
  }

  counts(): Record<NotificationStatus, number> {
    const out: Record<NotificationStatus, number> = { pending: 0, sending: 0, delivered: 0, failed: 0 };
    for (const r of this.prep<[], { status: NotificationStatus; n: number }>("SELECT status, count(*) AS n FROM notifications GROUP BY status").all()) out[r.status] = r.n;
    return out;
  }

  /** By channel and status. */
  countsByChannel(): { channel: string; status: NotificationStatus; count: number }[] {
    return this.prep<[], { channel: string; status: NotificationStatus; n: number }>(
      "SELECT channel, status, count(*) AS n FROM notifications GROUP BY channel, status ORDER BY channel, status",
    ).all().map((r) => ({ channel: r.channel, status: r.status, count: r.n }));
  }
}
