// `lastseen-agent scan --json`: the interface scripts rely on. The required fields and their
// types are fixed (see docs/stale-libs.md); each process object carries a few more.
import type { KernelVerdict } from "../kernel/check.js";
import type { ScanResult } from "./scanner.js";

export interface ScanJsonProcess {
  pid: number;
  name: string;
  unit: string | null;
  user: string;
  deleted: string[];
  // extras
  cmdline: string;
  startedAt: string | null;
  ppid: number;
  container: string | null;
  restartKind: string;
  restart: string | null;
  userUnit: string | null;
  exeDeleted: boolean;
  parents: { pid: number; name: string }[];
}

export interface ScanJson {
  processes: ScanJsonProcess[];
  kernel: { running: string; installed: string | null; rebootRequired: boolean };
  skipped: { vanished: number; denied: number };
}

export function toScanJson(result: ScanResult, kernel: KernelVerdict): ScanJson {
  return {
    processes: result.processes.map((p) => ({
      pid: p.pid,
      name: p.name,
      unit: p.target.unit,
      user: p.user,
      deleted: p.deleted,
      cmdline: p.cmdline,
      startedAt: p.startedAtMs > 0 ? new Date(p.startedAtMs).toISOString() : null,
      ppid: p.ppid,
      container: p.container,
      restartKind: p.target.kind,
      restart: p.target.command || null,
      userUnit: p.target.userUnit,
      exeDeleted: p.exeDeleted,
      parents: p.parents,
    })),
    kernel: { running: kernel.running, installed: kernel.installed || null, rebootRequired: kernel.rebootRequired },
    skipped: { vanished: result.vanished, denied: result.denied },
  };
}
