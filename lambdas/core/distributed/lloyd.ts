/**
 * Lloyd's k-means iteration split into a map step per partition and a reduce step: the distributed form of
 * exactly the iterations cluster/kmeans.ts runs in memory.
 *
 *   map    (per partition, given centres C_t): nearest centre of each row, and per cluster the sum of its rows,
 *          its count and its inertia, plus the few rows farthest from their centre (for empty clusters)
 *   reduce (once): add the partials; C_{t+1} = sums / counts; shift = sum of squared centre moves
 *   stop   when shift <= tol * mean column variance (scikit-learn's rule, as hamerly.ts), or after maxIter
 *
 * Why Lloyd and not mini-batch k-means: Lloyd's step is exactly decomposable (sums and counts add), so the
 * distributed fit is the single-process fit, bit for bit up to summation order: same centres, same labels,
 * same convergence (tested to 1e-9 against kmeansSingle). The model is reproducible whatever the number of
 * partitions, and the small/large paths can be compared directly. Mini-batch k-means reads less per step but
 * converges to a different (slightly worse) solution that depends on the batch order; with good seeding
 * (k-means++ on a sample, see the fit step) Lloyd needs few full passes, and a pass over 10M customers x 9
 * features is ~700 MB of float64 spread over the partitions, which Lambda reads in seconds.
 *
 * A partial is O(k d) numbers whatever the partition size (k = 10, d = 9: ~2 KB as JSON).
 *
 * Empty clusters are re-seeded as hamerly.ts does: with the point farthest from its centre among clusters that
 * keep another point. Each partition ships its `2k` farthest rows, enough for any number of empty clusters
 * (at most k - 1) even when some candidates are skipped.
 */
import type { Matrix } from '../util/matrix';
import { assignToCentroids } from '../cluster/kmeans';
import { emptyMoments, mergeMoments, pushValue, type Moments } from './moments';

export interface FarPoint {
  dist: number;
  label: number;
  point: number[];
}

export interface KMeansPartial {
  k: number;
  d: number;
  rows: number;
  /** k * d row sums, row-major by cluster. */
  sums: number[];
  counts: number[];
  /** Sum of squared distances to the assigned centre, per cluster. */
  inertia: number[];
  /** The rows farthest from their centre, farthest first. */
  far: FarPoint[];
  /**
   * Moments of every column of the rows (first pass only): the reducer's exact mean column variance, scikit-learn's
   * scale of the tolerance (cluster/distance.ts meanColumnVariance), which a bounded, clipped space cannot derive
   * from the raw features' moments.
   */
  columns?: Moments[];
}

/** Nearest centre of every row (squared Euclidean, lowest index on ties): the single-process assignment itself. */
export const nearest = assignToCentroids;

/** The map step on one partition (with the columns' moments when asked: the first pass). */
export function partialStep(X: Matrix, centroids: ArrayLike<number>, k: number, opts: { columns?: boolean } = {}): KMeansPartial {
  const { rows: n, cols: d, data: x } = X;
  const dist = new Float64Array(n);
  const labels = nearest(X, centroids, k, new Int32Array(n), dist);
  const sums = new Float64Array(k * d);
  const counts = new Array<number>(k).fill(0);
  const inertia = new Array<number>(k).fill(0);
  for (let i = 0; i < n; i++) {
    const c = labels[i];
    counts[c]++;
    inertia[c] += dist[i];
    const xo = i * d;
    const so = c * d;
    for (let t = 0; t < d; t++) sums[so + t] += x[xo + t];
  }
  const out: KMeansPartial = { k, d, rows: n, sums: Array.from(sums), counts, inertia, far: farthest(X, labels, dist, 2 * k) };
  if (opts.columns) {
    out.columns = Array.from({ length: d }, emptyMoments);
    for (let i = 0; i < n; i++) for (let t = 0; t < d; t++) pushValue(out.columns[t], x[i * d + t]);
  }
  return out;
}

/** Mean over the columns of their population variance, from merged column moments. */
export function meanColumnVarianceOf(columns: readonly Moments[]): number {
  if (!columns.length) return 0;
  let total = 0;
  for (const m of columns) total += m.n ? m.m2 / m.n : 0;
  return total / columns.length;
}

