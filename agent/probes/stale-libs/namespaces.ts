// Is a process part of the host, or of a container? Decided from its PID and mount namespace
// links (/proc/PID/ns/pid -> "pid:[4026531836]") against a reference process.
import type { Placement } from "./cgroup.js";

export interface NamespaceIds {
  /** Link targets, or null when unreadable. */
  pid: string | null;
  mnt: string | null;
}

export type NamespaceVerdict =
  | { foreign: false }
  | { foreign: true; /** e.g. "pidns:4026532179", the fallback container name. */ fallbackId: string; runtime: "namespace" };

/**
 * - Another PID namespace: a container.
 * - Same PID namespace but another mount namespace: systemd sandboxing (PrivateTmp=,
 *   ProtectSystem=...) gives services their own mount namespace while their files are still the
 *   host's, so a process placed in a systemd unit or session counts as the host. Any other process
 *   with its own mount namespace (bwrap, flatpak and snap scopes, unshare -m) sees other files:
 *   foreign.
 * - Unknown (unreadable links or no reference): the host.
 */
export function namespaceVerdict(proc: NamespaceIds, ref: NamespaceIds | null, placement: Placement): NamespaceVerdict {
  if (!ref) return { foreign: false };
  if (proc.pid && ref.pid && proc.pid !== ref.pid) return { foreign: true, fallbackId: `pidns:${inodeOf(proc.pid)}`, runtime: "namespace" };
  if (proc.mnt && ref.mnt && proc.mnt !== ref.mnt && (placement.kind === "none" || placement.kind === "scope")) {
    return { foreign: true, fallbackId: `mntns:${inodeOf(proc.mnt)}`, runtime: "namespace" };
  }
  return { foreign: false };
}

function inodeOf(link: string): string {
  const m = /\[(\d+)\]/.exec(link);
  return m ? m[1]! : link;
}
