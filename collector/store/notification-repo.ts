// The durable notification outbox: one row per flip and channel. A dispatcher claims due rows
// with compare-and-set (status and lease), so a crash mid-delivery leaves a row that is claimed
// again once its lease expires.
import type { Db } from "./db.js";

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
  constructor(private readonly db: Db) {}

  enqueue(flipId: number, channels: readonly string[], now: number): void {
    const stmt = this.db.prepare("INSERT INTO notifications (flip_id, channel, status, next_attempt_at, created_at) VALUES (?, ?, 'pending', ?, ?) ON CONFLICT DO NOTHING");
    for (const c of channels) stmt.run(flipId, c, now, now);
  }

  /**
   * Claims up to `limit` due notifications: pending ones whose time has come, and ones stuck in
   * 'sending' whose lease expired (the collector died mid-delivery). Compare-and-set per row.
   */
  claimDue(now: number, limit: number, leaseMs: number): NotificationRecord[] {
    const due = "((status = 'pending' AND next_attempt_at <= ?) OR (status = 'sending' AND claimed_until <= ?))";
    const candidates = this.db.prepare<[number, number, number], Row>(`SELECT * FROM notifications WHERE ${due} ORDER BY next_attempt_at, id LIMIT ?`)
      .all(now, now, limit);
    // Compare-and-set: a row is ours only if it is still due when we update it.
    const claim = this.db.prepare(`UPDATE notifications SET status = 'sending', claimed_until = ?, attempts = attempts + 1 WHERE id = ? AND ${due}`);
    return this.db.transaction(() => candidates
      .filter((c) => claim.run(now + leaseMs, c.id, now, now).changes === 1)
      .map((c) => ({ ...toRecord(c), status: "sending" as const, attempts: c.attempts + 1 })))();
  }

  delivered(id: number, receipt: string | null, now: number): void {
    this.db.prepare("UPDATE notifications SET status = 'delivered', receipt = ?, delivered_at = ?, claimed_until = NULL, last_error = NULL WHERE id = ? AND status = 'sending'")
      .run(receipt, now, id);
  }

  retryAt(id: number, at: number, error: string): void {
    this.db.prepare("UPDATE notifications SET status = 'pending', next_attempt_at = ?, claimed_until = NULL, last_error = ? WHERE id = ? AND status = 'sending'")
      .run(at, error, id);
  }

  failed(id: number, error: string): void {
    this.db.prepare("UPDATE notifications SET status = 'failed', claimed_until = NULL, last_error = ? WHERE id = ? AND status = 'sending'").run(error, id);
  }

  /** Earliest time something becomes due, or null when nothing waits. */
  nextDue(): number | null {
    const r = this.db.prepare<[], { t: number | null }>(`SELECT min(CASE WHEN status = 'pending' THEN next_attempt_at ELSE claimed_until END) AS t
        FROM notifications WHERE status IN ('pending', 'sending')`).get();
    return r?.t ?? null;
  }

  forFlip(flipId: number): NotificationRecord[] {
    return this.db.prepare<[number], Row>("SELECT * FROM notifications WHERE flip_id = ? ORDER BY channel").all(flipId).map(toRecord);
  }

  counts(): Record<NotificationStatus, number> {
    const out: Record<NotificationStatus, number> = { pending: 0, sending: 0, delivered: 0, failed: 0 };
    for (const r of this.db.prepare<[], { status: NotificationStatus; n: number }>("SELECT status, count(*) AS n FROM notifications GROUP BY status").all()) out[r.status] = r.n;
    return out;
  }
}
