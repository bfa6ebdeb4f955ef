// Token bucket: `rate` tokens per second, at most `burst` saved up. Pure: time is passed in.
// Every message is counted, even one that arrives while the peer should be waiting (frames that
// were already on the wire are still read): the bucket goes into debt, and the wait it returns
// pays the whole debt back, so the average rate stays at `rate` however the frames arrive.
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(private readonly rate: number, private readonly burst: number, now: number) {
    this.tokens = burst;
    this.last = now;
  }

  /** Takes one token; returns 0 when allowed, else how long (ms) the peer must wait to be back within the rate. */
  take(now: number): number {
    this.refill(now);
    this.tokens -= 1;
    return this.debtMs();
  }

  /** How long (ms) until the debt is paid, without taking a token. */
  waitMs(now: number): number {
    this.refill(now);
    return this.debtMs();
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.burst, this.tokens + (Math.max(0, now - this.last) / 1000) * this.rate);
    this.last = Math.max(this.last, now);
  }

  private debtMs(): number {
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.rate) * 1000);
  }
}
