import { calinskiHarabasz, clusterMeans, daviesBouldin, inertia, silhouette, silhouetteStats } from '../../../lambdas/core/cluster/metrics';
import { acquireWorkers, shutdownWorkers } from '../../../lambdas/core/cluster/workerPool';
import { createMatrix, fromRows, selectRows, type Matrix } from '../../../lambdas/core/util/matrix';
import { createRng, sampleIndices } from '../../../lambdas/core/util/random';
import { blobs, randomCentres } from './helpers';

/**
 * Data defined by a formula so that numpy can rebuild it exactly:
 *   i = np.arange(600)[:, None]; t = np.arange(3)[None, :]
 *   Y = np.sin(i * (t + 1) * 0.37) + 1.5 * ((i % 4) == t)
 */
function formulaData(): Matrix {
  const n = 600;
  const d = 3;
  const Y = createMatrix(n, d);
  for (let i = 0; i < n; i++) for (let t = 0; t < d; t++) Y.data[i * d + t] = Math.sin(i * (t + 1) * 0.37) + (i % 4 === t ? 1.5 : 0);
  return Y;
}
const Y = formulaData();
/** lab = (i * 7) % 4 */
const lab = Int32Array.from({ length: 600 }, (_, i) => (i * 7) % 4);
/** lab2 = np.where(i < 300, i % 3, 3): three clusters with nearly coincident centroids, plus one apart */
const lab2 = Int32Array.from({ length: 600 }, (_, i) => (i < 300 ? i % 3 : 3));

/** Eight 2-D points in three groups (the values below are scikit-learn 1.2.1's). */
const X8 = fromRows([[0, 0], [0, 1], [1, 0], [5, 5], [5, 6], [6, 5], [10, 0], [10, 1]]);
const good = Int32Array.from([0, 0, 0, 1, 1, 1, 2, 2]);
const bad = Int32Array.from([0, 0, 1, 1, 1, 1, 2, 0]);

/** Straight O(n^2) silhouette, for cross-checking the tiled one. */
function naiveSilhouette(X: Matrix, labels: ArrayLike<number>, k: number): number {
  const { rows: n, cols: d, data } = X;
  const size = new Array(k).fill(0);
  for (let i = 0; i < n; i++) size[labels[i]]++;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const sums = new Array(k).fill(0);
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += (data[i * d + t] - data[j * d + t]) ** 2;
      sums[labels[j]] += Math.sqrt(s);
    }
    const own = labels[i];
    if (size[own] === 1) continue;
    const a = sums[own] / (size[own] - 1);
    let b = Infinity;
    for (let c = 0; c < k; c++) if (c !== own && size[c] > 0) b = Math.min(b, sums[c] / size[c]);
    total += (b - a) / Math.max(a, b);
  }
  return total / n;
}

describe('hand-computed values on X = [0], [1], [5] with labels [0, 1, 1]', () => {
  const X = fromRows([[0], [1], [5]]);
  const labels = [0, 1, 1];

  test('silhouette', () => {
    // point 0 is alone in its cluster: s = 0
    // point 1: a = |1 - 5| = 4, b = |1 - 0| = 1 -> s = (1 - 4) / 4 = -0.75
    // point 5: a = |5 - 1| = 4, b = |5 - 0| = 5 -> s = (5 - 4) / 5 = 0.2
    expect(silhouette(X, labels, 2)).toBeCloseTo((0 - 0.75 + 0.2) / 3, 15);
  });

  test('Davies-Bouldin', () => {
    // centroids 0 and 3; scatters 0 and (|1-3| + |5-3|) / 2 = 2; distance 3 -> both ratios (0 + 2) / 3
    expect(daviesBouldin(X, labels, 2)).toBeCloseTo(2 / 3, 15);
  });

  test('Calinski-Harabasz', () => {
    // overall mean 2; between = 1 * (0 - 2)^2 + 2 * (3 - 2)^2 = 6; within = 0 + (1 - 3)^2 + (5 - 3)^2 = 8
    // (6 / (K - 1 = 1)) / (8 / (n - K = 1)) = 0.75
    expect(calinskiHarabasz(X, labels, 2)).toBeCloseTo(0.75, 15);
  });

  test('inertia and cluster means', () => {
    expect(inertia(X, labels, 2)).toBe(8);
    expect(inertia(X, labels, 2, Float64Array.from([0, 2]))).toBe(0 + 1 + 9);
    const { means, sizes } = clusterMeans(X, labels, 3);
    expect(Array.from(means)).toEqual([0, 3, 0]);
    expect(Array.from(sizes)).toEqual([1, 2, 0]);
  });
});

