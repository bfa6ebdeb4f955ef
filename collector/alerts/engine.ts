// The alert engine: judges each host with the pure rules (collector/rules), turns verdicts into
// state changes with transition(), and stores each flip with its notifications in the same
// transaction as the state. One timer, at the earliest deadline of all hosts, wakes it.
//
// Restarts of the collector do not lie: every host gets one full timeout after the collector's
// start before it can be judged silent (no storm), a host already alerted stays alerted (no hidden
// outage), and after downtime one summary says how long the collector was down and who is not
// back yet.
import type { Logger } from "pino";
import type { JobExpectation } from "../../proto/types.js";
import type { Clock } from "../clock.js";
import type { FlipKind } from "../store/alert-repo.js";
import type { HostRecord } from "../store/host-repo.js";
import type { Store } from "../store/store.js";
import { hostTimeoutMs, silentVerdict } from "../rules/host-status.js";
import { ipHookVerdict, type IpHookSnapshot } from "../rules/ip-hook.js";
import { describeSchedule, evaluateJob, type JobSchedule } from "../rules/job-schedule.js";
import { restartCommand, staleVerdict } from "../rules/stale.js";
import { Deadlines } from "./deadlines.js";
import { renderFlip, type Facts } from "./render.js";
import { transition, type CheckInput } from "./transition.js";

export interface AlertPolicy {
  /** [alerts] silent_after, ms (else 3 heartbeats + 30 s per host). */
  silentAfterMs?: number;
  staleAfterMs: number;
  /** Reminder interval per rule, ms; null disables reminders. */
  repeatMs(rule: string): number | null;
  collectorDownAfterMs: number;
  aliveIntervalMs: number;
  /** Per-host overrides from [[hosts]]. */
  hostSilentAfterMs(host: string): number | undefined;
  /** The collector's expectation for a job (its config wins over the agent's declaration). */
  jobSchedule(host: string, job: string): JobSchedule | null | undefined;
  /** Parses an agent-declared expectation; null when it is invalid. */
  declaredSchedule(host: string, job: string, declared: JobExpectation): JobSchedule | null;
}

export interface EngineDeps {
  store: Store;
  clock: Clock;
  log: Logger;
  policy: AlertPolicy;
  /** Channel names every notification goes to. */
  channels: readonly string[];
  /** The freshest last-seen time (in memory or stored). */
  lastSeen(host: HostRecord): number | null;
  /** New notifications were stored: the dispatcher should look. */
  notified(): void;
  /** The host's IP on-change hook state per family (none when no hook is configured). */
  ipHooks?(hostId: number): readonly IpHookSnapshot[];
}

const SUMMARY = -1;
const ALIVE = "collector.alive_at";
const PENDING_SUMMARY = "collector.pending_summary";

interface PendingSummary {
  downFrom: number;
  downTo: number;
  sendAt: number;
}

export class AlertEngine {
  private readonly deadlines: Deadlines<number>;
  private startedAt = 0;
  /** Hosts whose next message changes a verdict (silent, late, or not seen since start). */
  private readonly watchSeen = new Set<number>();
  private readonly queued = new Set<number>();
  private aliveTimer: NodeJS.Timeout | null = null;
  private pendingSummary: PendingSummary | null = null;

  constructor(private readonly d: EngineDeps) {
    this.deadlines = new Deadlines<number>((keys) => this.onDue(keys), () => d.clock.now());
  }

  start(): void {
    const { store, clock, policy } = this.d;
    const now = clock.now();
    this.startedAt = now;
    const lastAlive = Number(store.meta.get(ALIVE) ?? 0);
    const earlier = store.meta.get(PENDING_SUMMARY);
    if (earlier) this.pendingSummary = JSON.parse(earlier) as PendingSummary;
    if (lastAlive > 0 && now - lastAlive > policy.collectorDownAfterMs) {
      const maxTimeout = Math.max(0, ...store.hosts.list().map((h) => this.timeoutOf(h)));
      this.pendingSummary = { downFrom: this.pendingSummary?.downFrom ?? lastAlive, downTo: now, sendAt: now + maxTimeout };
      store.meta.set(PENDING_SUMMARY, JSON.stringify(this.pendingSummary));
      this.d.log.warn({ downFrom: new Date(lastAlive).toISOString(), downForMs: now - lastAlive }, "the collector was down; hosts get one timeout to reconnect before they are judged");
    }
    if (this.pendingSummary) this.deadlines.set(SUMMARY, this.pendingSummary.sendAt);
    this.markAlive();
    this.aliveTimer = setInterval(() => this.markAlive(), policy.aliveIntervalMs);
    this.aliveTimer.unref();
    for (const h of store.hosts.list()) this.evaluate(h.id);
  }

