/**
 * A token-bucket rate limiter: the write budget of the assignment writer (items per second).
 *
 * Tokens accrue continuously at `ratePerSecond` up to `burst`. `acquire(n)` takes n tokens; when there are not
 * enough, the bucket goes into debt and the caller waits until the debt is repaid. Reserving before waiting
 * makes concurrent callers queue fairly without a lock (each one's wait includes the reservations before it),
 * and lets a request larger than the burst through (one BatchWriteItem of 25 with a tiny budget).
 * Over any interval T the tokens handed out are at most burst + rate * T, so the measured rate converges to
 * the budget; the burst is one batch by default so that short runs do not overshoot visibly.
 *
 * Clock and sleep are injectable: the tests drive it with a fake clock, never with wall time.
 */
export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface RateLimiter {
  /** Resolves when n units may be spent. */
  acquire(n: number): Promise<void>;
}

export interface TokenBucketOptions {
  ratePerSecond: number;
  /** Bucket size (default: 25, one BatchWriteItem). The bucket starts full. */
  burst?: number;
  clock?: Clock;
}

export class TokenBucket implements RateLimiter {
  readonly ratePerSecond: number;
  readonly burst: number;
  private readonly clock: Clock;
  private tokens: number;
  private last: number;

  constructor(options: TokenBucketOptions) {
    const { ratePerSecond } = options;
    if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond)) throw new Error(`ratePerSecond must be a positive finite number, got ${ratePerSecond}`);
    this.ratePerSecond = ratePerSecond;
    this.burst = options.burst ?? 25;
    if (!(this.burst > 0)) throw new Error(`burst must be positive, got ${this.burst}`);
    this.clock = options.clock ?? systemClock;
    this.tokens = this.burst;
    this.last = this.clock.now();
  }

  /** Milliseconds the caller must wait after reserving n tokens now (0 if available). Reserves them. */
  reserve(n: number): number {
    if (!(n >= 0)) throw new Error(`cannot acquire ${n} tokens`);
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.ratePerSecond) / 1000);
    this.last = now;
    this.tokens -= n;
    return this.tokens >= 0 ? 0 : (-this.tokens * 1000) / this.ratePerSecond;
  }

  async acquire(n: number): Promise<void> {
    const wait = this.reserve(n);
    if (wait > 0) await this.clock.sleep(wait);
  }
}

/** No budget: never waits (local runs by default). */
export const unlimited: RateLimiter = { acquire: async () => {} };

/** A limiter for an optional budget (undefined, 0 or Infinity = unlimited). */
export function rateLimiter(itemsPerSecond: number | undefined, options: Omit<TokenBucketOptions, 'ratePerSecond'> = {}): RateLimiter {
  return itemsPerSecond && Number.isFinite(itemsPerSecond) ? new TokenBucket({ ...options, ratePerSecond: itemsPerSecond }) : unlimited;
}
