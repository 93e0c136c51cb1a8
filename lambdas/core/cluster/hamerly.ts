/**
 * Lloyd's k-means iterations accelerated with Hamerly's bounds (G. Hamerly, "Making k-means even faster", SDM 2010).
 *
 * Each point keeps an upper bound u on the distance to its own centre and one lower bound l on the distance to every
 * other centre. When the centres move, u grows by the move of its centre and l shrinks by the largest move of any
 * other centre, so the bounds stay valid without computing a distance. A point can only change cluster if
 * u > max(l, s(a)), where s(a) is half the distance from its centre to the nearest other centre; on low-dimensional,
 * reasonably clustered data (9 standardised features, k <= 10) that rules out nearly all distance computations
 * after the first few iterations. One lower bound rather than Elkan's k keeps the per-point state to 2 doubles and
 * suits small k and d.
 *
 * Cluster sums are updated incrementally when a point moves, so an iteration costs O(n) bound checks plus the work
 * on the few points that are not ruled out, instead of O(n d) for recomputing the means.
 *
 * The stopping rules are scikit-learn's: stop when no label changed ("strict" convergence) or when the sum of
 * squared centre shifts is at most the absolute tolerance; after a tolerance stop the labels are reassigned once to
 * the final centres so that they are consistent with them.
 */
import { sqDist } from './distance';

/** Buffers for the iterations; `centers`, `labels`, `upper` and `lower` come from the seeding. */
export interface HamerlyState {
  centers: Float64Array;
  labels: Int32Array;
  upper: Float64Array;
  lower: Float64Array;
  sums: Float64Array;
  counts: Float64Array;
  oldCenters: Float64Array;
  /** Distance moved by each centre in the last update. */
  shift: Float64Array;
  /** Half the distance from each centre to its nearest other centre. */
  halfGap: Float64Array;
  /** Exact squared distance of each point to its centre, only filled when an empty cluster must be re-seeded. */
  scratch: Float64Array;
}

export function createHamerlyState(n: number, k: number, d: number, seeded: Pick<HamerlyState, 'centers' | 'labels' | 'upper' | 'lower'>): HamerlyState {
  return {
    ...seeded,
    sums: new Float64Array(k * d),
    counts: new Float64Array(k),
    oldCenters: new Float64Array(k * d),
    shift: new Float64Array(k),
    halfGap: new Float64Array(k),
    scratch: new Float64Array(n),
  };
}

export interface LloydOutcome {
  /** Number of centre updates (scikit-learn's n_iter_). */
  iterations: number;
  /** True if stopped by the tolerance or by unchanged labels, false if maxIter was reached. */
  converged: boolean;
}

/**
 * Runs the iterations from the seeded state: on entry labels[i] is the nearest centre of point i, upper[i] the exact
 * distance to it and lower[i] a lower bound on the distance to the others. On exit centers/labels hold the result.
 */
export function lloydHamerly(x: Float64Array, n: number, d: number, k: number, maxIter: number, tolAbs: number, st: HamerlyState): LloydOutcome {
  const { centers, labels, sums, counts, oldCenters, shift } = st;
  sums.fill(0);
  counts.fill(0);
  for (let i = 0; i < n; i++) {
    const a = labels[i];
    counts[a] += 1;
    const so = a * d;
    const xo = i * d;
    for (let t = 0; t < d; t++) sums[so + t] += x[xo + t];
  }

  let iterations = 0;
  let converged = false;
  let strict = false;
  for (;;) {
    iterations++;
    oldCenters.set(centers);
    reseedEmptyClusters(x, n, d, k, st);
    let shiftTotal = 0;
    for (let c = 0; c < k; c++) {
      const so = c * d;
      const inv = 1 / counts[c];
      let moved = 0;
      for (let t = 0; t < d; t++) {
        const v = sums[so + t] * inv;
        const diff = v - oldCenters[so + t];
        moved += diff * diff;
        centers[so + t] = v;
      }
      shift[c] = Math.sqrt(moved);
      shiftTotal += moved;
    }
    if (shiftTotal <= tolAbs) {
      converged = true;
      break;
    }
    if (iterations >= maxIter) break;
    const changed = assign(x, n, d, k, st, true);
    shift.fill(0);
    if (changed === 0) {
      converged = true;
      strict = true;
      break;
    }
  }
  // The centres moved since the labels were computed: one more assignment, without moving the centres.
  if (!strict) assign(x, n, d, k, st, false);
  return { iterations, converged };
}

