// `lastseen hosts` (every host at a glance) and `lastseen host NAME` (everything about one).
import type { AlertPolicy } from "../alerts/engine.js";
import type { HostRecord } from "../store/host-repo.js";
import { restartCommand } from "../rules/stale.js";
import type { Store } from "../store/store.js";
import { ipHistory, type IpHistoryEntry } from "./ip.js";
import { jobsView, type JobView } from "./jobs.js";
import { iso, type LiveState } from "./live.js";

export interface HostView {
  name: string;
  state: string;
  lastSeen: string | null;
  address: string | null;
  addresses: { v4: string | null; v6: string | null };
  connected: boolean;
  hostname: string | null;
  agentVersion: string | null;
  os: string | null;
  kernel: string | null;
  heartbeatIntervalMs: number | null;
  timeoutMs: number;
  outbox: { pending: number; dropped: number };
  eventsReceived: number;
  /** Processes still running deleted libraries or executables. */
  staleProcesses: number;
  rebootRequired: boolean;
  /** Rules firing for this host, e.g. ["host.stale", "job.failed:backup"]. */
  alerts: string[];
  silencedUntil: string | null;
}

export interface HostDetail extends HostView {
  findings: { pid: number; name: string; unit: string | null; user: string; container: string | null; deleted: string[]; firstSeen: string; restart: string }[];
  restartCommands: string[];
  scan: { scannedAt: string; scannedProcesses: number; skipped: { vanished: number; denied: number }; kernel: { running: string | null; installed: string | null; rebootRequired: boolean; reason: string | null } } | null;
  jobs: JobView[];
  ipHistory: IpHistoryEntry[];
}

export function hostView(store: Store, live: LiveState, h: HostRecord, now: number): HostView {
  const current = store.addresses.current(h.id);
  const v4 = current.find((a) => a.family === 4)?.address ?? null;
  const v6 = current.find((a) => a.family === 6)?.address ?? null;
  const scan = store.findings.scan(h.id);
  return {
    name: h.name,
    state: live.state(h),
    lastSeen: iso(live.lastSeen(h)),
    address: v4 ?? v6 ?? h.lastAddress,
    addresses: { v4, v6 },
    connected: live.connected(h.id),
    hostname: h.hostname,
    agentVersion: h.agentVersion,
    os: h.os,
    kernel: h.kernelRelease,
    heartbeatIntervalMs: h.heartbeatIntervalMs,
    timeoutMs: live.timeoutMs(h),
    outbox: { pending: h.outboxPending, dropped: h.outboxDropped },
    eventsReceived: h.eventsReceived,
    staleProcesses: store.findings.count(h.id),
    rebootRequired: scan?.rebootRequired ?? false,
    alerts: store.alerts.forHost(h.id).filter((a) => a.status === "firing").map((a) => (a.key ? `${a.rule}:${a.key}` : a.rule)),
    silencedUntil: iso(store.silences.covering(h.id, now)?.endsAt),
  };
}

export function hostDetail(store: Store, live: LiveState, policy: AlertPolicy, h: HostRecord, now: number): HostDetail {
  const findings = store.findings.list(h.id);
  const scan = store.findings.scan(h.id);
  return {
    ...hostView(store, live, h, now),
    findings: findings.map((f) => ({
      pid: f.pid, name: f.name, unit: f.unit || null, user: f.user, container: f.container || null, deleted: f.deleted, firstSeen: iso(f.firstSeen)!,
      restart: f.container ? `container ${f.container}` : f.unit ? `systemctl restart ${f.unit}` : `restart pid ${f.pid} (${f.name})`,
    })),
    restartCommands: [restartCommand(findings)].filter((c): c is string => c !== null),
    scan: scan ? {
      scannedAt: iso(scan.scannedAt)!, scannedProcesses: scan.scannedProcesses,
      skipped: { vanished: scan.skippedVanished, denied: scan.skippedDenied },
      kernel: { running: scan.kernelRunning, installed: scan.kernelInstalled, rebootRequired: scan.rebootRequired, reason: scan.rebootReason },
    } : null,
    jobs: jobsView(store, policy, now, h.id),
    ipHistory: ipHistory(store, h),
  };
}
