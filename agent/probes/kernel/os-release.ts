// The distribution family, from ROOT/etc/os-release (or ROOT/usr/lib/os-release).

export type Family = "debian" | "rpm" | "arch" | "other";

export interface OsRelease {
  id: string;
  idLike: string[];
  prettyName: string;
}

export function parseOsRelease(text: string | null): OsRelease {
  const vars = new Map<string, string>();
  for (const line of (text ?? "").split("\n")) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (!m) continue;
    vars.set(m[1]!, m[2]!.replace(/^(["'])(.*)\1$/, "$2"));
  }
  return {
    id: (vars.get("ID") ?? "").toLowerCase(),
    idLike: (vars.get("ID_LIKE") ?? "").toLowerCase().split(/\s+/).filter(Boolean),
    prettyName: vars.get("PRETTY_NAME") ?? "",
  };
}

const DEBIAN = new Set(["debian", "ubuntu", "linuxmint", "raspbian", "pop", "devuan", "kali"]);
const RPM = new Set(["fedora", "rhel", "centos", "rocky", "almalinux", "ol", "amzn", "suse", "opensuse", "sles"]);
const ARCH = new Set(["arch", "archarm", "manjaro", "endeavouros", "garuda", "artix"]);

export function familyOf(os: OsRelease): Family {
  for (const id of [os.id, ...os.idLike]) {
    if (DEBIAN.has(id)) return "debian";
    if (RPM.has(id) || id.startsWith("opensuse")) return "rpm";
    if (ARCH.has(id)) return "arch";
  }
  return "other";
}
