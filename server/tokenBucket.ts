/**
 * A token bucket: holds at most `burst` tokens, refilled at `ratePerSecond`. `take()` spends one
 * token and says whether there was one. Time comes from `now` (milliseconds) so tests can drive it.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Spends one token; false (and nothing spent) when the bucket is empty. */
  take(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Gives one token back (an attempt that should not count after all), never past the burst. */
  refund(): void {
    this.refill();
    this.tokens = Math.min(this.burst, this.tokens + 1);
  }

  /** Milliseconds until a token is available (0: now). */
  get msUntilToken(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) * 1000) / this.ratePerSecond);
  }

  /** Whether the bucket is full again (an idle bucket can be forgotten). */
  get isFull(): boolean {
    this.refill();
    return this.tokens >= this.burst;
  }

  private refill(): void {
    const now = this.now();
    const elapsed = now - this.last;
    if (elapsed > 0) {
      this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.ratePerSecond) / 1000);
      this.last = now;
    }
  }
}

/**
 * One token bucket per key (a client IP, a user name, a user id), made on first use. Full buckets
 * are forgotten by `sweep()`, so the map holds only keys that spent tokens recently.
 */
export class KeyedTokenBuckets {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Spends one token of `key`'s bucket; false when it is empty. */
  take(key: string): boolean {
    return this.bucket(key).take();
  }

  /** Gives `key` back one token, never past the burst (a forgotten bucket is full already). */
  refund(key: string): void {
    this.buckets.get(key)?.refund();
  }

  /** Milliseconds until `key` may spend a token again. */
  msUntilToken(key: string): number {
    return this.buckets.get(key)?.msUntilToken ?? 0;
  }

  /** Forgets buckets that are full again. */
  sweep(): void {
    for (const [key, bucket] of this.buckets) if (bucket.isFull) this.buckets.delete(key);
  }

  get size(): number {
    return this.buckets.size;
  }

  private bucket(key: string): TokenBucket {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(this.ratePerSecond, this.burst, this.now);
      this.buckets.set(key, bucket);
    }
    return bucket;
  }
}
