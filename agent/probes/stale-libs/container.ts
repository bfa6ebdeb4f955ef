// Naming the container a process runs in, from its cgroup paths (as seen from the host).

export interface ContainerRef {
  runtime: "docker" | "podman" | "containerd" | "cri-o" | "kubernetes" | "lxc" | "machine" | "namespace";
  /** Short id or name, e.g. "3f2a1b0c9d8e" or "web". */
  id: string;
}

const RULES: ReadonlyArray<[RegExp, ContainerRef["runtime"]]> = [
  [/(?:^|\/)docker-([0-9a-f]{12,64})\.scope(?:\/|$)/, "docker"],
  [/(?:^|\/)docker\/([0-9a-f]{12,64})(?:\/|$)/, "docker"],
  [/(?:^|\/)libpod-(?:conmon-)?([0-9a-f]{12,64})\.scope(?:\/|$)/, "podman"],
  [/(?:^|\/)libpod_parent\/libpod-([0-9a-f]{12,64})(?:\/|$)/, "podman"],
  [/(?:^|\/)cri-containerd-([0-9a-f]{12,64})\.scope(?:\/|$)/, "containerd"],
  [/(?:^|\/)crio-(?:conmon-)?([0-9a-f]{12,64})\.scope(?:\/|$)/, "cri-o"],
  [/(?:^|\/)kubepods[^/]*\/(?:.*\/)?(?:pod[^/]+\/)([0-9a-f]{12,64})(?:\/|$)/, "kubernetes"],
  [/(?:^|\/)lxc\.payload\.([^/]+)/, "lxc"],
  [/(?:^|\/)lxc\/([^/]+)/, "lxc"],
  [/(?:^|\/)machine-([^/]+)\.scope(?:\/|$)/, "machine"],
  [/(?:^|\/)systemd-nspawn@([^/]+)\.service(?:\/|$)/, "machine"],
];

export function containerFromCgroup(paths: readonly string[]): ContainerRef | null {
  for (const [re, runtime] of RULES) {
    for (const path of paths) {
      const m = re.exec(path);
      if (m) {
        const raw = m[1]!;
        const id = /^[0-9a-f]{13,64}$/.test(raw) ? raw.slice(0, 12) : unescapeUnitName(raw);
        return { runtime, id };
      }
    }
  }
  return null;
}

/** systemd escapes '-' in unit names as \x2d (machine-my\x2dbox.scope). */
function unescapeUnitName(s: string): string {
  return s.replace(/\\x([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** "docker:3f2a1b0c9d8e", "lxc:web"; a bare namespace keeps its own form ("pidns:4026532179"). */
export function containerLabel(ref: ContainerRef): string {
  return ref.runtime === "namespace" ? ref.id : `${ref.runtime}:${ref.id}`;
}

/** The command that restarts a container, or "" when the runtime has no such one-liner. */
export function containerRestartCommand(ref: ContainerRef): string {
  switch (ref.runtime) {
    case "docker":
      return `docker restart ${ref.id}`;
    case "podman":
      return `podman restart ${ref.id}`;
    case "lxc":
      return `lxc restart ${ref.id}`;
    case "machine":
      return `machinectl reboot ${ref.id}`;
    case "containerd":
    case "cri-o":
    case "kubernetes":
    case "namespace":
      return "";
  }
}