function farthest(X: Matrix, labels: Int32Array, dist: Float64Array, m: number): FarPoint[] {
  const top: number[] = [];
  for (let i = 0; i < dist.length; i++) {
    if (top.length === m && dist[i] <= dist[top[m - 1]]) continue;
    let p = top.length < m ? top.length : m - 1;
    if (top.length < m) top.push(i);
    while (p > 0 && dist[top[p - 1]] < dist[i]) {
      top[p] = top[p - 1];
      p--;
    }
    top[p] = i;
  }
  const d = X.cols;
  return top.map((i) => ({ dist: dist[i], label: labels[i], point: Array.from(X.data.subarray(i * d, (i + 1) * d)) }));
}

/** Adds partials (any grouping: a tree of reducers gives the same result up to rounding). */
export function mergePartials(parts: readonly KMeansPartial[]): KMeansPartial {
  if (!parts.length) throw new Error('no k-means partials to merge');
  const { k, d } = parts[0];
  const sums = new Float64Array(k * d);
  const counts = new Array<number>(k).fill(0);
  const inertia = new Array<number>(k).fill(0);
  let rows = 0;
  let far: FarPoint[] = [];
  let columns: Moments[] | undefined = parts.every((p) => p.columns) ? Array.from({ length: d }, emptyMoments) : undefined;
  parts.forEach((p, i) => {
    if (p.k !== k || p.d !== d) throw new Error(`partial ${i}: k=${p.k}, d=${p.d}, expected k=${k}, d=${d}`);
    rows += p.rows;
    for (let j = 0; j < k * d; j++) sums[j] += p.sums[j];
    for (let c = 0; c < k; c++) {
      counts[c] += p.counts[c];
      inertia[c] += p.inertia[c];
    }
    far = far.concat(p.far);
    if (columns) columns = columns.map((m, t) => mergeMoments(m, p.columns![t]));
  });
  far.sort((a, b) => b.dist - a.dist);
  return { k, d, rows, sums: Array.from(sums), counts, inertia, far: far.slice(0, 2 * k), ...(columns ? { columns } : {}) };
}

export interface LloydUpdate {
  centroids: Float64Array;
  /** Sum over the centres of the squared move. */
  shift: number;
  /** Sum of squared distances of the rows to the centres the partials were computed with. */
  inertia: number;
  counts: number[];
  /** Clusters that were empty and got a far point. */
  reseeded: number[];
}

/** The reduce step: new centres from the merged partial (re-seeding empty clusters), and how far they moved. */
export function lloydUpdate(merged: KMeansPartial, previous: ArrayLike<number>): LloydUpdate {
  const { k, d } = merged;
  const sums = Float64Array.from(merged.sums);
  const counts = merged.counts.slice();
  const reseeded: number[] = [];
  const candidates = merged.far.slice();
  for (let e = 0; e < k; e++) {
    if (counts[e] !== 0) continue;
    const at = candidates.findIndex((f) => counts[f.label] > 1);
    if (at < 0) throw new Error(`cluster ${e} is empty and no far point is left to re-seed it`);
    const [f] = candidates.splice(at, 1);
    for (let t = 0; t < d; t++) {
      sums[f.label * d + t] -= f.point[t];
      sums[e * d + t] = f.point[t];
    }
    counts[f.label]--;
    counts[e] = 1;
    reseeded.push(e);
  }
  const centroids = new Float64Array(k * d);
  let shift = 0;
  for (let c = 0; c < k; c++) {
    const inv = 1 / counts[c];
    for (let t = 0; t < d; t++) {
      const v = sums[c * d + t] * inv;
      const diff = v - previous[c * d + t];
      shift += diff * diff;
      centroids[c * d + t] = v;
    }
  }
  return { centroids, shift, inertia: merged.inertia.reduce((a, b) => a + b, 0), counts, reseeded };
}

export interface LloydOptions {
  maxIter: number;
  /** Absolute tolerance on the shift: tol * mean column variance. */
  tolAbs: number;
}

export interface DistributedLloydResult {
  centroids: Float64Array;
  iterations: number;
  converged: boolean;
}

/**
 * The whole loop over in-memory partitions (tests, local runs). The state machine runs the same three calls
 * with the partials going through S3 (lambdas/handlers/distributed).
 */
export function distributedLloyd(partitions: readonly Matrix[], start: ArrayLike<number>, k: number, opts: LloydOptions): DistributedLloydResult {
  let centroids: Float64Array = Float64Array.from(start);
  for (let it = 1; it <= opts.maxIter; it++) {
    const update = lloydUpdate(mergePartials(partitions.map((X) => partialStep(X, centroids, k))), centroids);
    centroids = update.centroids;
    if (update.shift <= opts.tolAbs) return { centroids, iterations: it, converged: true };
  }
  return { centroids, iterations: opts.maxIter, converged: false };
}