describe('agreement with scikit-learn 1.2.1', () => {
  // python: silhouette_score(X, l), davies_bouldin_score(X, l), calinski_harabasz_score(X, l)
  test.each([
    ['8 points, good partition', X8, good, 3, 0.8381087202020668, 0.18058310574149639, 126.4802631578947],
    ['8 points, poor partition', X8, bad, 3, 0.04636588909451947, 1.594427732637514, 1.4241393114491596],
    ['formula data, lab', Y, lab, 4, 0.15072476987734001, 1.5709337365437905, 167.54611278989518],
    ['formula data, lab2', Y, lab2, 4, -0.008688661066969503, 501.6411503981796, 0.006496237077584348],
  ])('%s', (_name, X, labels, k, sil, db, ch) => {
    expect(silhouette(X, labels, k)).toBeCloseTo(sil, 12);
    // relative: lab2's nearly coincident centroids make these ratios ill-conditioned (summation order shows at 1e-12)
    expect(daviesBouldin(X, labels, k) / db).toBeCloseTo(1, 11);
    expect(calinskiHarabasz(X, labels, k) / ch).toBeCloseTo(1, 11);
  });
});

describe('silhouette', () => {
  test('tiled computation equals the plain O(n^2) one across tile boundaries, with singleton and empty clusters', () => {
    const { X } = blobs(700, randomCentres(4, 3, 4, 1), 1.5, 2);
    const labels = Int32Array.from({ length: 700 }, (_, i) => (i === 5 ? 5 : (i * 13) % 4)); // 5: singleton, 4: empty
    expect(silhouette(X, labels, 6)).toBeCloseTo(naiveSilhouette(X, labels, 6), 12);
    const wide = blobs(300, randomCentres(3, 40, 4, 3), 1, 4).X; // d > 32: generic tile
    const wl = Int32Array.from({ length: 300 }, (_, i) => i % 3);
    expect(silhouette(wide, wl, 3)).toBeCloseTo(naiveSilhouette(wide, wl, 3), 12);
  });

  test('a sample is the exact silhouette of the seeded sample of rows, deterministic for a seed', () => {
    const idx = sampleIndices(Y.rows, 150, createRng(9));
    const sub = selectRows(Y, idx);
    const subLabels = Int32Array.from(idx, (i) => lab[i]);
    const sampled = silhouette(Y, lab, 4, { sampleSize: 150, seed: 9 });
    expect(sampled).toBeCloseTo(naiveSilhouette(sub, subLabels, 4), 12);
    expect(silhouette(Y, lab, 4, { sampleSize: 150, seed: 9 })).toBe(sampled);
    expect(silhouette(Y, lab, 4, { sampleSize: 150, seed: 10 })).not.toBe(sampled);
  });

  test('sampleSize >= n, or Infinity, uses every row', () => {
    const exact = silhouette(X8, good, 3);
    expect(silhouette(X8, good, 3, { sampleSize: 8, seed: 1 })).toBe(exact);
    expect(silhouette(X8, good, 3, { sampleSize: Infinity })).toBe(exact);
  });

  test('duplicate points (a = b = 0) score 0 instead of NaN', () => {
    expect(silhouette(fromRows([[1], [1], [1], [1]]), [0, 0, 1, 1], 2)).toBe(0);
  });

  test('needs between 2 and n - 1 clusters, and valid labels', () => {
    expect(() => silhouette(X8, new Int32Array(8), 3)).toThrow(/number of clusters is 1/);
    expect(() => silhouette(fromRows([[0], [1]]), [0, 1], 2)).toThrow(/number of clusters is 2/);
    expect(() => silhouette(X8, [0, 0, 0, 1, 1, 1, 2, 3], 3)).toThrow(/label 3/);
    expect(() => silhouette(X8, [0, 1], 3)).toThrow(/2 labels for 8 rows/);
    expect(() => daviesBouldin(X8, new Int32Array(8), 1)).toThrow(/number of clusters/);
    expect(() => calinskiHarabasz(X8, new Int32Array(8), 1)).toThrow(/number of clusters/);
  });
});

