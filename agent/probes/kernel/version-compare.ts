// Ordering kernel release strings ("6.1.0-21-amd64", "6.5.6-300.fc39.x86_64", "6.7.4-arch1-1").
// rpmvercmp-style: split into runs of digits and runs of letters (everything else separates),
// compare digit runs as numbers and letter runs as text; a digit run is newer than a letter run;
// when one runs out, the longer one is newer. dpkg's '~' (sorts before anything) is honoured,
// which no kernel release uses today but Debian package versions of kernels may.

export function compareVersions(a: string, b: string): number {
  if (a === b) return 0;
  const sa = segments(a);
  const sb = segments(b);
  const n = Math.max(sa.length, sb.length);
  for (let i = 0; i < n; i++) {
    const x = sa[i];
    const y = sb[i];
    if (x === undefined) return y === "~" ? 1 : -1;
    if (y === undefined) return x === "~" ? -1 : 1;
    if (x === y) continue;
    if (x === "~") return -1;
    if (y === "~") return 1;
    const xd = isDigits(x);
    const yd = isDigits(y);
    if (xd && yd) {
      const c = compareDigitRuns(x, y);
      if (c !== 0) return c;
      continue;
    }
    if (xd !== yd) return xd ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return 0;
}

function segments(s: string): string[] {
  return s.match(/~|[0-9]+|[A-Za-z]+/g) ?? [];
}

function isDigits(s: string): boolean {
  const c = s.charCodeAt(0);
  return c >= 48 && c <= 57;
}

function compareDigitRuns(x: string, y: string): number {
  const a = x.replace(/^0+(?=.)/, "");
  const b = y.replace(/^0+(?=.)/, "");
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a === b ? 0 : a < b ? -1 : 1;
}

export function newest(versions: readonly string[]): string | null {
  let best: string | null = null;
  for (const v of versions) if (best === null || compareVersions(v, best) > 0) best = v;
  return best;
}
