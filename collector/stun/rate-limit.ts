// Per-source token buckets for the STUN responder: a spoofed source address must not turn the
// responder into an amplifier or a flood source. Pure bookkeeping; the clock comes in as `now`.

export interface TokenBucketOptions {
  /** Requests a source may send at once. */
  readonly burst: number;
  /** Tokens added per second. */
  readonly perSecond: number;
  /** Sources tracked at most; idle ones are forgotten first when the table is full. */
  readonly maxSources: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class SourceRateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly opts: TokenBucketOptions) {
    if (!(opts.burst >= 1) || !(opts.perSecond > 0) || !(opts.maxSources >= 1)) {
      throw new RangeError(`invalid rate limit: burst ${opts.burst}, perSecond ${opts.perSecond}, maxSources ${opts.maxSources}`);
    }
  }

  /** Takes one token for `key`; false when the source is over its rate. */
  take(key: string, nowMs: number): boolean {
    let b = this.buckets.get(key);
    if (b) {
      this.refill(b, nowMs);
      // Move to the end: the map's order is then least recently seen first.
      this.buckets.delete(key);
    } else {
      if (this.buckets.size >= this.opts.maxSources) this.evict(nowMs);
      b = { tokens: this.opts.burst, at: nowMs };
    }
    this.buckets.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  get size(): number {
    return this.buckets.size;
  }

  private refill(b: Bucket, nowMs: number): void {
    const elapsed = Math.max(0, nowMs - b.at) / 1000;
    b.tokens = Math.min(this.opts.burst, b.tokens + elapsed * this.opts.perSecond);
    b.at = nowMs;
  }

  private evict(nowMs: number): void {
    // First drop sources whose bucket has refilled (they lose nothing by being forgotten) ...
    for (const [key, b] of this.buckets) {
      this.refill(b, nowMs);
      if (b.tokens >= this.opts.burst) this.buckets.delete(key);
    }
    // ... then the least recently seen, down to 90 % so eviction does not run on every packet.
    const target = Math.floor(this.opts.maxSources * 0.9);
    for (const key of this.buckets.keys()) {
      if (this.buckets.size <= target) break;
      this.buckets.delete(key);
    }
  }
}

/** The rate-limit key of a source: the IPv4 address, or the /64 of an IPv6 address. */
export function sourceKey(address: string): string {
  if (!address.includes(":")) return address;
  const bytes = ipv6Prefix64(address);
  return bytes ?? address;
}

function ipv6Prefix64(address: string): string | null {
  const halves = address.split("::");
  const head = halves[0] ? halves[0].split(":") : [];
  if (halves.length === 1) return head.length >= 4 ? `${head.slice(0, 4).join(":")}::/64` : null;
  const tail = halves[1] ? halves[1].split(":") : [];
  const words = [...head, ...Array<string>(Math.max(0, 8 - head.length - tail.length)).fill("0"), ...tail];
  return `${words.slice(0, 4).map((w) => w || "0").join(":")}::/64`;
}
