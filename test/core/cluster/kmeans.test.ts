import { kmeans as mlKmeans } from 'ml-kmeans';
import { adjustedRandIndex } from '../../../lambdas/core/cluster/ari';
import { meanColumnVariance } from '../../../lambdas/core/cluster/distance';
import { createHamerlyState, lloydHamerly } from '../../../lambdas/core/cluster/hamerly';
import { buildKdTree } from '../../../lambdas/core/cluster/kdTree';
import { assignKernel, kernelsAreGenerated, seedingKernels } from '../../../lambdas/core/cluster/kernels';
import { assignToCentroids, initSeeds, kmeans, kmeansInitPartitions, kmeansSingle } from '../../../lambdas/core/cluster/kmeans';
import { createSeedingState, kmeansPlusPlus, localTrials } from '../../../lambdas/core/cluster/kmeansPlusPlus';
import { acquireWorkers, shutdownWorkers } from '../../../lambdas/core/cluster/workerPool';
import { createMatrix, fromRows, type Matrix } from '../../../lambdas/core/util/matrix';
import { createRng } from '../../../lambdas/core/util/random';
import { blobs, naiveLloyd, nearest, randomCentres, sq, uniform } from './helpers';

function toRows(X: Matrix): number[][] {
  return Array.from({ length: X.rows }, (_, i) => Array.from(X.data.subarray(i * X.cols, (i + 1) * X.cols)));
}

function inertiaOf(X: Matrix, centroids: ArrayLike<number>, labels: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < X.rows; i++) for (let t = 0; t < X.cols; t++) s += (X.data[i * X.cols + t] - centroids[labels[i] * X.cols + t]) ** 2;
  return s;
}

describe('k-means++ seeding', () => {
  test('2 + floor(ln k) local trials, as scikit-learn', () => {
    expect([1, 2, 3, 7, 8, 10, 20].map(localTrials)).toEqual([2, 2, 3, 3, 4, 4, 4]);
  });

  test.each([
    [2, 1],
    [9, 4],
    [9, 10],
    [3, 7],
  ])('d=%i k=%i: centres are rows, labels are the nearest centre, bounds are valid', (d, k) => {
    const { X } = blobs(3000, randomCentres(6, d, 8, d), 1.2, 11 * d + k);
    const tree = buildKdTree(X.data, X.rows, d, 16);
    const state = createSeedingState(tree, k);
    kmeansPlusPlus(tree, k, createRng(5), state, seedingKernels(d, { x: tree.x, ...state }));
    const { x } = tree;
    const chosen = new Set<number>();
    for (let c = 0; c < k; c++) {
      let row = -1;
      for (let i = 0; i < tree.n && row < 0; i++) if (sq(x, i, state.centers, c, d) === 0) row = i;
      expect(row).toBeGreaterThanOrEqual(0);
      chosen.add(row);
    }
    expect(chosen.size).toBe(k); // distinct data: no point is drawn twice
    expect(Array.from(state.labels)).toEqual(Array.from(nearest(x, tree.n, d, state.centers, k)));
    let badUpper = 0;
    let badLower = 0;
    for (let i = 0; i < tree.n; i++) {
      const own = Math.sqrt(sq(x, i, state.centers, state.labels[i], d));
      if (Math.abs(state.upper[i] - own) > 1e-12 * (1 + own)) badUpper++;
      let second = Infinity;
      for (let c = 0; c < k; c++) if (c !== state.labels[i]) second = Math.min(second, Math.sqrt(sq(x, i, state.centers, c, d)));
      if (!(state.lower[i] <= second + 1e-9)) badLower++;
    }
    expect([badUpper, badLower]).toEqual([0, 0]);
  });

  test('squared distances to the nearest centre stay exact through pruned commits', () => {
    const { X } = blobs(2000, randomCentres(4, 3, 5, 1), 1, 2);
    const tree = buildKdTree(X.data, X.rows, 3, 8);
    const state = createSeedingState(tree, 4);
    kmeansPlusPlus(tree, 4, createRng(9), state, seedingKernels(3, { x: tree.x, ...state }));
    let brute = 0;
    const labels = nearest(tree.x, tree.n, 3, state.centers, 4);
    for (let i = 0; i < tree.n; i++) brute += sq(tree.x, i, state.centers, labels[i], 3);
    let kept = 0;
    for (let i = 0; i < tree.n; i++) kept += state.closest[i];
    expect(kept).toBeCloseTo(brute, 6);
  });
});

