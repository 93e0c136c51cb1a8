/**
 * Lloyd's k-means iterations accelerated with Hamerly's bounds (G. Hamerly, "Making k-means even faster", SDM 2010).
 *
 * Each point keeps an upper bound u on the distance to its own centre and one lower bound l on the distance to every
 * other centre. When the centres move, u grows by the move of its centre and l shrinks by the largest move of the
 * other centres, so the bounds stay valid without computing a distance. A point can only change cluster if
 * u > max(l, s(a)), where s(a) is half the distance from its centre to the nearest other centre. One lower bound
 * rather than Elkan's k keeps the per-point state to 2 doubles, which suits small k and d (9 features, k <= 10).
 * On well separated data the bounds rule out nearly every point after a few iterations; on the customer features
 * (no clear clusters, long tails) the first iterations still check a third to a half of the points, so the checks
 * themselves are made cheap:
 * - A point that fails the bound test is first compared with its own centre only (tightening u), and only if that
 *   is not enough with the centres within 2u of its own, nearest first (the others cannot be closer: the
 *   "exponion" idea of Newling & Fleuret 2016, with per-centre neighbour lists sorted once per iteration).
 * - Lazy bound updates. Bounds are stored relative to the cumulative drift of the point's cluster (the sum of its
 *   centre's moves, and the sum of the largest moves of the other centres), so a centre update costs O(k) and a
 *   point is only written when it is actually checked.
 * - Leaf skipping. The rows are in k-d leaf order (kdTree.ts); a leaf whose points all belong to one cluster and
 *   whose largest upper / smallest lower bound pass the test is skipped without reading its points.
 * - Cluster sums are updated incrementally when a point moves, instead of O(n d) to recompute the means.
 *
 * The stopping rules are scikit-learn's: stop when no label changed ("strict" convergence) or when the sum of
 * squared centre shifts is at most the absolute tolerance; after a tolerance stop the labels are reassigned once to
 * the final centres so that they are consistent with them.
 */
import { sqDist } from './distance';
import type { KdTree } from './kdTree';
import type { AssignKernel } from './kernels';

/** Buffers for the iterations; `centers`, `labels`, `upper` and `lower` come from the seeding. */
export interface HamerlyState {
  centers: Float64Array;
  labels: Int32Array;
  /** Upper bound on the distance to the own centre, minus the drift of its centre. */
  upper: Float64Array;
  /** Lower bound on the distance to the other centres, plus the lower drift of its centre. */
  lower: Float64Array;
  sums: Float64Array;
  counts: Float64Array;
  oldCenters: Float64Array;
  /** Distance moved by each centre in the last update. */
  shift: Float64Array;
  /**
   * Per centre c, packed so that a bound check reads one array: [3c] its cumulative move (drift), [3c + 1] the
   * cumulative largest move of the other centres (lower drift), [3c + 2] half the distance to its nearest other
   * centre (half gap).
   */
  clusterBounds: Float64Array;
  /** Row c: the other k - 1 centres by increasing distance from centre c, and those distances. */
  neighbours: Int32Array;
  neighbourDist: Float64Array;
  /** k x k centre distances (scratch). */
  centerDist: Float64Array;
  /** Per leaf: max stored upper, min stored lower, common label (-1 if mixed or unknown). */
  leafUpper: Float64Array;
  leafLower: Float64Array;
  leafLabel: Int32Array;
  /** Exact squared distance of each point to its centre, only filled when an empty cluster must be re-seeded. */
  scratch: Float64Array;
  out: Float64Array;
}

