// Installed versions of Debian/Ubuntu kernel image packages, from ROOT/var/lib/dpkg/status.
// Debian keeps the release (6.1.0-18-amd64) across security updates of the same ABI, so only the
// package version (6.1.76-1 -> 6.1.85-1) tells that a newer build of "the same" kernel is installed.

/** Package name -> version, for installed linux-image-* packages. */
export function kernelPackageVersions(status: string | null): Map<string, string> {
  const out = new Map<string, string>();
  if (!status) return out;
  const needle = "Package: linux-image-";
  let at = status.startsWith(needle) ? 0 : status.indexOf(`\n${needle}`);
  while (at !== -1) {
    const start = at === 0 && status.startsWith(needle) ? 0 : at + 1;
    let end = status.indexOf("\n\n", start);
    if (end === -1) end = status.length;
    const stanza = status.slice(start, end);
    const name = /^Package: (\S+)/.exec(stanza)?.[1];
    const version = /^Version: (\S+)/m.exec(stanza)?.[1];
    const state = /^Status: (.*)$/m.exec(stanza)?.[1] ?? "";
    if (name && version && / installed$/.test(state)) out.set(name, version);
    at = status.indexOf(`\n${needle}`, end);
  }
  return out;
}
