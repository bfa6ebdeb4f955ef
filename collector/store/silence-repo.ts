// Silences: a host in silence is not alerted until the silence ends or is removed.
import type { Db } from "./db.js";
import { cachedPrepare, type Prepare } from "./statements.js";

export interface Silence {
  id: number;
  hostId: number;
  host: string;
  startsAt: number;
  endsAt: number;
  reason: string;
  createdAt: number;
  removedAt: number | null;
}

interface Row {
  id: number; host_id: number; host: string; starts_at: number; ends_at: number; reason: string; created_at: number; removed_at: number | null;
}

const toSilence = (r: Row): Silence => ({
  id: r.id, hostId: r.host_id, host: r.host, startsAt: r.starts_at, endsAt: r.ends_at, reason: r.reason, createdAt: r.created_at, removedAt: r.removed_at,
});

const SELECT = "SELECT s.*, h.name AS host FROM silences s JOIN hosts h ON h.id = s.host_id";

export class SilenceRepo {
  private readonly prep: Prepare;

  constructor(private readonly db: Db) {
    this.prep = cachedPrepare(db);
  }

  add(hostId: number, startsAt: number, endsAt: number, reason: string, now: number): number {
    return Number(this.prep("INSERT INTO silences (host_id, starts_at, ends_at, reason, created_at) VALUES (?, ?, ?, ?, ?)")
      .run(hostId, startsAt, endsAt, reason, now).lastInsertRowid);
  }

  /** Silences not removed and not yet over at `now`. */
  active(now: number): Silence[] {
    return this.prep<[number], Row>(`${SELECT} WHERE s.removed_at IS NULL AND s.ends_at > ? ORDER BY s.ends_at`).all(now).map(toSilence);
  }

  /** The silence covering the host at `now`, if any (the one ending last). */
  covering(hostId: number, now: number): Silence | null {
    const r = this.prep<[number, number, number], Row>(`${SELECT} WHERE s.host_id = ? AND s.removed_at IS NULL AND s.starts_at <= ? AND s.ends_at > ? ORDER BY s.ends_at DESC LIMIT 1`)
      .get(hostId, now, now);
    return r ? toSilence(r) : null;
  }

  /** The latest end of a silence of this host that ended (or was removed) at or before `now`. */
  lastEnded(hostId: number, now: number): number | null {
    const r = this.prep<[number, number], { t: number | null }>(`SELECT max(min(ends_at, coalesce(removed_at, ends_at))) AS t FROM silences
        WHERE host_id = ? AND min(ends_at, coalesce(removed_at, ends_at)) <= ?`).get(hostId, now);
    return r?.t ?? null;
  }

  get(id: number): Silence | null {
    const r = this.prep<[number], Row>(`${SELECT} WHERE s.id = ?`).get(id);
    return r ? toSilence(r) : null;
  }

  remove(id: number, now: number): boolean {
    return this.prep("UPDATE silences SET removed_at = ? WHERE id = ? AND removed_at IS NULL").run(now, id).changes === 1;
  }
}
