// Where systemd placed a process, from /proc/PID/cgroup. Works on cgroup v2 ("0::/path"),
// v1 ("1:name=systemd:/path") and hybrid hosts (both; the name=systemd line wins).

export type Placement =
  /** A system service: restart it with systemctl. */
  | { kind: "system-unit"; unit: string }
  /** PID 1 itself (/init.scope): systemctl daemon-reexec. */
  | { kind: "manager" }
  /** A user's systemd instance (user@UID.service/init.scope). */
  | { kind: "user-manager"; uid: number; manager: string }
  /** A unit of a user's systemd instance (user@UID.service/app.slice/foo.service). */
  | { kind: "user-unit"; uid: number; manager: string; unit: string }
  /** A login session (user-UID.slice/session-N.scope): the user logs out and in. */
  | { kind: "session"; uid: number | null; session: string; unit: string }
  /** Any other scope (run-u12.scope, an app scope, a container scope): no unit to restart. */
  | { kind: "scope"; unit: string }
  /** Not under systemd (no systemd, or a non-systemd cgroup layout). */
  | { kind: "none" };

export interface CgroupInfo {
  /** The path systemd uses ("" when none can be found). */
  systemdPath: string;
  /** Every path of every hierarchy, for container detection. */
  allPaths: string[];
}

export function parseCgroup(text: string): CgroupInfo {
  let v1 = "";
  let v2 = "";
  const allPaths: string[] = [];
  for (const line of text.split("\n")) {
    if (line.length === 0) continue;
    const first = line.indexOf(":");
    const second = line.indexOf(":", first + 1);
    if (first === -1 || second === -1) continue;
    const hierarchy = line.slice(0, first);
    const controllers = line.slice(first + 1, second);
    const path = line.slice(second + 1);
    allPaths.push(path);
    if (controllers === "name=systemd") v1 = path;
    else if (hierarchy === "0" && controllers === "") v2 = path;
  }
  return { systemdPath: v1 || v2, allPaths };
}

const USER_MANAGER = /^user@(\d+)\.service$/;
const SESSION = /^session-(.+)\.scope$/;
const USER_SLICE = /^user-(\d+)\.slice$/;

export function placementOf(cgroupPath: string): Placement {
  const parts = cgroupPath.split("/").filter((p) => p.length > 0);
  if (parts.length === 1 && parts[0] === "init.scope") return { kind: "manager" };
  let i = 0;
  while (i < parts.length && parts[i]!.endsWith(".slice")) i++;
  const unit = parts[i];
  if (unit === undefined) return { kind: "none" };

  const manager = USER_MANAGER.exec(unit);
  if (manager) {
    const uid = Number(manager[1]);
    let j = i + 1;
    while (j < parts.length && parts[j]!.endsWith(".slice")) j++;
    const inner = parts[j];
    if (inner === undefined || inner === "init.scope") return { kind: "user-manager", uid, manager: unit };
    if (inner.endsWith(".service")) return { kind: "user-unit", uid, manager: unit, unit: inner };
    return { kind: "scope", unit: inner };
  }
  const session = SESSION.exec(unit);
  if (session) {
    const slice = parts.slice(0, i).map((p) => USER_SLICE.exec(p)).find((m) => m !== null);
    return { kind: "session", uid: slice ? Number(slice[1]) : null, session: session[1]!, unit };
  }
  if (unit.endsWith(".service")) return { kind: "system-unit", unit };
  if (unit.endsWith(".scope")) return { kind: "scope", unit };
  return { kind: "none" };
}
