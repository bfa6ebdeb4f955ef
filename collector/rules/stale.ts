// "Services need a restart": stale-library findings still present after a delay, and a pending
// kernel reboot; one digest per host. Pure.

export interface StaleInput {
  /** First-seen time of each current finding. */
  findings: readonly { firstSeen: number; unit: string; name: string; restartKind: string; container: string }[];
  rebootRequired: boolean;
  rebootFirstSeen: number | null;
  delayMs: number;
}

export interface StaleVerdict {
  firing: boolean;
  /** Restart targets that are overdue ("cron.service", "pid 123 (vim)"), sorted. */
  targets: string[];
  reboot: boolean;
  nextCheckAt: number | null;
}

export function staleVerdict(i: StaleInput, now: number): StaleVerdict {
  const due = i.findings.filter((f) => now >= f.firstSeen + i.delayMs);
  const reboot = i.rebootRequired && i.rebootFirstSeen !== null && now >= i.rebootFirstSeen + i.delayMs;
  const pending = [
    ...i.findings.filter((f) => now < f.firstSeen + i.delayMs).map((f) => f.firstSeen + i.delayMs),
    ...(i.rebootRequired && i.rebootFirstSeen !== null && !reboot ? [i.rebootFirstSeen + i.delayMs] : []),
  ];
  const targets = [...new Set(due.map(restartTarget))].sort();
  return { firing: due.length > 0 || reboot, targets, reboot, nextCheckAt: pending.length ? Math.min(...pending) : null };
}

export function restartTarget(f: { unit: string; name: string; restartKind: string; container: string }): string {
  if (f.container) return `container ${f.container}`;
  if (f.unit) return f.unit;
  return `process ${f.name}`;
}

/** The one `systemctl restart` line for the host's findings in systemd units, or null. */
export function restartCommand(findings: readonly { unit: string; container: string }[]): string | null {
  const units = [...new Set(findings.filter((f) => f.unit && !f.container).map((f) => f.unit))].sort();
  return units.length ? `systemctl restart ${units.join(" ")}` : null;
}
