// Small statistics for benchmark tables: medians, a mergeable latency histogram, text tables.

export function median(xs: readonly number[]): number {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

/**
 * Latency histogram with logarithmic buckets (2 % wide, from 10 µs): percentiles within 2 %,
 * and histograms from several processes merge by adding counts.
 */
export class Histogram {
  static readonly MIN_MS = 0.01;
  static readonly GROWTH = 1.02;
  static readonly BUCKETS = 1000; // up to 0.01 * 1.02^1000 ms, far beyond any timeout
  readonly counts: number[];
  count = 0;
  maxMs = 0;

  constructor(counts?: number[]) {
    this.counts = counts ? [...counts] : new Array<number>(Histogram.BUCKETS).fill(0);
    this.count = this.counts.reduce((a, b) => a + b, 0);
  }

  add(ms: number): void {
    const i = ms <= Histogram.MIN_MS ? 0 : Math.min(Histogram.BUCKETS - 1, Math.ceil(Math.log(ms / Histogram.MIN_MS) / Math.log(Histogram.GROWTH)));
    this.counts[i]!++;
    this.count++;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  merge(other: { counts: number[]; maxMs: number }): void {
    for (let i = 0; i < Histogram.BUCKETS; i++) this.counts[i]! += other.counts[i] ?? 0;
    this.count = this.counts.reduce((a, b) => a + b, 0);
    this.maxMs = Math.max(this.maxMs, other.maxMs);
  }

  /** Upper bound of the bucket holding the p-th percentile (p in 0..100); NaN when empty. */
  percentile(p: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < Histogram.BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(this.maxMs, Histogram.MIN_MS * Histogram.GROWTH ** i);
    }
    return this.maxMs;
  }

  toJSON(): { counts: number[]; maxMs: number } {
    return { counts: this.counts, maxMs: this.maxMs };
  }
}

/** A plain text table; numbers are right-aligned. */
export function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map((c) => (typeof c === "number" ? fmt(c) : c)))];
  const widths = head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const right = head.map((_, i) => rows.every((r) => typeof r[i] === "number" || /^[\d.,~<>%x -]+$/.test(String(r[i] ?? ""))));
  const line = (r: string[]) => r.map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ").trimEnd();
  return [line(cells[0]!), line(widths.map((w) => "-".repeat(w))), ...cells.slice(1).map(line)].join("\n");
}

/** Numbers with a sensible number of digits for a table. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return "-";
  if (Number.isInteger(x)) return x.toLocaleString("en-US");
  if (Math.abs(x) >= 100) return Math.round(x).toLocaleString("en-US");
  if (Math.abs(x) >= 10) return x.toFixed(1);
  return x.toFixed(2);
}
