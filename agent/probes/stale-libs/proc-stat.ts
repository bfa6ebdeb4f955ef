// Pure parsers for the small per-process files read for attribution.

export interface ProcStat {
  comm: string;
  ppid: number;
  /** Field 22: start time in clock ticks since boot. */
  startTicks: number;
}

/**
 * /proc/PID/stat. The command name (field 2) is in parentheses and may itself contain spaces and
 * parentheses, so the fields after it are found from the last ')'.
 */
export function parseStat(text: string): ProcStat | null {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open === -1 || close < open) return null;
  const rest = text.slice(close + 2).split(" ");
  // rest[0] is field 3 (state), so field N is rest[N - 3].
  const ppid = Number(rest[1]);
  const startTicks = Number(rest[19]);
  if (!Number.isSafeInteger(ppid) || !Number.isSafeInteger(startTicks)) return null;
  return { comm: text.slice(open + 1, close), ppid, startTicks };
}

/** btime (boot time, seconds since the epoch) from /proc/stat, or null. */
export function parseBootTime(text: string): number | null {
  const m = /^btime (\d+)$/m.exec(text);
  return m ? Number(m[1]) : null;
}

/**
 * Clock ticks per second for field 22 of /proc/PID/stat. USER_HZ is 100 on every Linux
 * architecture Node supports (x86, arm, arm64, ppc64, s390x, riscv64 all export 100 to user
 * space whatever CONFIG_HZ is); we cannot call sysconf(_SC_CLK_TCK) without a native module.
 */
export const CLK_TCK = 100;

export function startedAtMs(startTicks: number, bootTimeS: number): number {
  return bootTimeS * 1000 + Math.round((startTicks * 1000) / CLK_TCK);
}

/** The effective uid from /proc/PID/status ("Uid: real effective saved fs"), or null. */
export function parseEffectiveUid(status: string): number | null {
  const m = /^Uid:\s+\d+\s+(\d+)/m.exec(status);
  return m ? Number(m[1]) : null;
}

/** /proc/PID/cmdline: NUL-separated arguments, joined with spaces. */
export function parseCmdline(raw: string): string {
  let s = raw;
  while (s.endsWith("\0")) s = s.slice(0, -1);
  return s.split("\0").join(" ");
}
