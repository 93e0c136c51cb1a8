/**
 * Internal validity metrics of a partition, with scikit-learn's definitions so that figures compare:
 * inertia, silhouette (exact, optionally on a seeded sample), Davies-Bouldin and Calinski-Harabasz.
 *
 * Like scikit-learn, silhouette, Davies-Bouldin and Calinski-Harabasz count the clusters actually present and
 * throw unless there are between 2 and n - 1 of them (the scores are undefined otherwise).
 */
import type { Matrix } from '../util/matrix';
import { createRng, sampleIndices } from '../util/random';
import { compile, shouldGenerate, sumOfSquares, unroll } from './codegen';

/** Cluster means (k x cols) and sizes from labels; empty clusters have size 0 and mean 0. */
export function clusterMeans(X: Matrix, labels: ArrayLike<number>, k: number): { means: Float64Array; sizes: Int32Array } {
  const { rows, cols, data } = X;
  checkLabels(labels, rows, k);
  const means = new Float64Array(k * cols);
  const sizes = new Int32Array(k);
  for (let i = 0; i < rows; i++) {
    const l = labels[i];
    sizes[l]++;
    for (let j = 0; j < cols; j++) means[l * cols + j] += data[i * cols + j];
  }
  for (let l = 0; l < k; l++) if (sizes[l]) for (let j = 0; j < cols; j++) means[l * cols + j] /= sizes[l];
  return { means, sizes };
}

function checkLabels(labels: ArrayLike<number>, n: number, k: number): void {
  if (labels.length !== n) throw new Error(`${labels.length} labels for ${n} rows`);
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    if (!(Number.isInteger(l) && l >= 0 && l < k)) throw new Error(`label ${l} at row ${i} is not an integer in [0, ${k})`);
  }
}

/** scikit-learn's check_number_of_labels. */
function checkClusterCount(present: number, n: number): void {
  if (present < 2 || present > n - 1) throw new RangeError(`number of clusters is ${present}; valid values are 2 to n - 1 = ${n - 1} (inclusive)`);
}

/** Sum of squared distances to the cluster means, or to `centroids` (k x cols) when given. */
export function inertia(X: Matrix, labels: ArrayLike<number>, k: number, centroids?: Float64Array): number {
  const { rows, cols, data } = X;
  const c = centroids ?? clusterMeans(X, labels, k).means;
  if (centroids) {
    checkLabels(labels, rows, k);
    if (centroids.length !== k * cols) throw new Error(`centroids have ${centroids.length} values, expected ${k}x${cols}`);
  }
  let s = 0;
  for (let i = 0; i < rows; i++) {
    const co = labels[i] * cols;
    for (let j = 0; j < cols; j++) {
      const e = data[i * cols + j] - c[co + j];
      s += e * e;
    }
  }
  return s;
}

// ---------------------------------------------------------------------------------------------------------------
// Silhouette
// ---------------------------------------------------------------------------------------------------------------

/**
 * One tile of the pairwise distance sums over the rows of `x`: for rows i in [i0, i1) and j in [j0, j1) (j > i only
 * when `diagonal`), rowAcc[i - i0] += sum_j |x_i - x_j| and colAcc[j - j0] += sum_i |x_i - x_j|.
 */
type TileKernel = (i0: number, i1: number, j0: number, j1: number, diagonal: boolean) => void;

function genericTile(d: number, x: Float64Array, rowAcc: Float64Array, colAcc: Float64Array): TileKernel {
  return (i0, i1, j0, j1, diagonal) => {
    for (let i = i0; i < i1; i++) {
      const xo = i * d;
      let acc = 0;
      for (let j = diagonal ? i + 1 : j0; j < j1; j++) {
        const yo = j * d;
        let s = 0;
        for (let t = 0; t < d; t++) {
          const e = x[xo + t] - x[yo + t];
          s += e * e;
        }
        const dist = Math.sqrt(s);
        acc += dist;
        colAcc[j - j0] += dist;
      }
      rowAcc[i - i0] += acc;
    }
  };
}

