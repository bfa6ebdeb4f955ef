// Durations as people write them in config files and on the command line: one or more
// <number><unit> parts, units in falling order and each at most once, no spaces, no sign:
// "90s", "30m", "24h", "1d", "1h30m", "1.5h", "250ms". Part of the contract: the agent declares
// job expectations with them and the collector reads them, so both ends use this one parser.
import { DurationError } from "./errors.js";

const UNITS = ["w", "d", "h", "m", "s", "ms"] as const;
type Unit = (typeof UNITS)[number];
const UNIT_MS: Record<Unit, number> = { w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
// "ms" before "m" so that "250ms" is not read as 250 minutes followed by "s".
const PART = /(\d{1,9}(?:\.\d{1,6})?)(ms|w|d|h|m|s)/y;

/** Longest duration accepted anywhere: 400 days. */
export const MAX_DURATION_MS = 400 * 86_400_000;

/**
 * Milliseconds of a duration text. Throws DurationError (LASTSEEN_ERR_DURATION) naming the text
 * when it is empty, has an unknown unit, repeats a unit, puts units out of order, or exceeds
 * MAX_DURATION_MS. A bare number ("3600") is refused: the unit is never guessed.
 */
export function readDuration(text: string): number {
  if (typeof text !== "string") throw bad(text, "is not a text");
  if (text.length === 0) throw bad(text, "is empty");
  if (text.length > 32) throw bad(text, "is longer than 32 characters");
  let total = 0;
  let lastRank = -1;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const at = PART.lastIndex;
    const m = PART.exec(text);
    if (!m || m.index !== at) {
      throw bad(text, /^\d+$/.test(text) ? "has no unit (write e.g. \"90s\", \"30m\", \"24h\")" : `cannot be read at "${text.slice(at)}"`);
    }
    const unit = m[2] as Unit;
    const rank = UNITS.indexOf(unit);
    if (rank <= lastRank) throw bad(text, `has unit "${unit}" out of order or twice (largest unit first, e.g. "1h30m")`);
    lastRank = rank;
    total += Number(m[1]) * UNIT_MS[unit];
  }
  const ms = Math.round(total);
  if (ms > MAX_DURATION_MS) throw bad(text, "is longer than 400d");
  return ms;
}

function bad(text: unknown, why: string): DurationError {
  return new DurationError(`duration ${JSON.stringify(text)} ${why}`);
}

/** Milliseconds, or null when the text is not a valid duration. */
export function parseDuration(text: string): number | null {
  try {
    return readDuration(text);
  } catch (err) {
    if (err instanceof DurationError) return null;
    throw err;
  }
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