describe('Hamerly iterations reproduce textbook Lloyd', () => {
  test.each([
    ['blobs d=9 k=8', () => blobs(4000, randomCentres(6, 9, 6, 3), 1.5, 4).X, 8],
    ['blobs d=2 k=5', () => blobs(3000, randomCentres(5, 2, 5, 5), 1, 6).X, 5],
    ['uniform d=3 k=10', () => uniform(3000, 3, 7), 10],
    ['uniform d=1 k=4', () => uniform(500, 1, 8), 4],
    ['uniform d=40 k=6 (generic kernels)', () => uniform(1500, 40, 9), 6],
  ])('%s: same labels, centres and iteration count from the same seeding', (_name, make, k) => {
    const X = make();
    const { rows: n, cols: d } = X;
    const tree = buildKdTree(X.data, n, d, 32);
    const seeding = createSeedingState(tree, k);
    kmeansPlusPlus(tree, k, createRng(1234), seeding, seedingKernels(d, { x: tree.x, ...seeding }));
    const init = seeding.centers.slice();
    const tolAbs = 1e-4 * meanColumnVariance(X.data, n, d);
    const ref = naiveLloyd(tree.x, n, d, init, k, 300, tolAbs);
    const state = createHamerlyState(tree, k, seeding);
    const out = lloydHamerly(tree, k, 300, tolAbs, state, assignKernel(d, k, { x: tree.x, ...state }));
    expect(out.iterations).toBe(ref.iterations);
    expect(Array.from(state.labels)).toEqual(Array.from(ref.labels));
    for (let i = 0; i < k * d; i++) expect(state.centers[i]).toBeCloseTo(ref.centres[i], 9);
  });

  test('tol = 0 runs to a fixed point: labels unchanged by one more assignment, centres are the cluster means', () => {
    const X = uniform(2000, 2, 21);
    const r = kmeans(X, 7, { seed: 1, nInit: 1, tol: 0 });
    expect(r.converged).toBe(true);
    expect(Array.from(assignToCentroids(X, r.centroids, 7))).toEqual(Array.from(r.labels));
    const sums = new Float64Array(14);
    const counts = new Float64Array(7);
    for (let i = 0; i < X.rows; i++) {
      counts[r.labels[i]]++;
      for (let t = 0; t < 2; t++) sums[r.labels[i] * 2 + t] += X.data[i * 2 + t];
    }
    for (let c = 0; c < 7; c++) for (let t = 0; t < 2; t++) expect(r.centroids[c * 2 + t]).toBeCloseTo(sums[c * 2 + t] / counts[c], 10);
  });

  test('an empty cluster is re-seeded with the point farthest from its centre', () => {
    // 1-D points 0, 1, 2, 10 with initial centres 0 and 100: centre 1 gets no point. Hand computation:
    // the point farthest from its centre (0) is 10, which becomes cluster 1; centre 0 becomes mean(0,1,2) = 1.
    const X = fromRows([[0], [1], [2], [10]]);
    const tree = buildKdTree(X.data, 4, 1, 32);
    const seeding = createSeedingState(tree, 2);
    seeding.centers.set([0, 100]);
    for (let i = 0; i < 4; i++) {
      seeding.labels[i] = 0;
      seeding.upper[i] = Math.abs(tree.x[i]);
      seeding.lower[i] = Math.abs(tree.x[i] - 100);
    }
    const state = createHamerlyState(tree, 2, seeding);
    lloydHamerly(tree, 2, 300, 0, state, assignKernel(1, 2, { x: tree.x, ...state }));
    expect(Array.from(state.centers)).toEqual([1, 10]);
    const byValue = new Map(Array.from(tree.x, (v, i) => [v, state.labels[i]]));
    expect([0, 1, 2, 10].map((v) => byValue.get(v))).toEqual([0, 0, 0, 1]);
  });
});

