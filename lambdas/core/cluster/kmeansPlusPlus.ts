/**
 * Greedy k-means++ seeding, as scikit-learn's `_kmeans_plusplus`: the first centre is a uniformly drawn point; every
 * further centre is the best of `2 + floor(ln k)` candidates drawn with probability proportional to the squared
 * distance to the nearest centre chosen so far, "best" meaning the candidate that leaves the smallest potential
 * (sum of squared distances to the nearest centre).
 *
 * Two things make it much cheaper than the textbook version on ~10^5 points:
 * - Triangle-inequality pruning. A point x whose nearest centre is c_a cannot get closer to a candidate z when
 *   |z - c_a| >= 2 |x - c_a| (then |x - z| >= |z - c_a| - |x - c_a| >= |x - c_a|), so most points are settled by a
 *   single comparison against a per-centre threshold instead of a d-dimensional distance.
 * - A candidate's potential only grows while its points are summed, so the sum stops as soon as it exceeds the best
 *   candidate's.
 *
 * It also leaves behind what Hamerly's k-means needs to start: each point's nearest centre, the exact distance to
 * it (upper bound) and a valid lower bound on the distance to the second nearest centre, which saves the first
 * full assignment pass.
 */
import { sqDist } from './distance';
import type { Rng } from '../util/random';

/** Buffers sized for n points, k centres and d features; reused across the initialisations of one fit. */
export interface SeedingState {
  /** k*d centre coordinates. */
  centers: Float64Array;
  /** Index of the nearest chosen centre of each point. */
  labels: Int32Array;
  /** Exact Euclidean distance of each point to centre labels[i]. */
  upper: Float64Array;
  /** Lower bound on the Euclidean distance of each point to every centre other than labels[i]. */
  lower: Float64Array;
  /** Squared distance to the nearest centre (scratch). */
  closest: Float64Array;
  /** Running sum of `closest`, for inverse-CDF sampling (scratch). */
  cumsum: Float64Array;
  /** Quarter of the squared distance between the candidate and each chosen centre (scratch). */
  threshold: Float64Array;
  /** Distance between the committed centre and each earlier centre (scratch). */
  centerDist: Float64Array;
}

export function createSeedingState(n: number, k: number, d: number): SeedingState {
  return {
    centers: new Float64Array(k * d),
    labels: new Int32Array(n),
    upper: new Float64Array(n),
    lower: new Float64Array(n),
    closest: new Float64Array(n),
    cumsum: new Float64Array(n),
    threshold: new Float64Array(k),
    centerDist: new Float64Array(k),
  };
}

/** Number of local trials per centre used by scikit-learn (Arthur & Vassilvitskii suggest O(log k)). */
export function localTrials(k: number): number {
  return 2 + Math.floor(Math.log(k));
}

/**
 * Chooses k centres among the rows of `x` (n x d, row-major) into `state.centers` and fills labels/upper/lower.
 * Deterministic for a given rng state.
 */
export function kmeansPlusPlus(x: Float64Array, n: number, d: number, k: number, rng: Rng, state: SeedingState): void {
  const { centers, labels, upper, lower, closest, cumsum, threshold, centerDist } = state;
  const trials = localTrials(k);

  const first = rng.int(n);
  centers.set(x.subarray(first * d, first * d + d), 0);
  for (let i = 0; i < n; i++) {
    closest[i] = sqDist(x, i, centers, 0, d);
    labels[i] = 0;
  }
  lower.fill(Infinity);

  for (let c = 1; c < k; c++) {
    // Cumulative potential for sampling; the total is taken from the cumsum itself so that r < total always
    // lands on an index (up to rounding, handled in sampleIndex).
    let acc = 0;
    for (let i = 0; i < n; i++) {
      acc += closest[i];
      cumsum[i] = acc;
    }
    const potential = acc;

    let best = -1;
    let bestPotential = Infinity;
    for (let t = 0; t < trials; t++) {
      const r = rng.next();
      const candidate = potential > 0 ? sampleIndex(cumsum, r * potential, n) : rng.int(n);
      const p = candidatePotential(x, n, d, c, candidate, centers, labels, closest, threshold, bestPotential);
      if (p < bestPotential) {
        bestPotential = p;
        best = candidate;
      }
    }
    // Every candidate was abandoned only if bestPotential stayed Infinity, which cannot happen: the first one is
    // always summed completely. Guard anyway so a NaN in the data cannot leave the centre unset.
    if (best < 0) best = rng.int(n);
    commitCenter(x, n, d, c, best, state, centerDist);
  }

  for (let i = 0; i < n; i++) upper[i] = Math.sqrt(closest[i]);
}

