// Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And Jitter"):
// the n-th retry waits a random time in [min, min(cap, base * 2^n)], so a fleet of agents does
// not reconnect in lockstep after a collector restart.
export interface BackoffOptions {
  baseMs: number;
  capMs: number;
  minMs: number;
  random?: () => number;
}

export class Backoff {
  private attempt = 0;

  constructor(private readonly o: BackoffOptions) {}

  next(): number {
    const ceiling = Math.min(this.o.capMs, this.o.baseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.round(this.o.minMs + (this.o.random ?? Math.random)() * Math.max(0, ceiling - this.o.minMs));
  }

  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}
