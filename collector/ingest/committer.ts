// Commit, then ack. Spooled events from all connections are collected for one tick (or until a
// batch is full) and written in one SQLite transaction; only after it commits does each
// connection get its cumulative Ack. A failed commit stores nothing and acks nothing: the agents
// keep their events and send them again.
import type { Logger } from "pino";
import type { Envelope } from "../../proto/types.js";
import type { Clock } from "../clock.js";
import { CollectorError } from "../errors.js";
import type { CollectorStats } from "../stats.js";
import type { Store } from "../store/store.js";
import { HANDLERS, isSpooledKind, type HandlerContext, type SpooledKind } from "./handlers/index.js";

/** The side of a connection the committer talks to. */
export interface CommitTarget {
  readonly hostId: number;
  readonly hostName: string;
  readonly streamId: string;
  /** Every event up to this seq is stored or permanently rejected. */
  ack(seq: number): void;
  /** The commit failed: tell the agent to retry later. */
  retryLater(firstSeq: number, eventId: string, err: Error): void;
  reject(seq: number, eventId: string, code: string, reason: string): void;
}

type Item =
  | { type: "event"; target: CommitTarget; env: Envelope; bytes: Uint8Array }
  | { type: "reject"; target: CommitTarget; seq: number; eventId: string; code: string; reason: string };

export interface CommitterOptions {
  store: Store;
  clock: Clock;
  log: Logger;
  stats: CollectorStats;
  maxBatch?: number;
  /** Called after each successful commit with the hosts whose state changed. */
  onCommitted?: (hostIds: ReadonlySet<number>) => void;
  /** Longest wait before outbox counters from heartbeats are written when no event commits (default 1 s). */
  outboxStatsDelayMs?: number;
  /** Records an address observation inside the commit's transaction. */
  observeAddress(hostId: number, family: 4 | 6, address: string, source: string, at: number): void;
}

export class Committer {
  private batch: Item[] = [];
  private scheduled = false;
  /** Committed high-water seq per host, for the current stream. */
  private readonly highWater = new Map<number, number>();
  private readonly maxBatch: number;
  /**
   * The latest outbox counters each host reported in a heartbeat. They change with every
   * heartbeat while an agent streams; written one by one, each would be a commit (an fsync) of
   * its own. They ride along with the next commit instead, the newest per host.
   */
  private outboxStats = new Map<number, { pending: number; dropped: number }>();
  private outboxStatsTimer: NodeJS.Timeout | null = null;

  constructor(private readonly o: CommitterOptions) {
    this.maxBatch = o.maxBatch ?? 2000;
  }

  /** Records a host's outbox counters; stored with the next commit, within outboxStatsDelayMs. */
  noteOutboxStats(hostId: number, pending: number, dropped: number): void {
    this.outboxStats.set(hostId, { pending, dropped });
    this.armOutboxStatsTimer();
  }

  private armOutboxStatsTimer(): void {
    if (this.outboxStatsTimer) return;
    this.outboxStatsTimer = setTimeout(() => {
      this.outboxStatsTimer = null;
      this.flush();
    }, this.o.outboxStatsDelayMs ?? 1000);
    this.outboxStatsTimer.unref();
  }

  /** Sets the committed high-water mark of a host (at Hello). Flushes pending work first. */
  startStream(hostId: number, highWater: number): void {
    this.flush();
    this.highWater.set(hostId, highWater);
  }

  highWaterOf(hostId: number): number {
    return this.highWater.get(hostId) ?? 0;
  }

  submit(target: CommitTarget, env: Envelope, bytes: Uint8Array): void {
    this.push({ type: "event", target, env, bytes });
  }

  submitReject(target: CommitTarget, seq: number, eventId: string, code: string, reason: string): void {
    this.push({ type: "reject", target, seq, eventId, code, reason });
  }

