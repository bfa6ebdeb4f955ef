// What to restart for a stale process: a pure decision from where the process lives.
import type { Placement } from "./cgroup.js";
import type { ContainerRef } from "./container.js";
import { containerLabel, containerRestartCommand } from "./container.js";

/**
 * restartKind values (also on the wire, StaleProcess.restart_kind):
 *   unit       a system service: systemctl restart UNIT
 *   user-unit  a unit of a user's systemd: systemctl --user -M USER@ restart UNIT
 *   manager    systemd itself or a user's systemd: daemon-reexec
 *   session    a login session: the user logs out and back in
 *   container  a process in another PID/mount namespace (only with container reporting on)
 *   process    anything else: restart the program by hand (see its parent chain)
 */
export type RestartKind = "unit" | "user-unit" | "manager" | "session" | "container" | "process";

export interface RestartTarget {
  kind: RestartKind;
  /** The systemd unit reported as `unit` (null when none). */
  unit: string | null;
  /** A unit inside a user's systemd, when kind is user-unit. */
  userUnit: string | null;
  /** The command to run (never run by lastseen); "" when it must be done by hand. */
  command: string;
  /** Processes with the same key are restarted together. */
  key: string;
  /** Human label of the group, e.g. "cron.service" or "session 3 of alice". */
  label: string;
}

export interface TargetInput {
  pid: number;
  name: string;
  user: string;
  placement: Placement;
  /** Set when the process runs in a container (another namespace) and that is reported. */
  container: ContainerRef | null;
}

export function restartTarget(p: TargetInput): RestartTarget {
  if (p.container) {
    const label = containerLabel(p.container);
    return { kind: "container", unit: null, userUnit: null, command: containerRestartCommand(p.container), key: `container:${label}`, label: `container ${label}` };
  }
  const pl = p.placement;
  switch (pl.kind) {
    case "system-unit":
      return { kind: "unit", unit: pl.unit, userUnit: null, command: `systemctl restart ${pl.unit}`, key: `unit:${pl.unit}`, label: pl.unit };
    case "manager":
      return { kind: "manager", unit: "init.scope", userUnit: null, command: "systemctl daemon-reexec", key: "manager", label: "systemd (PID 1)" };
    case "user-manager":
      return {
        kind: "manager",
        unit: pl.manager,
        userUnit: null,
        command: `systemctl --user -M ${p.user}@ daemon-reexec`,
        key: `user-manager:${pl.uid}`,
        label: `${pl.manager} (systemd of ${p.user})`,
      };
    case "user-unit":
      return {
        kind: "user-unit",
        unit: pl.manager,
        userUnit: pl.unit,
        command: `systemctl --user -M ${p.user}@ restart ${pl.unit}`,
        key: `user-unit:${pl.uid}:${pl.unit}`,
        label: `${pl.unit} of ${p.user} (${pl.manager})`,
      };
    case "session":
      return {
        kind: "session",
        unit: pl.unit,
        userUnit: null,
        command: `loginctl terminate-session ${pl.session}`,
        key: `session:${pl.session}`,
        label: `session ${pl.session} of ${p.user} (${pl.unit}): log out and back in`,
      };
    case "scope":
      return { kind: "process", unit: pl.unit, userUnit: null, command: "", key: `scope:${pl.unit}`, label: `${pl.unit}: restart its processes by hand` };
    case "none":
      return { kind: "process", unit: null, userUnit: null, command: "", key: `process:${p.pid}`, label: `process ${p.pid} (${p.name}): restart it by hand` };
  }
}
