// Hosts: identity (from tokens), what each agent said in its Hello, delivery high-water marks and
// last-seen times.
import type { Hello } from "../../proto/types.js";
import { CollectorError } from "../errors.js";
import type { Db } from "./db.js";
import { cachedPrepare, type Prepare } from "./statements.js";

export interface HostRecord {
  id: number;
  name: string;
  createdAt: number;
  firstSeen: number | null;
  lastSeen: number | null;
  streamId: string | null;
  highWaterSeq: number;
  hostname: string | null;
  agentVersion: string | null;
  bootId: string | null;
  kernelRelease: string | null;
  os: string | null;
  heartbeatIntervalMs: number | null;
  outboxDropped: number;
  outboxPending: number;
  lastAddress: string | null;
  connected: boolean;
  lastConnectedAt: number | null;
  lastDisconnectedAt: number | null;
  eventsReceived: number;
}

interface HostRow {
  id: number; name: string; created_at: number; first_seen: number | null; last_seen: number | null;
  stream_id: string | null; high_water_seq: number; hostname: string | null; agent_version: string | null;
  boot_id: string | null; kernel_release: string | null; os: string | null; heartbeat_interval_ms: number | null;
  outbox_dropped: number; outbox_pending: number; last_address: string | null; connected: number;
  last_connected_at: number | null; last_disconnected_at: number | null; events_received: number;
}

const toRecord = (r: HostRow): HostRecord => ({
  id: r.id, name: r.name, createdAt: r.created_at, firstSeen: r.first_seen, lastSeen: r.last_seen,
  streamId: r.stream_id, highWaterSeq: r.high_water_seq, hostname: r.hostname, agentVersion: r.agent_version,
  bootId: r.boot_id, kernelRelease: r.kernel_release, os: r.os, heartbeatIntervalMs: r.heartbeat_interval_ms,
  outboxDropped: r.outbox_dropped, outboxPending: r.outbox_pending, lastAddress: r.last_address,
  connected: r.connected === 1, lastConnectedAt: r.last_connected_at, lastDisconnectedAt: r.last_disconnected_at,
  eventsReceived: r.events_received,
});

export class HostRepo {
  private readonly prep: Prepare;
  private readonly byName;
  private readonly byId;
  private readonly all;
  private readonly touchStmt;
  private readonly highWaterStmt;
  // Statements run per connection or heartbeat, prepared once (preparing costs more than running).
  private readonly ensureStmt;
  private readonly helloStmt;
  private readonly disconnectedStmt;
  private readonly outboxStatsStmt;

  constructor(private readonly db: Db) {
    this.prep = cachedPrepare(db);
    this.byName = db.prepare<[string], HostRow>("SELECT * FROM hosts WHERE name = ?");
    this.byId = db.prepare<[number], HostRow>("SELECT * FROM hosts WHERE id = ?");
    this.all = db.prepare<[], HostRow>("SELECT * FROM hosts ORDER BY name");
    this.touchStmt = db.prepare("UPDATE hosts SET last_seen = max(coalesce(last_seen, 0), ?), first_seen = coalesce(first_seen, ?) WHERE id = ?");
    this.highWaterStmt = db.prepare("UPDATE hosts SET high_water_seq = ?, events_received = events_received + ? WHERE id = ?");
    this.ensureStmt = db.prepare("INSERT INTO hosts (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING");
    this.helloStmt = db.prepare(`UPDATE hosts SET stream_id = ?, high_water_seq = ?, hostname = ?, agent_version = ?, boot_id = ?,
        kernel_release = ?, os = ?, heartbeat_interval_ms = ?, outbox_dropped = ?, last_address = ?, connected = 1,
        last_connected_at = ?, last_seen = max(coalesce(last_seen, 0), ?), first_seen = coalesce(first_seen, ?) WHERE id = ?`);
    this.disconnectedStmt = db.prepare("UPDATE hosts SET connected = 0, last_disconnected_at = ? WHERE id = ?");
    this.outboxStatsStmt = db.prepare("UPDATE hosts SET outbox_pending = ?, outbox_dropped = ? WHERE id = ?");
  }

  ensure(name: string, now: number): number {
    this.ensureStmt.run(name, now);
    return this.byName.get(name)!.id;
  }

  get(name: string): HostRecord | null {
    const r = this.byName.get(name);
    return r ? toRecord(r) : null;
  }

  require(name: string): HostRecord {
    const h = this.get(name);
    if (!h) throw new CollectorError("LASTSEEN_ERR_UNKNOWN_HOST", `unknown host "${name}" (see lastseen hosts)`);
    return h;
  }

  getById(id: number): HostRecord | null {
    const r = this.byId.get(id);
    return r ? toRecord(r) : null;
  }

  list(): HostRecord[] {
    return this.all.all().map(toRecord);
  }

  /**
   * Records a Hello. A new stream id (the agent's state directory was wiped or replaced) restarts
   * the high-water mark at 0. Returns the high-water seq to announce in Welcome.
   */
  applyHello(id: number, hello: Hello, address: string, now: number): number {
    const row = this.byId.get(id)!;
    const sameStream = row.stream_id === hello.streamId;
    const hw = sameStream ? row.high_water_seq : 0;
    this.helloStmt.run(hello.streamId, hw, hello.hostname, hello.agentVersion, hello.bootId, hello.kernelRelease, hello.osPrettyName,
        hello.heartbeatIntervalMs, hello.outboxDropped, address, now, now, now, id);
    return hw;
  }

  setDisconnected(id: number, now: number): void {
    this.disconnectedStmt.run(now, id);
  }

  /** At start-up: no agent is connected to a collector that just started. */
  markAllDisconnected(now: number): void {
    this.prep("UPDATE hosts SET connected = 0, last_disconnected_at = ? WHERE connected = 1").run(now);
  }

  touch(id: number, at: number): void {
    this.touchStmt.run(at, at, id);
  }

  setOutboxStats(id: number, pending: number, dropped: number): void {
    this.outboxStatsStmt.run(pending, dropped, id);
  }

  advanceHighWater(id: number, seq: number, stored: number): void {
    this.highWaterStmt.run(seq, stored, id);
  }
}
