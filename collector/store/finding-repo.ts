// Stale-library findings: the current report per host (each report replaces the last), with the
// time each process was first seen needing a restart, and the kernel status.
import type { StaleReport } from "../../proto/types.js";
import type { Db } from "./db.js";
import { cachedPrepare, type Prepare } from "./statements.js";

export interface Finding {
  pid: number;
  startedAt: number;
  name: string;
  unit: string;
  user: string;
  container: string;
  restartKind: string;
  cmdline: string;
  deleted: string[];
  firstSeen: number;
  lastSeen: number;
}

export interface HostScan {
  scannedAt: number;
  receivedAt: number;
  scannedProcesses: number;
  skippedVanished: number;
  skippedDenied: number;
  kernelRunning: string | null;
  kernelInstalled: string | null;
  rebootRequired: boolean;
  rebootReason: string | null;
  rebootFirstSeen: number | null;
}

interface FindingRow {
  pid: number; started_at: number; name: string; unit: string; user: string; container: string; restart_kind: string;
  cmdline: string; deleted: string; first_seen: number; last_seen: number;
}

interface ScanRow {
  scanned_at: number; received_at: number; scanned_processes: number; skipped_vanished: number; skipped_denied: number;
  kernel_running: string | null; kernel_installed: string | null; reboot_required: number; reboot_reason: string | null; reboot_first_seen: number | null;
}

export class FindingRepo {
  private readonly prep: Prepare;
  constructor(private readonly db: Db) {
    this.prep = cachedPrepare(db);
  }

  /** Replaces the host's findings with a report; processes already known keep their first-seen time. */
  replace(hostId: number, r: StaleReport, now: number): void {
    const seenAt = r.scannedAtMs || now;
    const prev = this.prep<[number, number], { scanned_at: number }>("SELECT scanned_at FROM host_scans WHERE host_id = ? AND scanned_at > ?").get(hostId, seenAt);
    if (prev) return; // an older report arriving late must not replace a newer one
    const upsert = this.prep(`INSERT INTO stale_findings (host_id, pid, started_at, name, unit, user, container, restart_kind, cmdline, deleted, first_seen, last_seen)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (host_id, pid, started_at) DO UPDATE SET name = excluded.name, unit = excluded.unit, user = excluded.user,
          container = excluded.container, restart_kind = excluded.restart_kind, cmdline = excluded.cmdline, deleted = excluded.deleted,
          last_seen = excluded.last_seen`);
    this.prep("CREATE TEMP TABLE IF NOT EXISTS report_keys (pid INTEGER, started_at INTEGER)").run();
    this.prep("DELETE FROM temp.report_keys").run();
    const key = this.prep("INSERT INTO temp.report_keys VALUES (?, ?)");
    for (const p of r.processes) {
      upsert.run(hostId, p.pid, p.startedAtMs, p.name, p.unit, p.user, p.container, p.restartKind, p.cmdline, JSON.stringify(p.deleted), seenAt, seenAt);
      key.run(p.pid, p.startedAtMs);
    }
    this.prep(`DELETE FROM stale_findings WHERE host_id = ? AND NOT EXISTS
        (SELECT 1 FROM temp.report_keys k WHERE k.pid = stale_findings.pid AND k.started_at = stale_findings.started_at)`).run(hostId);
    const k = r.kernel;
    const old = this.scan(hostId);
    const rebootFirstSeen = k?.rebootRequired ? (old?.rebootRequired ? old.rebootFirstSeen : seenAt) : null;
    this.prep(`INSERT INTO host_scans (host_id, scanned_at, received_at, scanned_processes, skipped_vanished, skipped_denied,
          kernel_running, kernel_installed, reboot_required, reboot_reason, reboot_first_seen)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (host_id) DO UPDATE SET scanned_at = excluded.scanned_at, received_at = excluded.received_at,
          scanned_processes = excluded.scanned_processes, skipped_vanished = excluded.skipped_vanished, skipped_denied = excluded.skipped_denied,
          kernel_running = excluded.kernel_running, kernel_installed = excluded.kernel_installed, reboot_required = excluded.reboot_required,
          reboot_reason = excluded.reboot_reason, reboot_first_seen = excluded.reboot_first_seen`)
      .run(hostId, seenAt, now, r.scannedProcesses, r.skippedVanished, r.skippedDenied, k?.running ?? null, k?.installed || null,
        k?.rebootRequired ? 1 : 0, k?.reason || null, rebootFirstSeen);
  }

  list(hostId: number): Finding[] {
    return this.prep<[number], FindingRow>("SELECT * FROM stale_findings WHERE host_id = ? ORDER BY unit, name, pid").all(hostId).map((r) => ({
      pid: r.pid, startedAt: r.started_at, name: r.name, unit: r.unit, user: r.user, container: r.container, restartKind: r.restart_kind,
      cmdline: r.cmdline, deleted: JSON.parse(r.deleted) as string[], firstSeen: r.first_seen, lastSeen: r.last_seen,
    }));
  }

  count(hostId: number): number {
    return this.prep<[number], { n: number }>("SELECT count(*) AS n FROM stale_findings WHERE host_id = ?").get(hostId)?.n ?? 0;
  }

  scan(hostId: number): HostScan | null {
    const r = this.prep<[number], ScanRow>("SELECT * FROM host_scans WHERE host_id = ?").get(hostId);
    return r ? {
      scannedAt: r.scanned_at, receivedAt: r.received_at, scannedProcesses: r.scanned_processes, skippedVanished: r.skipped_vanished,
      skippedDenied: r.skipped_denied, kernelRunning: r.kernel_running, kernelInstalled: r.kernel_installed,
      rebootRequired: r.reboot_required === 1, rebootReason: r.reboot_reason, rebootFirstSeen: r.reboot_first_seen,
    } : null;
  }
}
