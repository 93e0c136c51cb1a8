/** The random draws the generator is built from: a weighted choice, quantile tables, the normal distribution. */
import type { Rng } from '../util/random';

// Module-scope aliases: a global (Math) or module-namespace lookup in the per-row code is slow in sandboxed contexts
// (Jest's vm), where it cannot be cached.
const { SQRT2, abs, exp, floor, log, max, min, sqrt } = Math;

/** Weighted choice among values (cumulative weights, binary search). */
export class Discrete<T> {
  private readonly cum: Float64Array;
  private readonly total: number;
  constructor(
    readonly values: readonly T[],
    weights: ArrayLike<number>,
  ) {
    this.cum = new Float64Array(values.length);
    let s = 0;
    for (let i = 0; i < values.length; i++) this.cum[i] = s += max(0, weights[i]);
    this.total = s;
    if (!(s > 0)) throw new Error('Discrete: no positive weight');
  }
  static fromCounts(counts: Record<string, number>): Discrete<string> {
    const keys = Object.keys(counts);
    return new Discrete(keys, keys.map((k) => counts[k]));
  }
  index(rng: Rng): number {
    const u = rng.next() * this.total;
    let lo = 0;
    let hi = this.cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cum[mid] > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
  sample(rng: Rng): T {
    return this.values[this.index(rng)];
  }
}

/** Inverse-CDF draw from a quantile table (linear between the tabulated points). */
export function fromQuantiles(qs: readonly number[], u: number): number {
  const pos = u * (qs.length - 1);
  const i = min(floor(pos), qs.length - 2);
  return qs[i] + (qs[i + 1] - qs[i]) * (pos - i);
}

/** Standard normal CDF (Abramowitz-Stegun 7.1.26, |error| < 1.5e-7). */
export function phi(z: number): number {
  const x = abs(z) / SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** Inverse of the standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9). */
export function inverseNormal(p: number): number {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  if (p < lo) {
    const q = sqrt(-2 * log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - lo) {
    const q = sqrt(-2 * log(1 - p));
    return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}