  private markAlive(): void {
    try {
      this.d.store.meta.set(ALIVE, String(this.d.clock.now()));
    } catch (err) {
      this.d.log.error({ err }, "cannot store the collector's alive mark");
    }
  }

  /** Something about the host changed (events stored, Hello): judge it soon. */
  hostChanged(hostId: number): void {
    if (this.queued.has(hostId)) return;
    this.queued.add(hostId);
    if (this.queued.size > 1) return; // already scheduled
    setImmediate(() => {
      const ids = [...this.queued];
      this.queued.clear();
      this.inOneTransaction(ids, () => { for (const id of ids) this.evaluate(id); });
    });
  }

  /** A message arrived from the host. Cheap unless its arrival changes a verdict. */
  seen(hostId: number): void {
    if (this.watchSeen.has(hostId)) this.hostChanged(hostId);
  }

  private onDue(keys: number[]): void {
    const hosts = keys.filter((k) => k !== SUMMARY);
    if (hosts.length > 0) this.inOneTransaction(hosts, () => { for (const k of hosts) this.evaluate(k); });
    if (hosts.length < keys.length) this.sendSummary();
  }

  /**
   * Judges many hosts with one commit (when 1,000 hosts fall silent together, a commit each made
   * the DOWNs late). Each host's own transaction becomes a savepoint, so one failing host is
   * rolled back and retried alone; if the commit itself fails, they are all judged again in 30 s.
   */
  private inOneTransaction(keys: number[], fn: () => void): void {
    try {
      this.d.store.transaction(fn);
    } catch (err) {
      this.d.log.error({ err, hosts: keys.length }, "storing alert evaluations failed; retrying in 30 s");
      const at = this.d.clock.now() + 30_000;
      for (const k of keys) this.deadlines.set(k, at);
    }
  }

  private timeoutOf(h: HostRecord): number {
    return hostTimeoutMs({ override: this.d.policy.hostSilentAfterMs(h.name), configured: this.d.policy.silentAfterMs, heartbeatIntervalMs: h.heartbeatIntervalMs });
  }

  /** Judges one host now. */
  evaluate(hostId: number): void {
    try {
      this.evaluateHost(hostId);
    } catch (err) {
      this.d.log.error({ err, hostId }, "alert evaluation failed; retrying in 30 s");
      this.deadlines.set(hostId, this.d.clock.now() + 30_000);
    }
  }

  private evaluateHost(hostId: number): void {
    const { store, clock, policy } = this.d;
    const host = store.hosts.getById(hostId);
    if (!host) return;
    const now = clock.now();
    const lastSeen = this.d.lastSeen(host);
    const timeoutMs = this.timeoutOf(host);
    const silence = store.silences.covering(hostId, now);
    const silenceEnded = store.silences.lastEnded(hostId, now);
    const judgeFrom = Math.max(this.startedAt + timeoutMs, silenceEnded === null ? 0 : silenceEnded + timeoutMs);
    const next: (number | null)[] = [silence ? silence.endsAt : null];

    store.transaction(() => {
      const prevSilent = store.alerts.get(hostId, "host.silent");
      // Only a DOWN that was told stays firing regardless of the grace; one recorded during a
      // silence waits, like any other, for a full timeout after the silence ended.
      const sv = silentVerdict({ lastSeen, timeoutMs, judgeFrom, firing: prevSilent?.status === "firing" && prevSilent.notified }, now);
      next.push(sv.nextCheckAt);
      const wentSilentAt = Number(prevSilent?.details.lastSeen) || prevSilent?.since || now;
      // The facts are read only when a flip is made (not on every evaluation).
      const t = this.check(host, "host.silent", "", {
        firing: sv.silent, held: sv.held, silenced: silence !== null, repeatMs: policy.repeatMs("host.silent"),
        details: { lastSeen, address: host.lastAddress ?? "" },
      }, (kind) => {
        const base = this.hostFacts(host, lastSeen, timeoutMs, now);
        return kind === "resolved"
          ? { ...base, silent_since: iso(wentSilentAt), back_at: iso(lastSeen), down_for_ms: String((lastSeen ?? now) - wentSilentAt), previous_address: String(prevSilent?.details.address ?? "") }
          : base;
      });
      next.push(t);
      const nowSilent = store.alerts.get(hostId, "host.silent")?.status === "firing";
      if (prevSilent?.status === "firing" && !nowSilent) store.jobs.restartWindows(hostId, now);
      const seenSinceStart = lastSeen !== null && lastSeen >= this.startedAt;
      if (sv.silent || !seenSinceStart) this.watchSeen.add(hostId);
      else this.watchSeen.delete(hostId);
      // The hook runs on the collector, whatever the host's state: never inhibited.
      next.push(this.judgeIpHooks(host, silence !== null));
      // Inhibition: while the host is silent (or not back since the collector started), its other
      // checks wait; when it returns they are judged afresh.
      if (sv.silent || !seenSinceStart) return;
      next.push(this.judgeStale(host, silence !== null, now));
      next.push(...this.judgeJobs(host, silence !== null, silenceEnded, now));
    });
    const due = next.filter((t): t is number => t !== null && t > now);
    this.deadlines.set(hostId, due.length ? Math.min(...due) : null);
  }

