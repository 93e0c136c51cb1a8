/**
 * Internal validity metrics of a partition, with scikit-learn's definitions (so that figures compare):
 * inertia, silhouette (exact, optionally on a seeded sample), Davies-Bouldin and Calinski-Harabasz.
 */
import { Matrix } from '../util/matrix';
import { createRng, sampleIndices } from '../util/random';

/** Cluster means (k x cols) and sizes from labels. */
export function clusterMeans(X: Matrix, labels: ArrayLike<number>, k: number): { means: Float64Array; sizes: Int32Array } {
  const { rows, cols, data } = X;
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

export function inertia(X: Matrix, labels: ArrayLike<number>, k: number): number {
  const { means } = clusterMeans(X, labels, k);
  const { rows, cols, data } = X;
  let s = 0;
  for (let i = 0; i < rows; i++) {
    const c = labels[i] * cols;
    for (let j = 0; j < cols; j++) {
      const d = data[i * cols + j] - means[c + j];
      s += d * d;
    }
  }
  return s;
}

/**
 * Mean silhouette. With sampleSize < n, the exact silhouette of a seeded sample of rows computed among
 * that sample only (as scikit-learn's silhouette_score(sample_size=...)); points alone in their cluster
 * score 0. Distances are computed block by block so memory stays O(sample).
 */
export function silhouette(X: Matrix, labels: ArrayLike<number>, k: number, opts: { sampleSize?: number; seed?: number } = {}): number {
  const n = X.rows;
  const d = X.cols;
  const idx = opts.sampleSize !== undefined && opts.sampleSize < n ? sampleIndices(n, opts.sampleSize, createRng(opts.seed ?? 0)) : null;
  const m = idx ? idx.length : n;
  // Copy the sample contiguously (cache-friendly inner loop).
  const pts = new Float64Array(m * d);
  const lab = new Int32Array(m);
  for (let r = 0; r < m; r++) {
    const i = idx ? idx[r] : r;
    pts.set(X.data.subarray(i * d, (i + 1) * d), r * d);
    lab[r] = labels[i];
  }
  const size = new Int32Array(k);
  for (let r = 0; r < m; r++) size[lab[r]]++;
  const sums = new Float64Array(k);
  let total = 0;
  for (let a = 0; a < m; a++) {
    sums.fill(0);
    const pa = a * d;
    for (let b = 0; b < m; b++) {
      let s = 0;
      const pb = b * d;
      for (let j = 0; j < d; j++) {
        const t = pts[pa + j] - pts[pb + j];
        s += t * t;
      }
      sums[lab[b]] += Math.sqrt(s);
    }
    const own = lab[a];
    if (size[own] <= 1) continue; // silhouette 0 for singletons
    const intra = sums[own] / (size[own] - 1);
    let nearest = Infinity;
    for (let l = 0; l < k; l++) if (l !== own && size[l] > 0) nearest = Math.min(nearest, sums[l] / size[l]);
    if (nearest === Infinity) continue;
    const mx = Math.max(intra, nearest);
    total += mx > 0 ? (nearest - intra) / mx : 0;
  }
  return total / m;
}

export function daviesBouldin(X: Matrix, labels: ArrayLike<number>, k: number): number {
  const { rows, cols, data } = X;
  const { means, sizes } = clusterMeans(X, labels, k);
  const scatter = new Float64Array(k);
  for (let i = 0; i < rows; i++) {
    const c = labels[i] * cols;
    let s = 0;
    for (let j = 0; j < cols; j++) {
      const t = data[i * cols + j] - means[c + j];
      s += t * t;
    }
    scatter[labels[i]] += Math.sqrt(s);
  }
  const present: number[] = [];
  for (let l = 0; l < k; l++) if (sizes[l]) {
    scatter[l] /= sizes[l];
    present.push(l);
  }
  if (present.length < 2) return 0;
  let total = 0;
  for (const a of present) {
    let worst = 0;
    for (const b of present) {
      if (a === b) continue;
      let s = 0;
      for (let j = 0; j < cols; j++) {
        const t = means[a * cols + j] - means[b * cols + j];
        s += t * t;
      }
      const dist = Math.sqrt(s);
      worst = Math.max(worst, dist > 0 ? (scatter[a] + scatter[b]) / dist : Infinity);
    }
    total += worst;
  }
  return total / present.length;
}

export function calinskiHarabasz(X: Matrix, labels: ArrayLike<number>, k: number): number {
  const { rows, cols, data } = X;
  const { means, sizes } = clusterMeans(X, labels, k);
  const center = new Float64Array(cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) center[j] += data[i * cols + j];
  for (let j = 0; j < cols; j++) center[j] /= rows;
  let between = 0;
  let used = 0;
  for (let l = 0; l < k; l++) {
    if (!sizes[l]) continue;
    used++;
    for (let j = 0; j < cols; j++) between += sizes[l] * (means[l * cols + j] - center[j]) ** 2;
  }
  const within = inertia(X, labels, k);
  if (used < 2) return 0;
  return within === 0 ? Infinity : (between * (rows - used)) / (within * (used - 1));
}
