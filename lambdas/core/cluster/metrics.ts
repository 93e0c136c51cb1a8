/**
 * Internal validity metrics of a partition, with scikit-learn's definitions so that figures compare:
 * inertia, silhouette (exact, optionally on a seeded sample: silhouette.ts), Davies-Bouldin and Calinski-Harabasz.
 *
 * Like scikit-learn, silhouette, Davies-Bouldin and Calinski-Harabasz count the clusters actually present and
 * throw unless there are between 2 and n - 1 of them (the scores are undefined otherwise).
 */
import type { Matrix } from '../util/matrix';
import { checkClusterCount, checkLabels } from './labelChecks';

export { silhouette, silhouetteStats } from './silhouette';
export type { SilhouetteOptions, SilhouetteStats } from './silhouette';

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