describe('kmeans', () => {
  const centres = randomCentres(5, 9, 10, 42);
  const { X, truth } = blobs(5000, centres, 1, 43);

  test('recovers well separated blobs and agrees with ml-kmeans (inertia within 1%, ARI >= 0.95)', () => {
    const ours = kmeans(X, 5, { seed: 7 });
    expect(adjustedRandIndex(ours.labels, truth)).toBeGreaterThan(0.99);
    const rows = toRows(X);
    let bestMl = Infinity;
    let bestLabels: number[] = [];
    for (const seed of [1, 2, 3, 4, 5]) {
      const r = mlKmeans(rows, 5, { seed, initialization: 'kmeans++', maxIterations: 300 });
      const inertia = inertiaOf(X, r.centroids.flat(), r.clusters);
      if (inertia < bestMl) {
        bestMl = inertia;
        bestLabels = r.clusters;
      }
    }
    expect(ours.inertia).toBeLessThanOrEqual(bestMl * 1.01);
    expect(adjustedRandIndex(ours.labels, bestLabels)).toBeGreaterThanOrEqual(0.95);
  });

  test('inertia matches ml-kmeans within 1% on data without clear clusters', () => {
    const U = uniform(2000, 4, 77);
    const rows = toRows(U);
    for (const k of [3, 6]) {
      const ours = kmeans(U, k, { seed: 3 });
      let bestMl = Infinity;
      for (const seed of [1, 2, 3, 4, 5]) {
        const r = mlKmeans(rows, k, { seed, initialization: 'kmeans++', maxIterations: 300 });
        bestMl = Math.min(bestMl, inertiaOf(U, r.centroids.flat(), r.clusters));
      }
      // Within 1% of ml-kmeans' best (lower is fine: ours keeps the best of 10 greedy k-means++ starts).
      expect(ours.inertia).toBeLessThanOrEqual(bestMl * 1.01);
      expect(ours.inertia).toBeGreaterThan(bestMl * 0.97);
    }
  });

  test('reported inertia, labels and centroids are consistent', () => {
    const r = kmeans(X, 8, { seed: 1, nInit: 3 });
    expect(r.centroids).toHaveLength(8 * 9);
    expect(r.inertia).toBeCloseTo(inertiaOf(X, r.centroids, r.labels), 6);
    expect(Array.from(assignToCentroids(X, r.centroids, 8))).toEqual(Array.from(r.labels));
    expect(r.inits).toHaveLength(3);
    expect(r.inertia).toBe(Math.min(...r.inits.map((i) => i.inertia)));
    expect(r.inits[r.bestInit].inertia).toBe(r.inertia);
    expect(new Set(r.labels).size).toBe(8);
  });

  test('deterministic for a seed; other seeds give other initialisations', () => {
    const a = kmeans(X, 6, { seed: 11, nInit: 4 });
    const b = kmeans(X, 6, { seed: 11, nInit: 4 });
    expect(Array.from(a.labels)).toEqual(Array.from(b.labels));
    expect(Array.from(a.centroids)).toEqual(Array.from(b.centroids));
    expect(a.inits).toEqual(b.inits);
    const c = kmeans(X, 6, { seed: 12, nInit: 4 });
    expect(c.inits.map((i) => i.seed)).not.toEqual(a.inits.map((i) => i.seed));
  });

  test('generated and generic kernels give bit-identical results', () => {
    const auto = kmeans(X, 7, { seed: 5, nInit: 3 });
    const generic = kmeans(X, 7, { seed: 5, nInit: 3, kernels: 'generic' });
    expect(kernelsAreGenerated(9)).toBe(true);
    expect(kernelsAreGenerated(9, 'generic')).toBe(false);
    expect(kernelsAreGenerated(40)).toBe(false);
    expect(Array.from(generic.centroids)).toEqual(Array.from(auto.centroids));
    expect(generic.inits).toEqual(auto.inits);
  });

  test('the partition of every initialisation, reproducible from its seed', () => {
    const parts = kmeansInitPartitions(X, 4, { seed: 3, nInit: 3 });
    expect(parts.map((p) => p.seed)).toEqual(initSeeds(3, 3));
    expect(new Set(parts.map((p) => p.seed)).size).toBe(3);
    for (const p of parts) {
      expect(p.labels).toHaveLength(X.rows);
      const single = kmeansSingle(X, 4, p.seed);
      expect(single.inertia).toBe(p.inertia);
      expect(Array.from(single.labels)).toEqual(Array.from(p.labels));
    }
    const best = kmeans(X, 4, { seed: 3, nInit: 3 });
    expect(best.inits.every((i) => i.labels === undefined)).toBe(true);
    expect(Array.from(best.labels)).toEqual(Array.from(parts[best.bestInit].labels));
  });

  test('k = 1: the mean, and the total sum of squares', () => {
    const Y = fromRows([[0, 0], [2, 0], [0, 4], [2, 4]]);
    const r = kmeans(Y, 1, { seed: 0 });
    expect(Array.from(r.centroids)).toEqual([1, 2]);
    expect(Array.from(r.labels)).toEqual([0, 0, 0, 0]);
    expect(r.inertia).toBe(4 * (1 + 4)); // every point is at (±1, ±2) from the mean
  });

  test('k = n: every point is its own cluster, inertia 0', () => {
    const Y = fromRows([[0, 0], [1, 0], [5, 5], [9, 1], [3, 3]]);
    const r = kmeans(Y, 5, { seed: 2 });
    expect(new Set(r.labels).size).toBe(5);
    expect(r.inertia).toBe(0);
  });

  test('duplicate points: exact recovery, and more clusters than distinct points stays valid', () => {
    const rows: number[][] = [];
    for (let i = 0; i < 60; i++) rows.push([[0, 0], [10, 0], [0, 10]][i % 3]);
    const Y = fromRows(rows);
    const three = kmeans(Y, 3, { seed: 4 });
    expect(three.inertia).toBe(0);
    expect(adjustedRandIndex(three.labels, Int32Array.from({ length: 60 }, (_, i) => i % 3))).toBe(1);
    const five = kmeans(Y, 5, { seed: 4 });
    expect(five.inertia).toBe(0);
    expect(five.converged).toBe(true);
    expect(Array.from(five.centroids).every(Number.isFinite)).toBe(true);
    expect(Math.max(...five.labels)).toBeLessThan(5);
    const same = kmeans(fromRows(Array.from({ length: 10 }, () => [1, 2, 3])), 4, { seed: 1 });
    expect(same.inertia).toBe(0);
    expect(Array.from(same.centroids)).toEqual([1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3]);
  });

  test('refitting after the data changed in place uses the new values', () => {
    const Y = createMatrix(X.rows, X.cols, X.data.slice());
    const before = kmeans(Y, 3, { seed: 1, nInit: 2 });
    for (let i = 0; i < Y.data.length; i += 2) Y.data[i] = -Y.data[i];
    const after = kmeans(Y, 3, { seed: 1, nInit: 2 });
    const fresh = kmeans(createMatrix(Y.rows, Y.cols, Y.data.slice()), 3, { seed: 1, nInit: 2 });
    expect(after.inertia).toBe(fresh.inertia);
    expect(after.inertia).not.toBe(before.inertia);
  });

  test('rejects bad input', () => {
    const Y = fromRows([[0], [1]]);
    expect(() => kmeans(Y, 3, { seed: 0 })).toThrow(/exceeds/);
    expect(() => kmeans(Y, 0, { seed: 0 })).toThrow(/positive integer/);
    expect(() => kmeans(fromRows([[0], [NaN]]), 1, { seed: 0 })).toThrow(/non-finite/);
    expect(() => kmeans(Y, 1, { seed: 0, nInit: 0 })).toThrow(/nInit/);
  });
});