/**
 * Same sums, generated for d features: four rows i at a time share every load of a row j (the loads, with their
 * bounds checks, cost more than the arithmetic), their coordinates held in locals, and the arrays bound in a fresh
 * closure (see kernels.ts). Rows left over and the small triangles of diagonal tiles go one at a time. The sums
 * are accumulated in a different order than the generic loop, so results agree to rounding, not bit for bit.
 */
function generatedTile(d: number, x: Float64Array, rowAcc: Float64Array, colAcc: Float64Array): TileKernel {
  const rowVars = (r: number) => unroll(d, (t) => `const x${r}_${t} = x[(o${r} + ${t}) | 0];`);
  const factory = compile<(x: Float64Array, rowAcc: Float64Array, colAcc: Float64Array) => TileKernel>(
    ['x', 'rowAcc', 'colAcc'],
    `
    function one(i, jStart, j1, j0) {
      const o0 = i * ${d};
      ${rowVars(0)}
      let acc = 0;
      for (let j = jStart, yo = jStart * ${d}; j < j1; j++, yo = (yo + ${d}) | 0) {
        ${unroll(d, (t) => `const e${t} = x0_${t} - x[(yo + ${t}) | 0];`)}
        const dist = Math.sqrt(${sumOfSquares(d)});
        acc += dist;
        colAcc[(j - j0) | 0] += dist;
      }
      return acc;
    }
    return function tile(i0, i1, j0, j1, diagonal) {
      let i = i0;
      for (; i + 4 <= i1; i += 4) {
        const o0 = i * ${d}, o1 = (o0 + ${d}) | 0, o2 = (o1 + ${d}) | 0, o3 = (o2 + ${d}) | 0;
        ${rowVars(0)}
        ${rowVars(1)}
        ${rowVars(2)}
        ${rowVars(3)}
        let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        const jStart = diagonal ? i + 4 : j0;
        for (let j = jStart, yo = jStart * ${d}; j < j1; j++, yo = (yo + ${d}) | 0) {
          ${unroll(d, (t) => `const y${t} = x[(yo + ${t}) | 0];`)}
          let s0 = 0, s1 = 0, s2 = 0, s3 = 0, e = 0;
          ${unroll(d, (t) => `e = x0_${t} - y${t}; s0 += e * e; e = x1_${t} - y${t}; s1 += e * e; e = x2_${t} - y${t}; s2 += e * e; e = x3_${t} - y${t}; s3 += e * e;`)}
          const d0 = Math.sqrt(s0), d1 = Math.sqrt(s1), d2 = Math.sqrt(s2), d3 = Math.sqrt(s3);
          a0 += d0;
          a1 += d1;
          a2 += d2;
          a3 += d3;
          colAcc[(j - j0) | 0] += d0 + d1 + d2 + d3;
        }
        if (diagonal) {
          // Pairs inside the group of four (j = i + 1 .. i + 3), one row at a time.
          a0 += one(i, i + 1, i + 4, j0);
          a1 += one(i + 1, i + 2, i + 4, j0);
          a2 += one(i + 2, i + 3, i + 4, j0);
        }
        rowAcc[(i - i0) | 0] += a0;
        rowAcc[(i + 1 - i0) | 0] += a1;
        rowAcc[(i + 2 - i0) | 0] += a2;
        rowAcc[(i + 3 - i0) | 0] += a3;
      }
      for (; i < i1; i++) rowAcc[(i - i0) | 0] += one(i, diagonal ? i + 1 : j0, j1, j0);
    };`,
  );
  return factory(x, rowAcc, colAcc);
}

function tileKernel(d: number, x: Float64Array, rowAcc: Float64Array, colAcc: Float64Array): TileKernel {
  if (shouldGenerate(d)) {
    try {
      return generatedTile(d, x, rowAcc, colAcc);
    } catch {
      // code generation from strings disabled: fall through
    }
  }
  return genericTile(d, x, rowAcc, colAcc);
}

/** Rows per tile: two tiles of 9 features (2 x 256 x 72 bytes) plus accumulators stay in L1/L2. */
const TILE = 256;

export interface SilhouetteOptions {
  /** Number of rows to sample (seeded, without replacement); undefined, Infinity or >= n: all rows. */
  sampleSize?: number;
  seed?: number;
}

