// Durations as people write them in config files and on the command line: "90s", "30m", "24h",
// "1d", "1h30m", "250ms". Part of the contract: the agent declares job expectations with them and
// the collector parses them.

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/y;

/** Milliseconds, or null when the text is not a duration. */
export function parseDuration(text: string): number | null {
  const s = text.trim();
  if (s.length === 0 || s.length > 32) return null;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < s.length) {
    const start = PART.lastIndex;
    const m = PART.exec(s);
    if (!m || m.index !== start) return null;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
  }
  return Number.isFinite(total) ? Math.round(total) : null;
}

/** Short human form: 1500 -> "1.5s", 5400000 -> "1h30m". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(1)}s`;
  const parts: string[] = [];
  let rest = Math.round(ms / 1000);
  for (const [unit, sec] of [["d", 86400], ["h", 3600], ["m", 60], ["s", 1]] as const) {
    const n = Math.floor(rest / sec);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * sec;
    if (parts.length === 2) break;
  }
  return parts.join("");
}
