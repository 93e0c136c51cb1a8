/** The write budget's token bucket, driven by a fake clock (no wall time). */
import { rateLimiter, TokenBucket, unlimited, type Clock } from '../../../lambdas/core/util/tokenBucket';

/** A clock whose sleeps advance time instantly; records every sleep. */
function fakeClock(): Clock & { t: number; sleeps: number[] } {
  const c = {
    t: 0,
    sleeps: [] as number[],
    now: () => c.t,
    sleep: async (ms: number) => {
      c.sleeps.push(ms);
      c.t += ms;
    },
  };
  return c;
}

test('the first burst passes, then callers wait n / rate seconds', async () => {
  const clock = fakeClock();
  const bucket = new TokenBucket({ ratePerSecond: 200, burst: 25, clock });
  await bucket.acquire(25);
  expect(clock.t).toBe(0);
  await bucket.acquire(25);
  expect(clock.t).toBeCloseTo(125, 9); // 25 items at 200/s
  await bucket.acquire(50);
  expect(clock.t).toBeCloseTo(375, 9);
});

test('sequential writer: items over any long run stay within burst + rate x time', async () => {
  const clock = fakeClock();
  const bucket = new TokenBucket({ ratePerSecond: 1000, clock });
  let items = 0;
  for (let i = 0; i < 400; i++) {
    await bucket.acquire(25);
    items += 25;
    expect(items).toBeLessThanOrEqual(25 + (1000 * clock.t) / 1000 + 1e-6);
  }
  // 10,000 items at 1,000/s: 9.975 s after the first (free) burst.
  expect(clock.t).toBeCloseTo(9975, 6);
});

test('concurrent callers queue: reservations add up before anyone waits', async () => {
  const clock = fakeClock();
  const bucket = new TokenBucket({ ratePerSecond: 100, burst: 10, clock });
  const waits = [10, 10, 10, 10].map(() => bucket.reserve(10));
  expect(waits).toEqual([0, 100, 200, 300]);
});

test('idle time refills up to the burst only', async () => {
  const clock = fakeClock();
  const bucket = new TokenBucket({ ratePerSecond: 100, burst: 20, clock });
  expect(bucket.reserve(20)).toBe(0);
  clock.t += 60_000; // a minute idle: still only 20 tokens
  expect(bucket.reserve(20)).toBe(0);
  expect(bucket.reserve(10)).toBeCloseTo(100, 9);
});

test('a request larger than the burst passes and is paid for afterwards', async () => {
  const clock = fakeClock();
  const bucket = new TokenBucket({ ratePerSecond: 10, burst: 5, clock });
  expect(bucket.reserve(25)).toBeCloseTo(2000, 9);
});

test('unlimited and invalid budgets', async () => {
  expect(rateLimiter(undefined)).toBe(unlimited);
  expect(rateLimiter(0)).toBe(unlimited);
  expect(rateLimiter(Infinity)).toBe(unlimited);
  expect(rateLimiter(50)).toBeInstanceOf(TokenBucket);
  await expect(unlimited.acquire(1e9)).resolves.toBeUndefined();
  expect(() => new TokenBucket({ ratePerSecond: -1 })).toThrow(/positive finite/);
  expect(() => new TokenBucket({ ratePerSecond: 10, burst: 0 })).toThrow(/burst/);
});
