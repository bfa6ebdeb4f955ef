// One timer for many deadlines: a min-heap of (time, key) with lazy deletion. Rules compute
// deadlines; this only wakes the engine at the earliest one (no per-item timers, no slow poll).

export class Deadlines<K> {
  private heap: { at: number; key: K }[] = [];
  private readonly current = new Map<K, number>();
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;

  constructor(private readonly onDue: (keys: K[]) => void, private readonly now: () => number) {}

  /** Sets (or clears, with null) the deadline of a key. */
  set(key: K, at: number | null): void {
    if (at === null) {
      this.current.delete(key);
      return;
    }
    if (this.current.get(key) === at) return;
    this.current.set(key, at);
    this.push({ at, key });
    if (at < this.timerAt) this.arm();
  }

  get(key: K): number | null {
    return this.current.get(key) ?? null;
  }

  private push(e: { at: number; key: K }): void {
    const h = this.heap;
    h.push(e);
    for (let i = h.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (h[p]!.at <= h[i]!.at) break;
      [h[p], h[i]] = [h[i]!, h[p]!];
      i = p;
    }
  }

  private pop(): { at: number; key: K } | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l]!.at < h[m]!.at) m = l;
        if (r < h.length && h[r]!.at < h[m]!.at) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i]!, h[m]!];
        i = m;
      }
    }
    return top;
  }

  /** Drops stale heap entries (whose key has another deadline now) from the top. */
  private peek(): { at: number; key: K } | undefined {
    while (this.heap.length > 0) {
      const top = this.heap[0]!;
      if (this.current.get(top.key) === top.at) return top;
      this.pop();
    }
    return undefined;
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const top = this.peek();
    this.timerAt = top?.at ?? Infinity;
    if (!top) return;
    // setTimeout's limit is about 24.8 days; longer waits re-arm on the way.
    const delay = Math.min(Math.max(0, top.at - this.now()), 2 ** 31 - 1);
    this.timer = setTimeout(() => this.fire(), delay);
    this.timer.unref?.();
  }

  private fire(): void {
    this.timer = null;
    this.timerAt = Infinity;
    const now = this.now();
    const due: K[] = [];
    for (let top = this.peek(); top && top.at <= now; top = this.peek()) {
      this.pop();
      this.current.delete(top.key);
      due.push(top.key);
    }
    if (due.length > 0) this.onDue(due);
    this.arm();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
