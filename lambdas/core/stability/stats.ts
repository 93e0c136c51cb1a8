/** Small order statistics shared by the stability modules (no dependency on the cluster code). */

/** Linear-interpolated quantile (type 7, as numpy's default) of already sorted values; NaN when empty. */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (!n) return NaN;
  const h = (n - 1) * Math.min(1, Math.max(0, p));
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** The smallest value with at least a share p of the values at or below it (inverse empirical CDF): always a data value. */
export function quantileLowerSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (!n) return NaN;
  return sorted[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))];
}

export interface Spread {
  median: number;
  q1: number;
  q3: number;
  min: number;
  max: number;
  n: number;
}

/** Median, quartiles and range of a sample (NaN entries are ignored). */
export function spreadOf(values: Iterable<number>): Spread {
  const s = Float64Array.from([...values].filter((v) => !Number.isNaN(v))).sort();
  return { median: quantileSorted(s, 0.5), q1: quantileSorted(s, 0.25), q3: quantileSorted(s, 0.75), min: s.length ? s[0] : NaN, max: s.length ? s[s.length - 1] : NaN, n: s.length };
}

/** Number of values <= x in sorted values (binary search). */
export function countAtMost(sorted: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function round(x: number, digits: number): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
