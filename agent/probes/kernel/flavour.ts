// Kernels of different flavours are not upgrades of each other: a host running 6.1.0-18-amd64
// with 6.1.0-21-rt-amd64 also installed does not need a reboot. The flavour of a release is its
// trailing dash-separated words that start with a letter, plus an rpm "+variant" suffix:
//   6.1.0-21-cloud-amd64 -> "cloud-amd64"   6.8.0-31-generic -> "generic"
//   6.6.15-1-lts -> "lts"                    6.7.4-arch1-1 -> ""   (Arch's plain "linux")
//   6.5.6-300.fc39.x86_64 -> ""              6.5.6-300.fc39.x86_64+debug -> "+debug"
// On Arch the package base (/usr/lib/modules/<release>/pkgbase) is exact and preferred.

export function flavourOf(release: string): string {
  const plus = /\+([A-Za-z][A-Za-z0-9_]*)$/.exec(release);
  const base = plus ? release.slice(0, plus.index) : release;
  const parts = base.split("-");
  const tail: string[] = [];
  for (let i = parts.length - 1; i > 0; i--) {
    const p = parts[i]!;
    if (!/^[A-Za-z]/.test(p)) break;
    tail.unshift(p);
  }
  return tail.join("-") + (plus ? `+${plus[1]}` : "");
}
