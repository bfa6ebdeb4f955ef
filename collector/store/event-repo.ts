// The raw event log: every spooled event stored once per host (unique event id), as received.
import type { Db } from "./db.js";
import { cachedPrepare, type Prepare } from "./statements.js";

export interface StoredEvent {
  hostId: number;
  streamId: string;
  seq: number;
  eventId: string;
  kind: string;
  sentAt: number;
  receivedAt: number;
  body: Uint8Array;
}

export class EventRepo {
  private readonly prep: Prepare;
  private readonly insertStmt;
  private readonly rejectStmt;

  constructor(private readonly db: Db) {
    this.prep = cachedPrepare(db);
    this.insertStmt = db.prepare(`INSERT INTO events (host_id, stream_id, seq, event_id, kind, sent_at, received_at, body)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (host_id, event_id) DO NOTHING`);
    this.rejectStmt = db.prepare("INSERT INTO rejected_events (host_id, seq, event_id, code, reason, received_at) VALUES (?, ?, ?, ?, ?, ?)");
  }

  /** Returns false when an event with that id was already stored for the host (a duplicate). */
  insert(e: StoredEvent): boolean {
    return this.insertStmt.run(e.hostId, e.streamId, e.seq, e.eventId, e.kind, e.sentAt, e.receivedAt, e.body).changes === 1;
  }

  recordRejected(hostId: number, seq: number, eventId: string, code: string, reason: string, now: number): void {
    this.rejectStmt.run(hostId, seq, eventId, code, reason, now);
  }

  countByHost(hostId: number, kind?: string): number {
    const row = kind
      ? this.prep<[number, string], { n: number }>("SELECT count(*) AS n FROM events WHERE host_id = ? AND kind = ?").get(hostId, kind)
      : this.prep<[number], { n: number }>("SELECT count(*) AS n FROM events WHERE host_id = ?").get(hostId);
    return row?.n ?? 0;
  }

  /** Deletes events received before `before` (retention); returns how many. */
  prune(before: number): number {
    return this.prep("DELETE FROM events WHERE received_at < ?").run(before).changes;
  }
}