/**
 * Mean silhouette coefficient, exact, as scikit-learn's silhouette_score: for each point, a = mean distance to the
 * other points of its cluster, b = smallest mean distance to the points of another cluster, s = (b - a) / max(a, b),
 * and s = 0 for a point alone in its cluster. With `sampleSize` < n, the exact silhouette of a seeded sample of rows,
 * with distances among the sample only (silhouette_score(sample_size=...)).
 *
 * Cost: m^2 / 2 distances for m rows (each pair once), in tiles of rows sorted by cluster so that every tile adds
 * into one cluster's sums; memory O(m k). 93,000 rows take about 4.3e9 distances.
 */
export function silhouette(X: Matrix, labels: ArrayLike<number>, k: number, opts: SilhouetteOptions = {}): number {
  return silhouetteStats(X, labels, k, opts).mean;
}

export interface SilhouetteStats {
  /** Mean silhouette coefficient (what silhouette() returns). */
  mean: number;
  /**
   * Standard error of that mean over the sampled points (standard deviation of the per-point coefficients / sqrt(m)):
   * the sampling spread a difference between two values of k has to exceed before it means anything.
   */
  standardError: number;
  /** Points the mean is over. */
  points: number;
}

/** The silhouette with the sampling spread of its mean (same computation as silhouette()). */
export function silhouetteStats(X: Matrix, labels: ArrayLike<number>, k: number, opts: SilhouetteOptions = {}): SilhouetteStats {
  const { rows: n, cols: d } = X;
  checkLabels(labels, n, k);
  const size = opts.sampleSize;
  if (size !== undefined && !(size >= 1)) throw new Error(`sampleSize must be >= 1, got ${size}`);
  const idx = size !== undefined && size < n ? sampleIndices(n, Math.floor(size), createRng(opts.seed ?? 0)) : null;
  const m = idx ? idx.length : n;

  // Sample rows sorted by cluster (counting sort, stable): cluster c occupies rows start[c] .. start[c+1]-1.
  const counts = new Int32Array(k);
  for (let r = 0; r < m; r++) counts[labels[idx ? idx[r] : r]]++;
  let present = 0;
  for (let c = 0; c < k; c++) if (counts[c] > 0) present++;
  checkClusterCount(present, m);
  const start = new Int32Array(k + 1);
  for (let c = 0; c < k; c++) start[c + 1] = start[c] + counts[c];
  const fill = start.slice(0, k);
  const x = new Float64Array(m * d);
  for (let r = 0; r < m; r++) {
    const i = idx ? idx[r] : r;
    const pos = fill[labels[i]]++;
    x.set(X.data.subarray(i * d, i * d + d), pos * d);
  }

  // sums[p * k + c] = sum of distances from sorted row p to the rows of cluster c.
  const sums = new Float64Array(m * k);
  const rowAcc = new Float64Array(TILE);
  const colAcc = new Float64Array(TILE);
  const tile = tileKernel(d, x, rowAcc, colAcc);
  for (let ca = 0; ca < k; ca++) {
    for (let cb = ca; cb < k; cb++) {
      for (let i0 = start[ca]; i0 < start[ca + 1]; i0 += TILE) {
        const i1 = Math.min(i0 + TILE, start[ca + 1]);
        // Within one cluster only tiles on or above the diagonal: each pair once.
        for (let j0 = ca === cb ? i0 : start[cb]; j0 < start[cb + 1]; j0 += TILE) {
          const j1 = Math.min(j0 + TILE, start[cb + 1]);
          rowAcc.fill(0);
          colAcc.fill(0);
          tile(i0, i1, j0, j1, ca === cb && i0 === j0);
          for (let i = i0; i < i1; i++) sums[i * k + cb] += rowAcc[i - i0];
          for (let j = j0; j < j1; j++) sums[j * k + ca] += colAcc[j - j0];
        }
      }
    }
  }

  let total = 0;
  let totalSq = 0;
  for (let c = 0; c < k; c++) {
    const own = counts[c];
    if (own <= 1) continue; // a point alone in its cluster scores 0
    for (let p = start[c]; p < start[c + 1]; p++) {
      const a = sums[p * k + c] / (own - 1);
      let b = Infinity;
      for (let o = 0; o < k; o++) {
        if (o === c || counts[o] === 0) continue;
        const mean = sums[p * k + o] / counts[o];
        if (mean < b) b = mean;
      }
      const max = a > b ? a : b;
      if (max > 0) {
        const sp = (b - a) / max; // a = b = 0 (duplicates): 0, as scikit-learn's nan_to_num
        total += sp;
        totalSq += sp * sp;
      }
    }
  }
  const mean = total / m;
  const variance = m > 1 ? Math.max(0, (totalSq - m * mean * mean) / (m - 1)) : 0;
  return { mean, standardError: Math.sqrt(variance / m), points: m };
}