  private push(item: Item): void {
    this.batch.push(item);
    if (this.batch.length >= this.maxBatch) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Commits everything pending now. */
  flush(): void {
    this.scheduled = false;
    if (this.batch.length === 0 && this.outboxStats.size === 0) return;
    const batch = this.batch;
    this.batch = [];
    const outboxStats = this.outboxStats;
    this.outboxStats = new Map();
    if (this.outboxStatsTimer) clearTimeout(this.outboxStatsTimer);
    this.outboxStatsTimer = null;
    const now = this.o.clock.now();
    const tentative = new Map<number, number>();
    const acks = new Map<CommitTarget, number>();
    const changed = new Set<number>();
    let stored = 0;
    let duplicates = 0;
    let rejected = 0;
    try {
      this.o.store.transaction(() => {
        const perHost = new Map<number, number>();
        for (const item of batch) {
          const { target } = item;
          const hw = tentative.get(target.hostId) ?? this.highWaterOf(target.hostId);
          const seq = item.type === "event" ? item.env.seq : item.seq;
          if (seq <= hw) {
            duplicates++;
            acks.set(target, Math.max(acks.get(target) ?? 0, hw));
            continue;
          }
          if (item.type === "reject") {
            this.o.store.events.recordRejected(target.hostId, seq, item.eventId, item.code, item.reason, now);
            rejected++;
          } else if (this.apply(item.target, item.env, item.bytes, now)) {
            stored++;
            perHost.set(target.hostId, (perHost.get(target.hostId) ?? 0) + 1);
            changed.add(target.hostId);
          } else {
            duplicates++;
          }
          tentative.set(target.hostId, seq);
          acks.set(target, seq);
        }
        for (const [hostId, seq] of tentative) this.o.store.hosts.advanceHighWater(hostId, seq, perHost.get(hostId) ?? 0);
        for (const [hostId, c] of outboxStats) this.o.store.hosts.setOutboxStats(hostId, c.pending, c.dropped);
      });
    } catch (err) {
      this.o.stats.commitFailures++;
      // Counters newer than these may have arrived meanwhile; the rest are tried with the next commit.
      for (const [hostId, c] of outboxStats) if (!this.outboxStats.has(hostId)) this.outboxStats.set(hostId, c);
      if (this.outboxStats.size > 0) this.armOutboxStatsTimer();
      const e = err instanceof Error ? err : new Error(String(err));
      this.o.log.error({ err: e, events: batch.length }, "commit failed; nothing of this batch is acknowledged, agents will resend");
      const first = new Map<CommitTarget, Item>();
      for (const item of batch) if (!first.has(item.target)) first.set(item.target, item);
      for (const [target, item] of first) {
        const seq = item.type === "event" ? item.env.seq : item.seq;
        const eventId = item.type === "event" ? item.env.eventId : item.eventId;
        target.retryLater(seq, eventId, new CollectorError("LASTSEEN_ERR_STORE_UNAVAILABLE", `store unavailable: ${e.message}`));
      }
      return;
    }
    for (const [hostId, seq] of tentative) this.highWater.set(hostId, seq);
    if (batch.length === 0) return; // only outbox counters
    this.o.stats.commitBatches++;
    this.o.stats.eventsStored += stored;
    this.o.stats.eventsDuplicate += duplicates;
    this.o.stats.eventsRejected += rejected;
    for (const item of batch) {
      if (item.type === "reject") item.target.reject(item.seq, item.eventId, item.code, item.reason);
    }
    for (const [target, seq] of acks) target.ack(seq);
    if (changed.size > 0) this.o.onCommitted?.(changed);
  }

  /** Stores the raw event and applies it; false when the event id was already stored. */
  private apply(target: CommitTarget, env: Envelope, bytes: Uint8Array, now: number): boolean {
    const kind = env.body.kind;
    if (!isSpooledKind(kind)) throw new CollectorError("LASTSEEN_ERR_API", `kind ${kind} is not spooled`);
    const inserted = this.o.store.events.insert({
      hostId: target.hostId, streamId: target.streamId, seq: env.seq, eventId: env.eventId, kind,
      sentAt: env.sentAtMs, receivedAt: now, body: bytes,
    });
    if (!inserted) return false;
    const ctx: HandlerContext = {
      store: this.o.store, hostId: target.hostId, hostName: target.hostName, seq: env.seq,
      eventId: env.eventId, sentAtMs: env.sentAtMs, now,
      observeAddress: (family, address, source) => this.o.observeAddress(target.hostId, family, address, source, now),
    };
    (HANDLERS[kind as SpooledKind] as (c: HandlerContext, v: unknown) => void)(ctx, env.body.value);
    return true;
  }
}
