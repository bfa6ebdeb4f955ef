// The stale-library probe: scans on an interval, soon after a package transaction (watch), and
// reports a StaleReport whose fingerprint changes only when the findings do.
import type { Probe, ProbeContext, ProbeResult } from "../probe.js";
import type { KernelVerdict } from "../kernel/check.js";
import { checkKernel } from "../kernel/check.js";
import { compileIgnore } from "./ignore.js";
import type { ProcSource } from "./proc-source.js";
import { staleFingerprint, toStaleReport } from "./report.js";
import { scanStaleProcesses } from "./scanner.js";
import { watchPackageDatabases } from "./watch.js";

export interface StaleLibsProbeOptions {
  /** Root of proc/, etc/, boot/, usr/lib/modules, run/, var/lib ("/" by default). */
  root?: string;
  /** Report processes in containers (other PID/mount namespaces). */
  containers?: boolean;
  /** Extra ignore patterns, added to the defaults. Validated here: a bad one throws ScanError. */
  ignore?: readonly string[];
  /** Scan period, default 10 minutes. */
  intervalMs?: number;
  /** An unchanged report is still sent after this long, default 6 hours. */
  refreshMs?: number;
  /** Package database stat poll period (the fs.watch fallback), default 30 s. */
  pollMs?: number;
  /** Clock for scannedAtMs. */
  now?: () => number;
  /** I/O seam for /proc (tests). */
  source?: ProcSource;
  /** Kernel check seam (tests). */
  kernel?: (root: string) => KernelVerdict;
}

export const STALE_LIBS_DEFAULTS = Object.freeze({ intervalMs: 10 * 60_000, refreshMs: 6 * 3_600_000, pollMs: 30_000 });

export function createStaleLibsProbe(opts: StaleLibsProbeOptions = {}): Probe {
  const root = opts.root ?? "/";
  const ignore = [...(opts.ignore ?? [])];
  compileIgnore(ignore); // fail at start, not at the first scan
  const now = opts.now ?? Date.now;
  const kernel = opts.kernel ?? checkKernel;

  return {
    name: "stale-libs",
    intervalMs: opts.intervalMs ?? STALE_LIBS_DEFAULTS.intervalMs,
    refreshMs: opts.refreshMs ?? STALE_LIBS_DEFAULTS.refreshMs,

    async collect(_ctx: ProbeContext): Promise<ProbeResult> {
      const scannedAtMs = now();
      const result = scanStaleProcesses({ root, source: opts.source, containers: opts.containers, ignore });
      const report = toStaleReport(result, kernel(root), scannedAtMs);
      return { body: { kind: "staleReport", value: report }, fingerprint: staleFingerprint(report) };
    },

    watch(ctx: ProbeContext, trigger: () => void): () => void {
      const stop = watchPackageDatabases({ root, pollMs: opts.pollMs ?? STALE_LIBS_DEFAULTS.pollMs, log: ctx.log }, trigger);
      ctx.signal.addEventListener("abort", stop, { once: true });
      return stop;
    },
  };
}
