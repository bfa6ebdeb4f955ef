// What a process costs, read from /proc: resident memory (VmRSS, VmHWM) and CPU time.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

const CLOCK_TICKS = 100; // sysconf(_SC_CLK_TCK) on Linux/x86_64 and arm64

export interface MemSample {
  rssKiB: number;
  /** Peak resident set size ("high water mark") since the process started. */
  hwmKiB: number;
  /** Private memory (heap, stacks) within RSS. */
  anonKiB: number;
  /** File-backed pages within RSS (mostly the node binary's code, shared between node processes). */
  fileKiB: number;
}

export function readMem(pid: number): MemSample {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string): number => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status);
    if (!m) throw new Error(`/proc/${pid}/status has no ${name} line (is it a kernel thread or a zombie?)`);
    return Number(m[1]);
  };
  return { rssKiB: field("VmRSS"), hwmKiB: field("VmHWM"), anonKiB: field("RssAnon"), fileKiB: field("RssFile") };
}

/** utime + stime of the process (all its threads), in seconds. */
export function readCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The command name (field 2) is in parentheses and may contain spaces: split after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // rest[0] is field 3 (state); utime and stime are fields 14 and 15.
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`cannot parse /proc/${pid}/stat: ${stat.slice(0, 200)}`);
  return (utime + stime) / CLOCK_TICKS;
}

export const mib = (kib: number): string => (kib / 1024).toFixed(1);

/** A one-line description of this machine for the tables. */
export function machineLine(): string {
  const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? "unknown CPU";
  const cpus = (cpuinfo.match(/^processor\s*:/gm) ?? []).length;
  const memKiB = Number(/^MemTotal:\s+(\d+)/m.exec(readFileSync("/proc/meminfo", "utf8"))?.[1] ?? 0);
  const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  return `${cpus} x ${model}, ${(memKiB / 1024 / 1024).toFixed(0)} GiB RAM, node ${process.version}, load average ${load}`;
}

/** The open-file limits (soft, hard) of a process, from /proc/PID/limits. */
export function openFileLimits(pid: number | "self" = "self"): { soft: number; hard: number } {
  const m = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(readFileSync(`/proc/${pid}/limits`, "utf8"));
  if (!m) throw new Error(`/proc/${pid}/limits has no "Max open files" line`);
  const num = (s: string) => (s === "unlimited" ? Number.MAX_SAFE_INTEGER : Number(s));
  return { soft: num(m[1]!), hard: num(m[2]!) };
}

/**
 * The open-file limit children can get: the wanted one when prlimit may set it (root with
 * CAP_SYS_RESOURCE, or at most the hard limit), else the hard limit.
 */
export function reachableNofile(wanted: number): { nofile: number; note: string } {
  const { hard } = openFileLimits();
  if (wanted <= hard) return { nofile: wanted, note: "" };
  const r = spawnSync("prlimit", [`--nofile=${wanted}:${wanted}`, "true"], { encoding: "utf8" });
  if (r.status === 0) return { nofile: wanted, note: "" };
  return { nofile: hard, note: `cannot raise the open-file limit above the hard limit ${hard} here (${(r.stderr || "").trim() || "prlimit failed"}); using ${hard}` };
}

/**
 * Bytes the process caused to be written to storage (write_bytes of /proc/PID/io): with SQLite,
 * the WAL and the checkpoints into the database file. Unlike times, this does not depend on
 * how busy the machine is.
 */
export function readWriteBytes(pid: number | "self"): number {
  const m = /^write_bytes:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/io`, "utf8"));
  if (!m) throw new Error(`/proc/${pid}/io has no write_bytes line`);
  return Number(m[1]);
}