  private judgeStale(host: HostRecord, silenced: boolean, now: number): number | null {
    const { store, policy } = this.d;
    const findings = store.findings.list(host.id);
    const scan = store.findings.scan(host.id);
    const v = staleVerdict({ findings, rebootRequired: scan?.rebootRequired ?? false, rebootFirstSeen: scan?.rebootFirstSeen ?? null, delayMs: policy.staleAfterMs }, now);
    const t = this.check(host, "host.stale", "", { firing: v.firing, held: false, silenced, repeatMs: policy.repeatMs("host.stale"), details: { targets: v.targets, reboot: v.reboot } }, () => ({
      host: host.name, targets: v.targets.join(","), reboot: String(v.reboot), delay_ms: String(policy.staleAfterMs),
      restart_command: restartCommand(findings) ?? "restart the listed processes",
      kernel_running: scan?.kernelRunning ?? "", kernel_installed: scan?.kernelInstalled ?? "",
    }));
    return minOf(v.nextCheckAt, t);
  }

  private judgeJobs(host: HostRecord, silenced: boolean, silenceEnded: number | null, now: number): (number | null)[] {
    const { store, policy } = this.d;
    const out: (number | null)[] = [];
    for (const job of store.jobs.list(host.id)) {
      let schedule = policy.jobSchedule(host.name, job.job);
      if (schedule === undefined) schedule = job.declared ? policy.declaredSchedule(host.name, job.job, job.declared) : null;
      // Jobs without an expectation are listed, never alerted.
      if (schedule === null) continue;
      const v = evaluateJob({
        schedule, windowStartMs: Math.max(job.windowStart, silenceEnded ?? 0), lastStartMs: job.lastStart, lastEndMs: job.lastEnd,
        lastExitCode: job.lastExitCode, lastSignal: job.lastSignal, runningSinceMs: job.runningSince, lastOkEndMs: job.lastOkEnd,
      }, now);
      out.push(v.nextCheckAtMs);
      const facts = (): Facts => ({
        host: host.name, job: job.job, schedule: describeSchedule(schedule), last_start: iso(job.lastStart), last_end: iso(job.lastEnd),
        exit_code: job.lastExitCode === null ? "" : String(job.lastExitCode), signal: job.lastSignal ?? "", output_tail: job.lastOutputTail ?? "",
        reason: v.problems.missed ? `no run ended by ${iso(v.nextDeadlineMs ?? undefined) || "its deadline"}` : "",
      });
      for (const [rule, firing] of [["job.failed", v.problems.failed], ["job.missed", v.problems.missed], ["job.too-long", v.problems.tooLong]] as const) {
        out.push(this.check(host, rule, job.job, { firing, held: false, silenced, repeatMs: policy.repeatMs(rule), details: { state: v.state } }, facts));
      }
    }
    return out;
  }

  private judgeIpHooks(host: HostRecord, silenced: boolean): number | null {
    const { store, policy } = this.d;
    const hooks = this.d.ipHooks?.(host.id) ?? [];
    const keys = new Set([...hooks.map((h) => String(h.family)), ...store.alerts.forHost(host.id).filter((a) => a.rule === "ip.hook-failed").map((a) => a.key)]);
    let next: number | null = null;
    for (const key of [...keys].sort()) {
      const hook = hooks.find((h) => String(h.family) === key) ?? null;
      const v = ipHookVerdict(hook);
      const t = this.check(host, "ip.hook-failed", key, {
        firing: v.firing, held: false, silenced, repeatMs: policy.repeatMs("ip.hook-failed"),
        details: { address: hook?.address ?? "", attempts: hook?.attempts ?? 0 },
      }, () => ({
        host: host.name, family: key, address: hook?.status === "ok" ? hook.doneAddress ?? hook.address : hook?.address ?? "",
        error: hook?.lastError ?? (hook ? "" : "the hook is no longer configured"), attempts: String(hook?.attempts ?? 0),
        failing_since: iso(hook?.failingSince), next_attempt: iso(hook?.nextAttemptAt),
      }));
      next = minOf(next, t);
    }
    return next;
  }

