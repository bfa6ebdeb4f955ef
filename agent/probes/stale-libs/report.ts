// The wire body (StaleReport) and its fingerprint. Strings are cut to the protocol limits so that
// the agent never spools what the collector would reject.
import { createHash } from "node:crypto";
import { LIMITS } from "../../../proto/limits.js";
import type { StaleProcess, StaleReport } from "../../../proto/types.js";
import type { KernelVerdict } from "../kernel/check.js";
import type { ScanResult } from "./scanner.js";

export function toStaleReport(result: ScanResult, kernel: KernelVerdict | null, scannedAtMs: number): StaleReport {
  return {
    scannedAtMs,
    processes: result.processes.slice(0, LIMITS.maxProcesses).map(
      (p): StaleProcess => ({
        pid: p.pid,
        name: cut(p.name, LIMITS.maxShortString),
        unit: cut(p.target.unit ?? "", LIMITS.maxShortString),
        user: cut(p.user, LIMITS.maxShortString),
        deleted: p.deleted.slice(0, LIMITS.maxDeletedPerProcess).map((d) => cut(d, LIMITS.maxPath)),
        cmdline: cut(p.cmdline, LIMITS.maxCmdline),
        startedAtMs: p.startedAtMs,
        container: cut(p.container ?? "", LIMITS.maxShortString),
        restartKind: p.target.kind,
        ppid: p.ppid,
      }),
    ),
    kernel: kernel
      ? {
          running: cut(kernel.running, LIMITS.maxShortString),
          runningVersion: cut(kernel.runningVersion, LIMITS.maxShortString),
          installed: cut(kernel.installed, LIMITS.maxShortString),
          rebootRequired: kernel.rebootRequired,
          reason: cut(kernel.reason, LIMITS.maxShortString),
        }
      : null,
    skippedVanished: result.vanished,
    skippedDenied: result.denied,
    scannedProcesses: result.scanned,
  };
}

/**
 * Changes only when the findings change: which processes (pid and start time, so a reused pid is
 * a new process), what they map, where they live, and the kernel verdict. Scan time, the number
 * of processes scanned and the skip counts are noise and left out.
 */
export function staleFingerprint(report: StaleReport): string {
  const processes = report.processes
    .map((p) => [p.pid, p.startedAtMs, p.name, p.unit, p.user, p.container, p.restartKind, p.deleted])
    .sort((a, b) => (a[0] as number) - (b[0] as number));
  const k = report.kernel;
  const kernel = k ? [k.running, k.runningVersion, k.installed, k.rebootRequired, k.reason] : null;
  return createHash("sha256").update(JSON.stringify({ processes, kernel })).digest("hex");
}

/** Cuts to at most `max` UTF-16 units without splitting a surrogate pair. */
function cut(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = max;
  const c = s.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return s.slice(0, end);
}