// ---------------------------------------------------------------------------------------------------------------
// Davies-Bouldin and Calinski-Harabasz
// ---------------------------------------------------------------------------------------------------------------

/**
 * Davies-Bouldin index (lower is better), as scikit-learn: the mean over clusters of the worst ratio
 * (s_i + s_j) / |c_i - c_j|, with s = mean distance of a cluster's points to its centroid. Pairs of coincident
 * centroids are ignored, and the index is 0 when all scatters or all centroid distances are (close to) 0.
 */
export function daviesBouldin(X: Matrix, labels: ArrayLike<number>, k: number): number {
  const { rows, cols, data } = X;
  const { means, sizes } = clusterMeans(X, labels, k);
  const present: number[] = [];
  for (let l = 0; l < k; l++) if (sizes[l]) present.push(l);
  checkClusterCount(present.length, rows);
  const scatter = new Float64Array(k);
  for (let i = 0; i < rows; i++) {
    const co = labels[i] * cols;
    let s = 0;
    for (let j = 0; j < cols; j++) {
      const e = data[i * cols + j] - means[co + j];
      s += e * e;
    }
    scatter[labels[i]] += Math.sqrt(s);
  }
  for (const l of present) scatter[l] /= sizes[l];
  const p = present.length;
  const dist = new Float64Array(p * p);
  for (let a = 0; a < p; a++) {
    for (let b = 0; b < p; b++) {
      let s = 0;
      for (let j = 0; j < cols; j++) {
        const e = means[present[a] * cols + j] - means[present[b] * cols + j];
        s += e * e;
      }
      dist[a * p + b] = Math.sqrt(s);
    }
  }
  // np.allclose(x, 0): every |x| <= 1e-8.
  if (present.every((l) => Math.abs(scatter[l]) <= 1e-8) || dist.every((v) => Math.abs(v) <= 1e-8)) return 0;
  let total = 0;
  for (let a = 0; a < p; a++) {
    let worst = 0;
    for (let b = 0; b < p; b++) {
      const dd = dist[a * p + b];
      if (dd === 0) continue; // itself, or a coincident centroid: scikit-learn divides by +inf
      const r = (scatter[present[a]] + scatter[present[b]]) / dd;
      if (r > worst) worst = r;
    }
    total += worst;
  }
  return total / p;
}

/**
 * Calinski-Harabasz index (variance ratio, higher is better), as scikit-learn:
 * [between-cluster dispersion / (K - 1)] / [within-cluster dispersion / (n - K)], and 1 when the within-cluster
 * dispersion is 0.
 */
export function calinskiHarabasz(X: Matrix, labels: ArrayLike<number>, k: number): number {
  const { rows, cols, data } = X;
  const { means, sizes } = clusterMeans(X, labels, k);
  let used = 0;
  for (let l = 0; l < k; l++) if (sizes[l]) used++;
  checkClusterCount(used, rows);
  const center = new Float64Array(cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) center[j] += data[i * cols + j];
  for (let j = 0; j < cols; j++) center[j] /= rows;
  let between = 0;
  for (let l = 0; l < k; l++) {
    if (!sizes[l]) continue;
    for (let j = 0; j < cols; j++) {
      const e = means[l * cols + j] - center[j];
      between += sizes[l] * e * e;
    }
  }
  const within = inertia(X, labels, k, means);
  return within === 0 ? 1 : (between * (rows - used)) / (within * (used - 1));
}
