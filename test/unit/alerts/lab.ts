// An alert engine over an in-memory store, driven by vitest's fake timers: Date.now() is the
// engine's clock, and advancing the fake time fires the engine's one deadline timer the way the
// real timer would. Hosts "send" by touching their last-seen time, as ingest's liveness does.
import { randomUUID } from "node:crypto";
import pino from "pino";
import { vi } from "vitest";
import type { JobEvent } from "../../../proto/types.js";
import { AlertEngine } from "../../../collector/alerts/engine.js";
import { policyFromConfig } from "../../../collector/alerts/policy.js";
import type { Clock } from "../../../collector/clock.js";
import { collectorSchema } from "../../../collector/config.js";
import type { FlipRecord } from "../../../collector/store/alert-repo.js";
import { Store } from "../../../collector/store/store.js";

export const S = 1000;
export const M = 60 * S;
export const H = 60 * M;

export interface LabOptions {
  /** Raw config as `collectorSchema` takes it (alerts, jobs, hosts). */
  config?: Record<string, unknown>;
  channels?: string[];
  /** Fake wall-clock start. */
  start?: string;
}

export class AlertLab {
  readonly store = Store.open(":memory:");
  readonly clock: Clock = { now: () => Date.now() };
  readonly log = pino({ level: "silent" });
  readonly config;
  readonly channels: string[];
  engine: AlertEngine;
  /** How often the engine said "new notifications are stored". */
  kicks = 0;

  constructor(o: LabOptions = {}) {
    vi.useFakeTimers({ now: Date.parse(o.start ?? "2026-11-27T10:00:00Z") });
    this.config = collectorSchema.parse({ data: "/nonexistent/lastseen-unit", ...o.config });
    this.channels = o.channels ?? ["email", "matrix"];
    this.engine = this.newEngine();
    this.engine.start();
  }

  private newEngine(): AlertEngine {
    return new AlertEngine({
      store: this.store, clock: this.clock, log: this.log, policy: policyFromConfig(this.config, this.log), channels: this.channels,
      lastSeen: (h) => h.lastSeen,
      notified: () => { this.kicks++; },
    });
  }

  get now(): number {
    return Date.now();
  }

  /** A host that connected once (Hello from `address`) and was seen now. */
  host(name: string, address = "203.0.113.7"): number {
    const id = this.store.hosts.ensure(name, this.now);
    this.store.hosts.applyHello(id, {
      agentVersion: "test", hostname: name, bootId: randomUUID(), heartbeatIntervalMs: 30 * S, streamId: `s-${name}`,
      outboxDropped: 0, jobs: [], kernelRelease: "6.1.0", osPrettyName: "Debian",
    }, address, this.now);
    this.engine.hostChanged(id);
    return id;
  }

  /** A message from the host arrives now. */
  seen(id: number): void {
    this.store.hosts.touch(id, this.now);
    this.engine.seen(id);
  }

  /** Something was stored for the host (a job event, a report): the engine judges it soon. */
  changed(id: number): void {
    this.engine.hostChanged(id);
  }

  /** Runs the queued evaluations (setImmediate) without moving the clock. */
  settle(): void {
    vi.advanceTimersByTime(0);
  }

  /** Moves the clock; timers fire on the way. */
  advance(ms: number): void {
    vi.advanceTimersByTime(ms);
  }

  /** Moves the clock in steps, with the given hosts sending a message at every step. */
  advanceAlive(ms: number, stepMs: number, ...hosts: number[]): void {
    for (let left = ms; left > 0; left -= stepMs) {
      this.advance(Math.min(stepMs, left));
      for (const h of hosts) this.seen(h);
      this.settle();
    }
  }

  jobEnd(hostId: number, job: string, exitCode: number, durationMs = 10 * S): void {
    const e: JobEvent = { job, runId: randomUUID(), phase: "end", startedAtMs: this.now - durationMs, endedAtMs: this.now, exitCode, signal: "", outputTail: "", message: "", pid: 1 };
    this.store.jobs.apply(hostId, e, this.now);
    this.changed(hostId);
  }

  /** Every flip so far, oldest first. */
  flips(filter: Partial<Pick<FlipRecord, "rule" | "kind" | "host">> = {}): FlipRecord[] {
    return this.store.alerts.recentFlips(100_000).reverse().filter((f) =>
      (filter.rule === undefined || f.rule === filter.rule) && (filter.kind === undefined || f.kind === filter.kind) && (filter.host === undefined || f.host === filter.host));
  }

  /** Flips as "rule kind host" lines, with how they were suppressed, for compact assertions. */
  summary(): string[] {
    return this.flips().map((f) => `${f.rule} ${f.kind}${f.host ? ` ${f.host}` : ""}${f.key ? `/${f.key}` : ""}${f.suppressed ? ` (${f.suppressed})` : ""}`);
  }

  /** Stops the engine (as a collector stopping cleanly stores its alive mark). */
  stopEngine(): void {
    this.engine.stop();
  }

  /** The collector dies (SIGKILL): its timers vanish, no alive mark is written on the way out. */
  crashEngine(): void {
    const now = Date.now();
    vi.clearAllTimers(); // (this also rewinds the fake clock to its start: put it back)
    vi.setSystemTime(now);
  }

  /** A new engine over the same store, as a restarted collector builds it. */
  startEngine(): void {
    this.engine = this.newEngine();
    this.engine.start();
  }

  close(): void {
    this.engine.stop();
    this.store.close();
    vi.useRealTimers();
  }
}
