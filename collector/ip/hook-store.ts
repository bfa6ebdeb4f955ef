// The durable state of the IP on-change hooks (table ip_hooks): one row per host and family with
// the latest address the hook must run for, its attempts and its outcome.
import type { IpHookSnapshot } from "../rules/ip-hook.js";
import type { Db } from "../store/db.js";

export interface IpHookState extends IpHookSnapshot {
  hostId: number;
  /** Bumped by every new address; an outcome for an older generation is not recorded. */
  generation: number;
  previous: string;
  changedAt: number;
  doneAt: number | null;
  updatedAt: number;
}

interface Row {
  host_id: number; family: 4 | 6; generation: number; address: string; previous: string; changed_at: number;
  status: IpHookState["status"]; attempts: number; next_attempt_at: number | null; last_error: string | null;
  failing_since: number | null; done_address: string | null; done_at: number | null; updated_at: number;
}

const toState = (r: Row): IpHookState => ({
  hostId: r.host_id, family: r.family, generation: r.generation, address: r.address, previous: r.previous, changedAt: r.changed_at,
  status: r.status, attempts: r.attempts, nextAttemptAt: r.next_attempt_at, lastError: r.last_error, failingSince: r.failing_since,
  doneAddress: r.done_address, doneAt: r.done_at, updatedAt: r.updated_at,
});

export class IpHookStore {
  private readonly getStmt;
  private readonly forHostStmt;

  constructor(private readonly db: Db) {
    this.getStmt = db.prepare<[number, number], Row>("SELECT * FROM ip_hooks WHERE host_id = ? AND family = ?");
    this.forHostStmt = db.prepare<[number], Row>("SELECT * FROM ip_hooks WHERE host_id = ? ORDER BY family");
  }

  get(hostId: number, family: 4 | 6): IpHookState | null {
    const r = this.getStmt.get(hostId, family);
    return r ? toState(r) : null;
  }

  forHost(hostId: number): IpHookState[] {
    return this.forHostStmt.all(hostId).map(toState);
  }

  /** Hosts that have hook rows. */
  hostIds(): number[] {
    return this.db.prepare<[], { host_id: number }>("SELECT DISTINCT host_id FROM ip_hooks").all().map((r) => r.host_id);
  }

  /**
   * A run for `address` is due at `at`. It supersedes a pending or failing run for an older address
   * (attempts start again); a request for the address already pending or failing changes nothing.
   * Call it inside the transaction that changed the address.
   */
  request(hostId: number, family: 4 | 6, address: string, previous: string, at: number): void {
    const cur = this.get(hostId, family);
    if (cur && cur.address === address && cur.status !== "ok") return;
    this.db.prepare(
      `INSERT INTO ip_hooks (host_id, family, generation, address, previous, changed_at, status, attempts, next_attempt_at, updated_at)
       VALUES (?, ?, 1, ?, ?, ?, 'pending', 0, ?, ?)
       ON CONFLICT (host_id, family) DO UPDATE SET generation = generation + 1, address = excluded.address,
         previous = excluded.previous, changed_at = excluded.changed_at, status = 'pending', attempts = 0,
         next_attempt_at = excluded.next_attempt_at, updated_at = excluded.updated_at`,
    ).run(hostId, family, address, previous, at, at, at);
  }

  /** Runs that are pending or failed, with when each is due. */
  waiting(): { hostId: number; family: 4 | 6; nextAttemptAt: number }[] {
    return this.db.prepare<[], { host_id: number; family: 4 | 6; next_attempt_at: number }>(
      "SELECT host_id, family, next_attempt_at FROM ip_hooks WHERE status IN ('pending', 'failed') AND next_attempt_at IS NOT NULL ORDER BY next_attempt_at",
    ).all().map((r) => ({ hostId: r.host_id, family: r.family, nextAttemptAt: r.next_attempt_at }));
  }

  /** The run of `generation` succeeded; false when a newer address superseded it meanwhile. */
  succeeded(hostId: number, family: 4 | 6, generation: number, at: number): boolean {
    return this.db.prepare(
      `UPDATE ip_hooks SET status = 'ok', attempts = attempts + 1, next_attempt_at = NULL, last_error = NULL, failing_since = NULL,
         done_address = address, done_at = ?, updated_at = ? WHERE host_id = ? AND family = ? AND generation = ?`,
    ).run(at, at, hostId, family, generation).changes === 1;
  }

  /** The run of `generation` failed: retry at `retryAt`. False when a newer address superseded it. */
  failed(hostId: number, family: 4 | 6, generation: number, error: string, at: number, retryAt: number): boolean {
    return this.db.prepare(
      `UPDATE ip_hooks SET status = 'failed', attempts = attempts + 1, next_attempt_at = ?, last_error = ?,
         failing_since = coalesce(failing_since, ?), updated_at = ? WHERE host_id = ? AND family = ? AND generation = ?`,
    ).run(retryAt, error, at, at, hostId, family, generation).changes === 1;
  }

  /** Forgets a host's hook state (its hook is no longer configured). */
  remove(hostId: number): number {
    return this.db.prepare("DELETE FROM ip_hooks WHERE host_id = ?").run(hostId).changes;
  }
}