describe('kmeans on worker threads', () => {
  afterAll(() => shutdownWorkers());

  test('workers start here (tsx) and give exactly the single-thread results, with or without init labels', () => {
    expect(acquireWorkers(2)).toHaveLength(2);
    const { X } = blobs(6000, randomCentres(6, 9, 6, 71), 1.5, 72);
    for (const k of [3, 8]) {
      const one = kmeans(X, k, { seed: 9, nInit: 5, threads: 1, keepInitLabels: true });
      const three = kmeans(X, k, { seed: 9, nInit: 5, threads: 3, keepInitLabels: true });
      expect(three.inits).toEqual(one.inits);
      expect(three.bestInit).toBe(one.bestInit);
      expect(Array.from(three.centroids)).toEqual(Array.from(one.centroids));
      expect(Array.from(three.labels)).toEqual(Array.from(one.labels));
    }
    const two = kmeans(X, 4, { seed: 2, nInit: 4, threads: 2 });
    expect(two.inits.every((i) => i.labels === undefined)).toBe(true);
    expect(two.inertia).toBe(kmeans(X, 4, { seed: 2, nInit: 4, threads: 1 }).inertia);
    expect(() => kmeans(X, 4, { seed: 2, threads: 0 })).toThrow(/threads/);
  });
});

describe('assignToCentroids', () => {
  test('nearest centroid, lowest index on ties', () => {
    const Y = fromRows([[0, 0], [1, 0], [4, 0], [10, 0]]);
    // centroids at x = 0, 2, 2 (duplicate), 9: the point at 1 is equidistant from 0 and 2 -> 0
    expect(Array.from(assignToCentroids(Y, Float64Array.from([0, 0, 2, 0, 2, 0, 9, 0]), 4))).toEqual([0, 0, 1, 3]);
    expect(() => assignToCentroids(Y, new Float64Array(3), 2)).toThrow(/centroids/);
  });
});