describe('Davies-Bouldin and Calinski-Harabasz edge cases (scikit-learn conventions)', () => {
  test('zero within-cluster dispersion: Calinski-Harabasz 1, Davies-Bouldin 0', () => {
    const X = fromRows([[0], [0], [4], [4]]);
    expect(calinskiHarabasz(X, [0, 0, 1, 1], 2)).toBe(1);
    expect(daviesBouldin(X, [0, 0, 1, 1], 2)).toBe(0);
  });

  test('coincident centroids are left out of the Davies-Bouldin maxima', () => {
    // clusters {-1, 1} and {-2, 2} share centroid 0 (ignored pair); {10, 12} has centroid 11.
    // scatters 1, 2, 1; ratios: (1+1)/11 and (2+1)/11 -> per cluster max: 2/11, 3/11, 3/11
    const X = fromRows([[-1], [1], [-2], [2], [10], [12]]);
    expect(daviesBouldin(X, [0, 0, 1, 1, 2, 2], 3)).toBeCloseTo((2 / 11 + 3 / 11 + 3 / 11) / 3, 15);
  });

  test('empty cluster indices are ignored (clusters present: 2)', () => {
    const X = fromRows([[0], [1], [5]]);
    expect(daviesBouldin(X, [0, 2, 2], 3)).toBeCloseTo(2 / 3, 15);
    expect(calinskiHarabasz(X, [0, 2, 2], 3)).toBeCloseTo(0.75, 15);
  });
});

describe('silhouette on worker threads', () => {
  afterAll(() => shutdownWorkers());

  test('the same value, bit for bit, as on one thread, over several batches of tiles and with a sample', () => {
    expect(acquireWorkers(2)).toHaveLength(2);
    // 12,000 rows in 4 clusters: 1,176 tiles of 256 x 256, more than one batch (1,024 tiles).
    const { X, truth: labels } = blobs(12000, randomCentres(4, 9, 6, 81), 1.5, 82);
    const one = silhouetteStats(X, labels, 4, { threads: 1 });
    const three = silhouetteStats(X, labels, 4, { threads: 3 });
    expect(three).toEqual(one);
    expect(silhouetteStats(X, labels, 4, { threads: 'auto' })).toEqual(one);
    const sampled = silhouette(X, labels, 4, { sampleSize: 3000, seed: 4, threads: 1 });
    expect(silhouette(X, labels, 4, { sampleSize: 3000, seed: 4, threads: 2 })).toBe(sampled);
    // The parallel result is the silhouette: on a small sample, the plain O(n^2) computation agrees.
    const idx = sampleIndices(X.rows, 600, createRng(5));
    expect(silhouette(X, labels, 4, { sampleSize: 600, seed: 5, threads: 2 })).toBeCloseTo(naiveSilhouette(selectRows(X, idx), Int32Array.from(idx, (i) => labels[i]), 4), 12);
    expect(() => silhouette(X, labels, 4, { threads: 0 })).toThrow(/threads/);
  });
});
