/**
 * k-means on a dense matrix: greedy k-means++ seeding (kmeansPlusPlus.ts) followed by Hamerly-accelerated Lloyd
 * iterations (hamerly.ts), repeated for `nInit` seeded initialisations, keeping the lowest inertia.
 * Defaults and semantics follow scikit-learn's KMeans (n_init=10, max_iter=300, tol=1e-4 relative to the mean
 * feature variance) so that results can be compared with it.
 *
 * Every initialisation has its own 32-bit seed derived from `opts.seed`; the per-initialisation results (and, on
 * request, their partitions) are returned so that the stability of the partition across seeds can be measured.
 */
import type { Matrix } from '../util/matrix';
import { createRng } from '../util/random';
import { meanColumnVariance } from './distance';
import { createHamerlyState, lloydHamerly, type HamerlyState } from './hamerly';
import { createSeedingState, kmeansPlusPlus, type SeedingState } from './kmeansPlusPlus';

export interface KMeansOptions {
  /** Master seed: the seeds of the initialisations are drawn from it. */
  seed: number;
  /** Number of seeded initialisations; the one with the lowest inertia wins (default 10). */
  nInit?: number;
  /** Maximum number of centre updates per initialisation (default 300). */
  maxIter?: number;
  /** Tolerance on the sum of squared centre shifts, relative to the mean feature variance (default 1e-4). */
  tol?: number;
  /** Keep the labels of every initialisation in `inits[i].labels` (n Int32 per initialisation). */
  keepInitLabels?: boolean;
}

export interface KMeansInit {
  /** Seed of this initialisation: `kmeansSingle(X, k, seed)` reproduces it. */
  seed: number;
  inertia: number;
  iterations: number;
  converged: boolean;
  labels?: Int32Array;
}

export interface KMeansResult {
  k: number;
  /** k * cols centre coordinates, row-major. */
  centroids: Float64Array;
  labels: Int32Array;
  /** Sum of squared distances of the points to their assigned centre. */
  inertia: number;
  /** Centre updates of the winning initialisation. */
  iterations: number;
  converged: boolean;
  /** Index into `inits` of the winning initialisation. */
  bestInit: number;
  inits: KMeansInit[];
}

const DEFAULT_N_INIT = 10;
const DEFAULT_MAX_ITER = 300;
const DEFAULT_TOL = 1e-4;

/** The seeds of the nInit initialisations derived from a master seed (distinct, 32-bit). */
export function initSeeds(seed: number, nInit: number): number[] {
  const rng = createRng(seed);
  const seeds: number[] = [];
  const seen = new Set<number>();
  while (seeds.length < nInit) {
    const s = Math.floor(rng.next() * 4294967296);
    if (seen.has(s)) continue;
    seen.add(s);
    seeds.push(s);
  }
  return seeds;
}

function validate(X: Matrix, k: number): void {
  if (!Number.isInteger(k) || k < 1) throw new Error(`k must be a positive integer, got ${k}`);
  if (X.rows < 1) throw new Error('k-means needs at least one point');
  if (k > X.rows) throw new Error(`k=${k} exceeds the number of points (${X.rows})`);
  const data = X.data;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw new Error(`non-finite value at row ${Math.floor(i / X.cols)}, column ${i % X.cols}`);
  }
}

interface Workspace {
  seeding: SeedingState;
  lloyd: HamerlyState;
}

function createWorkspace(n: number, k: number, d: number): Workspace {
  const seeding = createSeedingState(n, k, d);
  return { seeding, lloyd: createHamerlyState(n, k, d, seeding) };
}

/** One initialisation: seeding + iterations; leaves centres and labels in the workspace. */
function runInit(X: Matrix, k: number, seed: number, maxIter: number, tolAbs: number, ws: Workspace): KMeansInit {
  const { rows: n, cols: d, data: x } = X;
  kmeansPlusPlus(x, n, d, k, createRng(seed), ws.seeding);
  const { iterations, converged } = lloydHamerly(x, n, d, k, maxIter, tolAbs, ws.lloyd);
  return { seed, inertia: inertiaOf(x, n, d, ws.lloyd.centers, ws.lloyd.labels), iterations, converged };
}

