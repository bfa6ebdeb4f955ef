// Grouping stale processes by what to restart: one systemctl line per unit, however many of its
// processes are stale.
import type { RestartKind } from "./restart-target.js";
import type { StaleProcessInfo } from "./scanner.js";

export interface RestartGroup {
  key: string;
  kind: RestartKind;
  label: string;
  /** "" when the restart must be done by hand. */
  command: string;
  processes: StaleProcessInfo[];
}

const KIND_ORDER: Record<RestartKind, number> = { unit: 0, "user-unit": 1, manager: 2, session: 3, container: 4, process: 5 };

export function groupByRestart(processes: readonly StaleProcessInfo[]): RestartGroup[] {
  const groups = new Map<string, RestartGroup>();
  for (const p of processes) {
    const t = p.target;
    let g = groups.get(t.key);
    if (!g) {
      g = { key: t.key, kind: t.kind, label: t.label, command: t.command, processes: [] };
      groups.set(t.key, g);
    }
    g.processes.push(p);
  }
  return [...groups.values()].sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || firstPid(a) - firstPid(b) || a.label.localeCompare(b.label));
}

function firstPid(g: RestartGroup): number {
  return g.kind === "process" ? (g.processes[0]?.pid ?? 0) : 0;
}

/**
 * Units whose restart ends sessions or drops the network: printed apart, with a warning, as
 * needrestart does by default for the same reasons.
 */
const DISRUPTIVE = [/^dbus(-broker)?\.service$/, /^(gdm|sddm|lightdm|lxdm|xdm|kdm|nodm|slim)\d*\.service$/, /^display-manager\.service$/, /^systemd-logind\.service$/, /^NetworkManager\.service$/, /^(serial-)?getty@.+\.service$/, /^wpa_supplicant/, /^systemd-networkd\.service$/];

export function isDisruptive(unit: string): boolean {
  return DISRUPTIVE.some((re) => re.test(unit));
}
