// Safe HTML building and the formats the status page shows. Everything that comes from agents
// (host names, job names, output, paths, messages) is untrusted: the `html` tag escapes every
// interpolated value unless it is already an Html fragment built the same way.

const ENTITIES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** A fragment of HTML that is safe to insert as it is. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** Trusted constant markup (never pass data from agents or requests). */
export const raw = (s: string): Html => new Html(s);

function part(v: unknown): string {
  if (v instanceof Html) return v.text;
  if (v === null || v === undefined || v === false) return "";
  if (Array.isArray(v)) return v.map(part).join("");
  return escapeHtml(String(v));
}

/** Template tag: `html\`<td>${name}</td>\`` escapes name; Html values and arrays of them pass through. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += part(values[i]) + strings[i + 1]!;
  return new Html(out);
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** "just now", "42 s ago", "5 min ago", "3 h 10 min ago", "2 d 4 h ago"; the future as "in 5 min". */
export function relativeTime(ms: number, now: number): string {
  const d = now - ms;
  const span = approxDuration(Math.abs(d));
  if (Math.abs(d) < 5 * SECOND) return "just now";
  return d >= 0 ? `${span} ago` : `in ${span}`;
}

/** A rounded duration with at most two units: "42 s", "5 min", "3 h 10 min", "2 d 4 h". */
export function approxDuration(ms: number): string {
  if (ms < MINUTE) return `${Math.floor(ms / SECOND)} s`;
  if (ms < HOUR) return `${Math.floor(ms / MINUTE)} min`;
  if (ms < DAY) {
    const h = Math.floor(ms / HOUR);
    const m = Math.floor((ms % HOUR) / MINUTE);
    return m ? `${h} h ${m} min` : `${h} h`;
  }
  const days = Math.floor(ms / DAY);
  const h = Math.floor((ms % DAY) / HOUR);
  return h ? `${days} d ${h} h` : `${days} d`;
}

/** A job's run time, exact enough to compare runs: "350 ms", "12.3 s", "4 min 5 s", "1 h 2 min". */
export function runDuration(ms: number): string {
  if (ms < SECOND) return `${Math.round(ms)} ms`;
  if (ms < MINUTE) return `${(ms / SECOND).toFixed(1)} s`;
  if (ms < HOUR) {
    const s = Math.floor((ms % MINUTE) / SECOND);
    return `${Math.floor(ms / MINUTE)} min${s ? ` ${s} s` : ""}`;
  }
  return approxDuration(ms);
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Whether an IANA time zone name is known to this Node (for config validation). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch (err) {
    if (err instanceof RangeError) return false;
    throw err;
  }
}

/** "2026-11-27 23:17:05 UTC" (or CET, GMT+1, ... for the configured zone). */
export function absoluteTime(ms: number, timeZone: string): string {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-GB", {
      timeZone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
      hourCycle: "h23", timeZoneName: "short",
    });
    formatters.set(timeZone, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second} ${p.timeZoneName}`;
}

export interface TimeFormat {
  now: number;
  timeZone: string;
}

/** A time as "5 min ago" with the absolute time beside it (and in the tooltip); "never" for null. */
export function when(iso: string | null, t: TimeFormat, never = "never"): Html {
  if (iso === null) return html`<span class="muted">${never}</span>`;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return html`<span class="muted">${iso}</span>`;
  const abs = absoluteTime(ms, t.timeZone);
  return html`<time datetime="${iso}" title="${abs}">${relativeTime(ms, t.now)}</time> <span class="abs">${abs}</span>`;
}

/** Badge classes by state word; unknown words get the neutral style. */
const TONE: Readonly<Record<string, string>> = {
  up: "ok", ok: "ok", delivered: "ok", resolved: "ok",
  late: "warn", running: "warn", pending: "warn", sending: "warn", silenced: "muted", "never-seen": "muted", unknown: "muted",
  silent: "bad", failed: "bad", missed: "bad", firing: "bad", reboot: "warn", stale: "warn",
};

export function badge(word: string, label = word): Html {
  return html`<span class="badge ${TONE[word] ?? "muted"}">${label}</span>`;
}

/** The page path of a host (names are [a-z0-9._-], but encode anyway). */
export const hostHref = (name: string): string => `/hosts/${encodeURIComponent(name)}`;