function inertiaOf(x: Float64Array, n: number, d: number, centers: Float64Array, labels: Int32Array): number {
  let total = 0;
  for (let i = 0; i < n; i++) {
    const xo = i * d;
    const co = labels[i] * d;
    for (let t = 0; t < d; t++) {
      const diff = x[xo + t] - centers[co + t];
      total += diff * diff;
    }
  }
  return total;
}

function resolve(X: Matrix, opts: Omit<KMeansOptions, 'seed' | 'nInit' | 'keepInitLabels'>): { maxIter: number; tolAbs: number } {
  const maxIter = opts.maxIter ?? DEFAULT_MAX_ITER;
  const tol = opts.tol ?? DEFAULT_TOL;
  if (!(maxIter >= 1)) throw new Error(`maxIter must be >= 1, got ${maxIter}`);
  if (!(tol >= 0)) throw new Error(`tol must be >= 0, got ${tol}`);
  return { maxIter, tolAbs: tol > 0 ? tol * meanColumnVariance(X.data, X.rows, X.cols) : 0 };
}

/** k-means with nInit seeded greedy k-means++ initialisations; returns the best (lowest inertia) one. */
export function kmeans(X: Matrix, k: number, opts: KMeansOptions): KMeansResult {
  validate(X, k);
  const nInit = opts.nInit ?? DEFAULT_N_INIT;
  if (!Number.isInteger(nInit) || nInit < 1) throw new Error(`nInit must be a positive integer, got ${nInit}`);
  const { maxIter, tolAbs } = resolve(X, opts);
  const { rows: n, cols: d } = X;
  const ws = createWorkspace(n, k, d);
  const centroids = new Float64Array(k * d);
  const labels = new Int32Array(n);
  const inits: KMeansInit[] = [];
  let bestInit = -1;
  for (const seed of initSeeds(opts.seed, nInit)) {
    const run = runInit(X, k, seed, maxIter, tolAbs, ws);
    if (opts.keepInitLabels) run.labels = ws.lloyd.labels.slice();
    inits.push(run);
    // Strictly lower wins, so the earliest initialisation wins ties (as scikit-learn).
    if (bestInit < 0 || run.inertia < inits[bestInit].inertia) {
      bestInit = inits.length - 1;
      centroids.set(ws.lloyd.centers);
      labels.set(ws.lloyd.labels);
    }
  }
  const best = inits[bestInit];
  return { k, centroids, labels, inertia: best.inertia, iterations: best.iterations, converged: best.converged, bestInit, inits };
}

/** One initialisation with an explicit seed (as listed in `KMeansResult.inits`). */
export function kmeansSingle(X: Matrix, k: number, seed: number, opts: Omit<KMeansOptions, 'seed' | 'nInit' | 'keepInitLabels'> = {}): KMeansResult {
  validate(X, k);
  const { maxIter, tolAbs } = resolve(X, opts);
  const ws = createWorkspace(X.rows, k, X.cols);
  const run = runInit(X, k, seed, maxIter, tolAbs, ws);
  const labels = ws.lloyd.labels.slice();
  return {
    k,
    centroids: ws.lloyd.centers.slice(),
    labels,
    inertia: run.inertia,
    iterations: run.iterations,
    converged: run.converged,
    bestInit: 0,
    inits: [{ ...run, labels }],
  };
}

/**
 * The partition found by every initialisation (same seeds as `kmeans` with the same options), to measure how stable
 * the clustering is across initialisations (e.g. median pairwise adjusted Rand index).
 */
export function kmeansInitPartitions(X: Matrix, k: number, opts: KMeansOptions): Required<KMeansInit>[] {
  return kmeans(X, k, { ...opts, keepInitLabels: true }).inits as Required<KMeansInit>[];
}

/** Index of the nearest centroid (squared Euclidean, lowest index on ties) of every row of X. */
export function assignToCentroids(X: Matrix, centroids: Float64Array, k: number): Int32Array {
  const { rows: n, cols: d, data: x } = X;
  if (centroids.length !== k * d) throw new Error(`centroids have ${centroids.length} values, expected ${k}x${d}`);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const xo = i * d;
    let best = Infinity;
    let b = 0;
    for (let c = 0; c < k; c++) {
      const co = c * d;
      let s = 0;
      for (let t = 0; t < d; t++) {
        const diff = x[xo + t] - centroids[co + t];
        s += diff * diff;
      }
      if (s < best) {
        best = s;
        b = c;
      }
    }
    labels[i] = b;
  }
  return labels;
}