/**
 * One assignment pass with the bounds, applying the last centre shifts to them first.
 * With `updateSums` the cluster sums follow the points that change cluster. Returns the number of changes.
 */
function assign(x: Float64Array, n: number, d: number, k: number, st: HamerlyState, updateSums: boolean): number {
  const { centers, labels, upper, lower, sums, counts, shift, halfGap } = st;

  // Largest and second largest shift: a point's lower bound shrinks by the largest move among the *other* centres.
  let r1 = 0;
  let p1 = 0;
  let p2 = 0;
  for (let c = 0; c < k; c++) {
    const p = shift[c];
    if (p > p1) {
      p2 = p1;
      p1 = p;
      r1 = c;
    } else if (p > p2) p2 = p;
  }
  for (let c = 0; c < k; c++) {
    let m = Infinity;
    for (let c2 = 0; c2 < k; c2++) {
      if (c2 === c) continue;
      const dd = sqDist(centers, c, centers, c2, d);
      if (dd < m) m = dd;
    }
    halfGap[c] = 0.5 * Math.sqrt(m);
  }

  let changed = 0;
  for (let i = 0; i < n; i++) {
    const a = labels[i];
    let u = upper[i] + shift[a];
    const l = lower[i] - (a === r1 ? p2 : p1);
    const g = halfGap[a];
    const bound = g > l ? g : l;
    if (u <= bound) {
      upper[i] = u;
      lower[i] = l;
      continue;
    }
    // Tighten the upper bound to the exact distance before paying for all k distances.
    const xo = i * d;
    let da = 0;
    const ao = a * d;
    for (let t = 0; t < d; t++) {
      const diff = x[xo + t] - centers[ao + t];
      da += diff * diff;
    }
    u = Math.sqrt(da);
    if (u <= bound) {
      upper[i] = u;
      lower[i] = l;
      continue;
    }
    // Full scan; ties go to the lowest index, as an argmin would.
    let b = -1;
    let best = Infinity;
    let second = Infinity;
    for (let c = 0; c < k; c++) {
      let s: number;
      if (c === a) s = da;
      else {
        s = 0;
        const co = c * d;
        for (let t = 0; t < d; t++) {
          const diff = x[xo + t] - centers[co + t];
          s += diff * diff;
        }
      }
      if (s < best) {
        second = best;
        best = s;
        b = c;
      } else if (s < second) second = s;
    }
    upper[i] = Math.sqrt(best);
    lower[i] = Math.sqrt(second);
    if (b !== a) {
      labels[i] = b;
      changed++;
      if (updateSums) {
        counts[a] -= 1;
        counts[b] += 1;
        const bo = b * d;
        for (let t = 0; t < d; t++) {
          const v = x[xo + t];
          sums[ao + t] -= v;
          sums[bo + t] += v;
        }
      }
    }
  }
  return changed;
}

/**
 * Gives every empty cluster the point farthest from its (current) centre, among points whose cluster keeps at least
 * one other point, as scikit-learn relocates empty clusters. Exact distances are computed only when needed (rare).
 */
function reseedEmptyClusters(x: Float64Array, n: number, d: number, k: number, st: HamerlyState): void {
  const { centers, labels, upper, lower, sums, counts, scratch } = st;
  let empty = 0;
  for (let c = 0; c < k; c++) if (counts[c] === 0) empty++;
  if (empty === 0) return;
  for (let i = 0; i < n; i++) scratch[i] = sqDist(x, i, centers, labels[i], d);
  for (let e = 0; e < k; e++) {
    if (counts[e] !== 0) continue;
    let far = -1;
    let farDist = -1;
    for (let i = 0; i < n; i++) {
      if (scratch[i] > farDist && counts[labels[i]] > 1) {
        farDist = scratch[i];
        far = i;
      }
    }
    if (far < 0) continue; // k > n: cannot happen after input validation.
    const a = labels[far];
    const xo = far * d;
    for (let t = 0; t < d; t++) {
      const v = x[xo + t];
      sums[a * d + t] -= v;
      sums[e * d + t] = v;
    }
    counts[a] -= 1;
    counts[e] = 1;
    labels[far] = e;
    scratch[far] = -1;
    // Its bounds no longer refer to its centre: force an exact check at the next assignment.
    upper[far] = Infinity;
    lower[far] = 0;
  }
}