  /** Runs one check through the state machine; stores the state, the flip and its notifications. */
  private check(host: HostRecord, rule: string, key: string, input: CheckInput, facts: (kind: FlipKind) => Facts): number | null {
    const { store, clock } = this.d;
    const now = clock.now();
    const prev = store.alerts.get(host.id, rule, key);
    const t = transition({ hostId: host.id, rule, key }, prev, input, now);
    if (t.next) store.alerts.put(t.next);
    if (t.action === "none") return t.nextCheckAt;
    const kind: FlipKind = t.action === "fire" ? "firing" : t.action === "resolve" ? "resolved" : "reminder";
    const suppressed = t.notify ? null : input.silenced ? "silenced" : "not notified before";
    const alertId = store.alerts.get(host.id, rule, key)!.id;
    this.addFlip({ alertId, hostId: host.id, rule, key, kind, incidentId: (t.next ?? prev)!.incidentId!, facts: facts(kind), suppressed, now });
    this.d.log.info({ host: host.name, rule, key: key || undefined, kind, suppressed }, "alert state changed");
    return t.nextCheckAt;
  }

  /** A one-off notice (not a state): e.g. a host's public address changed. */
  notice(hostId: number, rule: string, key: string, facts: Facts): void {
    this.addFlip({ alertId: null, hostId, rule, key, kind: "notice", incidentId: `${rule}-${hostId}-${this.d.clock.now()}`, facts, suppressed: null, now: this.d.clock.now() });
  }

  private addFlip(f: { alertId: number | null; hostId: number | null; rule: string; key: string; kind: FlipKind; incidentId: string; facts: Facts; suppressed: string | null; now: number }): void {
    const { store, channels } = this.d;
    const r = renderFlip(f.rule, f.kind, f.facts);
    const suppressed = f.suppressed ?? (channels.length === 0 ? "no channels configured" : null);
    const flipId = store.alerts.addFlip({ alertId: f.alertId, hostId: f.hostId, rule: f.rule, key: f.key, kind: f.kind, at: f.now, incidentId: f.incidentId, ...r, facts: f.facts, suppressed });
    if (!suppressed) {
      store.notifications.enqueue(flipId, channels, f.now);
      this.d.notified();
    }
  }

  private hostFacts(h: HostRecord, lastSeen: number | null, timeoutMs: number, now: number): Facts {
    const addresses = this.d.store.addresses.current(h.id);
    const address = addresses.map((a) => a.address).join(", ") || h.lastAddress || "";
    const stale = this.d.store.findings.count(h.id);
    const jobs = this.d.store.jobs.list(h.id).filter((j) => j.lastResult).map((j) => `${j.job} ${j.lastResult}`).slice(0, 5);
    return {
      host: h.name, last_seen: iso(lastSeen), address, timeout_ms: String(timeoutMs), silent_for_ms: String(lastSeen === null ? 0 : now - lastSeen),
      last_report: [stale ? `${stale} process(es) need a restart` : "", ...jobs].filter(Boolean).join("; "),
    };
  }

  private sendSummary(): void {
    const s = this.pendingSummary;
    if (!s) return;
    const { store, clock } = this.d;
    const now = clock.now();
    const notBack = store.hosts.list().filter((h) => {
      const seen = this.d.lastSeen(h);
      return seen !== null && seen < this.startedAt;
    }).map((h) => h.name);
    const short = (ms: number) => new Date(ms).toISOString().slice(11, 16);
    store.transaction(() => {
      this.addFlip({
        alertId: null, hostId: null, rule: "collector.down", key: "", kind: "summary", incidentId: `collector-${s.downFrom}`, now, suppressed: null,
        facts: {
          down_from: iso(s.downFrom), down_to: iso(s.downTo), down_from_short: short(s.downFrom), down_to_short: short(s.downTo),
          down_for_ms: String(s.downTo - s.downFrom), not_back: String(notBack.length), not_back_hosts: notBack.join(", "),
        },
      });
      store.meta.set(PENDING_SUMMARY, "");
    });
    this.pendingSummary = null;
  }

  /** The engine's view for queries: when judging of a host may begin. */
  get collectorStartedAt(): number {
    return this.startedAt;
  }

  stop(): void {
    this.deadlines.stop();
    if (this.aliveTimer) clearInterval(this.aliveTimer);
    this.markAlive();
  }
}

function iso(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? "" : new Date(ms).toISOString();
}

function minOf(...xs: (number | null)[]): number | null {
  const v = xs.filter((x): x is number => x !== null);
  return v.length ? Math.min(...v) : null;
}