/** First index whose cumulative weight exceeds r: its own weight is then > 0, so a chosen centre is never re-drawn. */
function sampleIndex(cumsum: Float64Array, r: number, n: number): number {
  let lo = 0;
  let hi = n - 1;
  if (!(cumsum[hi] > r)) {
    // Rounding pushed r to the total: take the last point with positive weight.
    while (hi > 0 && cumsum[hi] === cumsum[hi - 1]) hi--;
    return hi;
  }
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cumsum[mid] > r) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Potential if `candidate` were added as centre number c, or any value >= `stopAt` once it is known to exceed it. */
function candidatePotential(
  x: Float64Array,
  n: number,
  d: number,
  c: number,
  candidate: number,
  centers: Float64Array,
  labels: Int32Array,
  closest: Float64Array,
  threshold: Float64Array,
  stopAt: number,
): number {
  for (let j = 0; j < c; j++) threshold[j] = 0.25 * sqDist(x, candidate, centers, j, d);
  let sum = 0;
  const co = candidate * d;
  // Check the early stop once per block rather than per point: the comparison is cheap but not free.
  for (let start = 0; start < n; start += 4096) {
    const end = start + 4096 < n ? start + 4096 : n;
    for (let i = start; i < end; i++) {
      const ci = closest[i];
      if (ci <= threshold[labels[i]]) {
        sum += ci;
        continue;
      }
      let s = 0;
      const xo = i * d;
      for (let t = 0; t < d; t++) {
        const diff = x[xo + t] - x[co + t];
        s += diff * diff;
      }
      sum += s < ci ? s : ci;
    }
    if (sum >= stopAt) return sum;
  }
  return sum;
}

/** Adds row `index` as centre c and updates nearest centre, squared distance and second-centre lower bound. */
function commitCenter(x: Float64Array, n: number, d: number, c: number, index: number, state: SeedingState, centerDist: Float64Array): void {
  const { centers, labels, lower, closest, threshold } = state;
  centers.set(x.subarray(index * d, index * d + d), c * d);
  for (let j = 0; j < c; j++) {
    const dd = sqDist(centers, c, centers, j, d);
    threshold[j] = 0.25 * dd;
    centerDist[j] = Math.sqrt(dd);
  }
  const co = index * d;
  for (let i = 0; i < n; i++) {
    const ci = closest[i];
    const a = labels[i];
    if (ci <= threshold[a]) {
      // Not computed: |x - new| >= |new - c_a| - |x - c_a| is still a valid lower bound for the second centre.
      const lb = centerDist[a] - Math.sqrt(ci);
      if (lb < lower[i]) lower[i] = lb;
      continue;
    }
    let s = 0;
    const xo = i * d;
    for (let t = 0; t < d; t++) {
      const diff = x[xo + t] - x[co + t];
      s += diff * diff;
    }
    if (s < ci) {
      // The old nearest centre becomes the second nearest: it was closer than every other one.
      lower[i] = Math.sqrt(ci);
      closest[i] = s;
      labels[i] = c;
    } else {
      const e = Math.sqrt(s);
      if (e < lower[i]) lower[i] = e;
    }
  }
}
