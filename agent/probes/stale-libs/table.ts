// `lastseen-agent scan`: a table for people, grouped by what to restart, ending with the lines to
// run. lastseen never restarts anything itself.
import type { KernelVerdict } from "../kernel/check.js";
import type { RestartGroup } from "./group.js";
import { groupByRestart, isDisruptive } from "./group.js";
import type { ScanResult, StaleProcessInfo } from "./scanner.js";

const MAX_CMDLINE = 100;

export interface TableOptions {
  /** Whether container processes were asked for (changes the hint about hidden ones). */
  containers: boolean;
  /** Formats a start time; local "YYYY-MM-DD HH:MM" by default. */
  formatTime?: (ms: number) => string;
}

export function renderTable(result: ScanResult, kernel: KernelVerdict, opts: TableOptions): string {
  const fmt = opts.formatTime ?? localTime;
  const groups = groupByRestart(result.processes);
  const lines: string[] = [];
  lines.push(summaryLine(result, groups));
  if (result.inOtherNamespaces > 0 && !opts.containers) {
    lines.push(`${plural(result.inOtherNamespaces, "process")} in containers or other namespaces not shown (use --containers).`);
  }
  for (const g of groups) {
    lines.push("", `${g.label}`);
    lines.push(`  ${pad("PID", 8)}${pad("USER", 12)}${pad("STARTED", 18)}COMMAND`);
    for (const p of g.processes) {
      lines.push(`  ${pad(String(p.pid), 8)}${pad(p.user || "?", 12)}${pad(p.startedAtMs > 0 ? fmt(p.startedAtMs) : "?", 18)}${shorten(p.cmdline || `[${p.name}]`)}`);
      for (const d of p.deleted) lines.push(`  ${" ".repeat(38)}${d === p.deletedExe ? "runs deleted executable" : "uses deleted"} ${d}`);
      if (p.parents.length > 0) lines.push(`  ${" ".repeat(38)}parents: ${p.parents.map((x) => `${x.name} (${x.pid})`).join(" < ")}`);
    }
    if (g.command) lines.push(`  -> ${g.command}`);
  }
  lines.push("", kernelLine(kernel));
  const todo = restartLines(groups);
  if (todo.length > 0) lines.push("", "To restart (lastseen restarts nothing itself):", ...todo.map((l) => `  ${l}`));
  return lines.join("\n") + "\n";
}

function summaryLine(r: ScanResult, groups: RestartGroup[]): string {
  const skipped = `skipped ${r.vanished} vanished, ${r.denied} unreadable`;
  if (r.processes.length === 0) return `No process uses deleted libraries or executables (scanned ${plural(r.scanned, "process")}, ${skipped}).`;
  const verb = r.processes.length === 1 ? "uses" : "use";
  return `${plural(r.processes.length, "process")} ${verb} deleted libraries or executables, ${plural(groups.length, "restart target")} (scanned ${plural(r.scanned, "process")}, ${skipped}).`;
}

function kernelLine(k: KernelVerdict): string {
  const running = k.running || "unknown";
  const installed = k.installed && k.installed !== k.running ? `, newest installed ${k.installed}` : "";
  return k.rebootRequired ? `Kernel: running ${running}${installed}: reboot required: ${k.reason}.` : `Kernel: running ${running}${installed}: no reboot required.`;
}

/** The commands to run: all system units on one systemctl line, disruptive ones apart. */
function restartLines(groups: RestartGroup[]): string[] {
  const units: string[] = [];
  const careful: string[] = [];
  const other: string[] = [];
  for (const g of groups) {
    const unit = g.kind === "unit" ? g.processes[0]?.target.unit : null;
    if (unit) (isDisruptive(unit) ? careful : units).push(unit);
    else if (g.command) other.push(g.kind === "session" ? `${g.command}    # or log out and back in` : g.command);
  }
  const out: string[] = [];
  if (units.length > 0) out.push(`systemctl restart ${units.join(" ")}`);
  if (careful.length > 0) out.push(`systemctl restart ${careful.join(" ")}    # may end sessions or drop the network`);
  out.push(...other);
  const byHand = groups.filter((g) => !g.command).flatMap((g) => g.processes);
  if (byHand.length > 0) out.push(`# by hand: ${byHand.map(describe).join(", ")}`);
  return out;
}

function describe(p: StaleProcessInfo): string {
  return `${p.name} (${p.pid})`;
}

function localTime(ms: number): string {
  const d = new Date(ms);
  const two = (n: number): string => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
}

function pad(s: string, width: number): string {
  return s.length >= width - 1 ? `${s} ` : s.padEnd(width);
}

function shorten(s: string): string {
  return s.length > MAX_CMDLINE ? `${s.slice(0, MAX_CMDLINE - 3)}...` : s;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : word.endsWith("s") ? "es" : "s"}`;
}
