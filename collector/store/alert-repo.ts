// Alert states (one per host x rule x key) and flips (every state change, with its rendering).
import type { Db } from "./db.js";
import { cachedPrepare, type Prepare } from "./statements.js";

export type AlertStatus = "ok" | "firing";
export type FlipKind = "firing" | "resolved" | "reminder" | "summary" | "notice" | "test";

export interface AlertState {
  id: number;
  hostId: number | null;
  rule: string;
  key: string;
  status: AlertStatus;
  since: number;
  incidentId: string | null;
  notified: boolean;
  lastNotifiedAt: number | null;
  details: Record<string, unknown>;
}

export interface NewFlip {
  alertId: number | null;
  hostId: number | null;
  rule: string;
  key: string;
  kind: FlipKind;
  at: number;
  incidentId: string;
  subject: string;
  text: string;
  html: string;
  facts: Record<string, string>;
  suppressed: string | null;
}

export interface FlipRecord extends NewFlip {
  id: number;
  host: string | null;
}

interface AlertRow {
  id: number; host_id: number | null; rule: string; key: string; status: AlertStatus; since: number;
  incident_id: string | null; notified: number; last_notified_at: number | null; details: string;
}

interface FlipRow {
  id: number; alert_id: number | null; host_id: number | null; host: string | null; rule: string; key: string; kind: FlipKind;
  at: number; incident_id: string; subject: string; text: string; html: string; facts: string; suppressed: string | null;
}

const toState = (r: AlertRow): AlertState => ({
  id: r.id, hostId: r.host_id, rule: r.rule, key: r.key, status: r.status, since: r.since, incidentId: r.incident_id,
  notified: r.notified === 1, lastNotifiedAt: r.last_notified_at, details: JSON.parse(r.details) as Record<string, unknown>,
});

export const toFlip = (r: FlipRow): FlipRecord => ({
  id: r.id, alertId: r.alert_id, hostId: r.host_id, host: r.host, rule: r.rule, key: r.key, kind: r.kind, at: r.at,
  incidentId: r.incident_id, subject: r.subject, text: r.text, html: r.html,
  facts: JSON.parse(r.facts) as Record<string, string>, suppressed: r.suppressed,
});

export class AlertRepo {
  private readonly prep: Prepare;

  private readonly getStmt;
  private readonly byHostStmt;

  constructor(private readonly db: Db) {
    this.prep = cachedPrepare(db);
    this.getStmt = db.prepare<[number | null, string, string], AlertRow>("SELECT * FROM alerts WHERE host_id IS ? AND rule = ? AND key = ?");
    this.byHostStmt = db.prepare<[number], AlertRow>("SELECT * FROM alerts WHERE host_id = ?");
  }

  get(hostId: number | null, rule: string, key = ""): AlertState | null {
    const r = this.getStmt.get(hostId, rule, key);
    return r ? toState(r) : null;
  }

  forHost(hostId: number): AlertState[] {
    return this.byHostStmt.all(hostId).map(toState);
  }

  firing(): AlertState[] {
    return this.prep<[], AlertRow>("SELECT * FROM alerts WHERE status = 'firing' ORDER BY since").all().map(toState);
  }

  /** Creates or replaces the state of a check. */
  put(s: Omit<AlertState, "id">): number {
    this.prep(`INSERT INTO alerts (host_id, rule, key, status, since, incident_id, notified, last_notified_at, details)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (host_id, rule, key) DO UPDATE SET status = excluded.status, since = excluded.since,
          incident_id = excluded.incident_id, notified = excluded.notified, last_notified_at = excluded.last_notified_at,
          details = excluded.details`)
      .run(s.hostId, s.rule, s.key, s.status, s.since, s.incidentId, s.notified ? 1 : 0, s.lastNotifiedAt, JSON.stringify(s.details));
    return this.get(s.hostId, s.rule, s.key)!.id;
  }

  addFlip(f: NewFlip): number {
    return Number(this.prep(`INSERT INTO flips (alert_id, host_id, rule, key, kind, at, incident_id, subject, text, html, facts, suppressed)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(f.alertId, f.hostId, f.rule, f.key, f.kind, f.at, f.incidentId, f.subject, f.text, f.html, JSON.stringify(f.facts), f.suppressed)
      .lastInsertRowid);
  }

  flip(id: number): FlipRecord | null {
    const r = this.prep<[number], FlipRow>("SELECT f.*, h.name AS host FROM flips f LEFT JOIN hosts h ON h.id = f.host_id WHERE f.id = ?").get(id);
    return r ? toFlip(r) : null;
  }

  recentFlips(limit: number, hostId?: number): FlipRecord[] {
    const rows = hostId === undefined
      ? this.prep<[number], FlipRow>("SELECT f.*, h.name AS host FROM flips f LEFT JOIN hosts h ON h.id = f.host_id ORDER BY f.id DESC LIMIT ?").all(limit)
      : this.prep<[number, number], FlipRow>("SELECT f.*, h.name AS host FROM flips f LEFT JOIN hosts h ON h.id = f.host_id WHERE f.host_id = ? ORDER BY f.id DESC LIMIT ?").all(hostId, limit);
    return rows.map(toFlip);
  }
}