export function createHamerlyState(tree: KdTree, k: number, seeded: Pick<HamerlyState, 'centers' | 'labels' | 'upper' | 'lower'>): HamerlyState {
  const { n, d } = tree;
  const leaves = tree.leaves.length;
  return {
    ...seeded,
    sums: new Float64Array(k * d),
    counts: new Float64Array(k),
    oldCenters: new Float64Array(k * d),
    shift: new Float64Array(k),
    clusterBounds: new Float64Array(3 * k),
    neighbours: new Int32Array(k * (k - 1)),
    neighbourDist: new Float64Array(k * (k - 1)),
    centerDist: new Float64Array(k * k),
    leafUpper: new Float64Array(leaves),
    leafLower: new Float64Array(leaves),
    leafLabel: new Int32Array(leaves),
    scratch: new Float64Array(n),
    out: new Float64Array(3),
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
export function lloydHamerly(tree: KdTree, k: number, maxIter: number, tolAbs: number, st: HamerlyState, kernel: AssignKernel): LloydOutcome {
  const { x, n, d } = tree;
  const { centers, labels, sums, counts, oldCenters, shift, clusterBounds } = st;
  sums.fill(0);
  counts.fill(0);
  for (let i = 0; i < n; i++) {
    const a = labels[i];
    counts[a] += 1;
    const so = a * d;
    const xo = i * d;
    for (let t = 0; t < d; t++) sums[so + t] += x[xo + t];
  }
  clusterBounds.fill(0);
  st.leafLabel.fill(-1); // no leaf summary yet: the first pass visits every leaf

  let iterations = 0;
  let converged = false;
  let strict = false;
  for (;;) {
    iterations++;
    oldCenters.set(centers);
    reseedEmptyClusters(tree, k, st);
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
    applyDrift(k, st);
    if (shiftTotal <= tolAbs) {
      converged = true;
      break;
    }
    if (iterations >= maxIter) break;
    const changed = assign(tree, k, st, kernel, true);
    if (changed === 0) {
      converged = true;
      strict = true;
      break;
    }
  }
  // The centres moved since the labels were computed: one more assignment, without moving the centres.
  if (!strict) assign(tree, k, st, kernel, false);
  return { iterations, converged };
}

/** Adds the last moves to the cumulative drifts: the own centre's move, and the largest move among the others. */
function applyDrift(k: number, st: HamerlyState): void {
  const { shift, clusterBounds } = st;
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
    clusterBounds[3 * c] += shift[c];
    clusterBounds[3 * c + 1] += c === r1 ? p2 : p1;
  }
}

/** One assignment pass over the leaves that the leaf bounds do not rule out. Returns the number of label changes. */
function assign(tree: KdTree, k: number, st: HamerlyState, kernel: AssignKernel, updateSums: boolean): number {
  const { d, leaves, start, end } = tree;
  const { centers, clusterBounds, leafUpper, leafLower, leafLabel, out, neighbours, neighbourDist, centerDist } = st;
  sortNeighbours(centers, k, d, centerDist, neighbours, neighbourDist);
  for (let c = 0; c < k; c++) clusterBounds[3 * c + 2] = k > 1 ? 0.5 * neighbourDist[c * (k - 1)] : Infinity;
  let changed = 0;
  for (let j = 0; j < leaves.length; j++) {
    const a = leafLabel[j];
    if (a >= 0) {
      const u = leafUpper[j] + clusterBounds[3 * a];
      const l = leafLower[j] - clusterBounds[3 * a + 1];
      const g = clusterBounds[3 * a + 2];
      if (u <= (g > l ? g : l)) continue;
    }
    const v = leaves[j];
    changed += kernel(start[v], end[v], updateSums);
    leafUpper[j] = out[0];
    leafLower[j] = out[1];
    leafLabel[j] = out[2];
  }
  return changed;
}

/** For every centre, the other centres sorted by distance (ties by index), by insertion sort (k is small). */
function sortNeighbours(centers: Float64Array, k: number, d: number, dist: Float64Array, neighbours: Int32Array, neighbourDist: Float64Array): void {
  for (let a = 0; a < k; a++) {
    dist[a * k + a] = 0;
    for (let b = a + 1; b < k; b++) dist[a * k + b] = dist[b * k + a] = Math.sqrt(sqDist(centers, a, centers, b, d));
  }
  const m = k - 1;
  for (let a = 0; a < k; a++) {
    const o = a * m;
    let len = 0;
    for (let b = 0; b < k; b++) {
      if (b === a) continue;
      const v = dist[a * k + b];
      let p = len++;
      while (p > 0 && neighbourDist[o + p - 1] > v) {
        neighbourDist[o + p] = neighbourDist[o + p - 1];
        neighbours[o + p] = neighbours[o + p - 1];
        p--;
      }
      neighbourDist[o + p] = v;
      neighbours[o + p] = b;
    }
  }
}

/**
 * Gives every empty cluster the point farthest from its (current) centre, among points whose cluster keeps at least
 * one other point, as scikit-learn relocates empty clusters. Exact distances are computed only when needed (rare).
 */
function reseedEmptyClusters(tree: KdTree, k: number, st: HamerlyState): void {
  const { x, n, d } = tree;
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
    if (far < 0) continue; // only if k > n, which input validation rules out
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
    // Its bounds no longer refer to its centre: force an exact check at the next assignment, leaf included.
    upper[far] = Infinity;
    lower[far] = -Infinity;
    st.leafLabel[leafOf(tree, far)] = -1;
  }
}

/** Index (in tree.leaves) of the leaf holding row i. */
function leafOf(tree: KdTree, i: number): number {
  const { leaves, start } = tree;
  let lo = 0;
  let hi = leaves.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (start[leaves[mid]] <= i) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
