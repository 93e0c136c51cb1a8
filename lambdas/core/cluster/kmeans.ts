/**
 * k-means on a dense matrix: greedy k-means++ seeding (kmeansPlusPlus.ts) followed by Hamerly-accelerated Lloyd
 * iterations (hamerly.ts), repeated for `nInit` seeded initialisations, keeping the lowest inertia.
 * Defaults and semantics follow scikit-learn's KMeans (n_init=10, max_iter=300, tol=1e-4 relative to the mean
 * feature variance, empty clusters re-seeded with the farthest point) so that results can be compared with it.
 *
 * Both phases run on a copy of the rows in k-d tree leaf order (kdTree.ts), whose bounding spheres let them skip
 * work exactly; the tree is built once per matrix and reused across fits (a sweep over k). Labels are returned in
 * the caller's row order. The accelerations are exact: the result is the one plain Lloyd iterations from the same
 * seeding give (the tests check this), up to floating-point summation order.
 *
 * Every initialisation has its own 32-bit seed derived from `opts.seed`; the per-initialisation results (and, on
 * request, their partitions) are returned so that the stability of the partition across seeds can be measured.
 * Results are deterministic for a seed and a matrix, whatever the number of threads: on large inputs the
 * initialisations are spread over worker threads (workerPool.ts), each running the same engine (engine.ts).
 */
import type { Matrix } from '../util/matrix';
import { createRng } from '../util/random';
import { meanColumnVariance } from './distance';
import { createWorkspace, runInit, unpermute, type Workspace } from './engine';
import { buildKdTree, type KdTree } from './kdTree';
import type { KernelMode } from './kernels';
import { acquireWorkers, jobBuffer, noteThreadsUsed, post, threadsFor, wait, type InitJob, type WorkerHandle } from './workerPool';

// Module-scope aliases of globals used per element: under a vm context (Jest's sandbox) every global lookup in a
// loop goes through the context's interceptors (10-80x slower); a module binding is resolved once.
const { imul } = Math;
const isFiniteNumber = Number.isFinite;

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
  /** Distance loops: generated per feature count ('auto', the default) or plain ('generic'); results are identical. */
  kernels?: KernelMode;
  /**
   * Threads to spread the initialisations over (the main thread plus worker threads). Default 'auto': the cores
   * other processes leave idle (load average), at most nInit, when the fit is large enough (n * nInit >= 500,000)
   * to repay starting workers. Results do not depend on it: every initialisation runs the same code on the same
   * data whichever thread runs it.
   */
  threads?: number | 'auto';
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
/** Below this many row-initialisations (n * nInit) worker threads cost more to start than they save. */
const PARALLEL_MIN_WORK = 500_000;
/** Rows per k-d leaf: small enough for tight spheres, large enough to amortise the per-leaf tests. */
const LEAF_SIZE = 32;

/** Options of one initialisation. */
export type SingleOptions = Omit<KMeansOptions, 'seed' | 'nInit' | 'keepInitLabels' | 'threads'>;

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
    if (!isFiniteNumber(data[i])) throw new Error(`non-finite value at row ${Math.floor(i / X.cols)}, column ${i % X.cols}`);
  }
}

function resolve(X: Matrix, opts: SingleOptions): { maxIter: number; tolAbs: number } {
  const maxIter = opts.maxIter ?? DEFAULT_MAX_ITER;
  const tol = opts.tol ?? DEFAULT_TOL;
  if (!(maxIter >= 1)) throw new Error(`maxIter must be >= 1, got ${maxIter}`);
  if (!(tol >= 0)) throw new Error(`tol must be >= 0, got ${tol}`);
  return { maxIter, tolAbs: tol > 0 ? tol * meanColumnVariance(X.data, X.rows, X.cols) : 0 };
}

// ---------------------------------------------------------------------------------------------------------------
// The k-d tree of a matrix, cached.
// ---------------------------------------------------------------------------------------------------------------

/**
 * Cached per data array because a sweep over k fits the same matrix many times. An entry is only reused if a 64-bit
 * hash of the values still matches, so mutating the matrix in place is safe.
 */
const treeCache = new WeakMap<Float64Array, { hash: string; cols: number; tree: KdTree; id: number }>();
let nextTreeId = 1;

function treeFor(X: Matrix): { tree: KdTree; id: number } {
  const hash = hashValues(X.data);
  const hit = treeCache.get(X.data);
  if (hit && hit.hash === hash && hit.cols === X.cols) return hit;
  const entry = { hash, cols: X.cols, tree: buildKdTree(X.data, X.rows, X.cols, LEAF_SIZE), id: nextTreeId++ };
  treeCache.set(X.data, entry);
  return entry;
}

/** Two independent 32-bit multiplicative hashes over the bits of the values. */
function hashValues(data: Float64Array): string {
  const words = new Int32Array(data.buffer, data.byteOffset, data.length * 2);
  let h1 = 0x811c9dc5 | 0;
  let h2 = 0x2545f491 | 0;
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    h1 = imul(h1 ^ w, 0x01000193);
    h2 = imul(h2 ^ w, 0x5bd1e995) ^ (h2 >>> 15);
  }
  return `${data.length}:${(h1 >>> 0).toString(16)}:${(h2 >>> 0).toString(16)}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Running the initialisations, on the main thread and on workers.
// ---------------------------------------------------------------------------------------------------------------

/** Results of a batch of initialisations: stats, centres and leaf-order labels per seed (see InitJob). */
interface Batch {
  seeds: number[];
  /** Index of each seed in the full list. */
  index: number[];
  stats: Float64Array;
  centers: Float64Array;
  labels: Int32Array;
}

function newBatch(seeds: number[], index: number[], k: number, n: number, d: number, shared: boolean): Batch {
  return {
    seeds,
    index,
    stats: new Float64Array(jobBuffer(8 * 3 * seeds.length, shared)),
    centers: new Float64Array(jobBuffer(8 * k * d * seeds.length, shared)),
    labels: new Int32Array(jobBuffer(4 * n * seeds.length, shared)),
  };
}

function runBatch(ws: Workspace, batch: Batch, maxIter: number, tolAbs: number): void {
  const { n, d } = ws.tree;
  batch.seeds.forEach((seed, s) => {
    const out = runInit(ws, seed, maxIter, tolAbs);
    batch.stats.set([out.inertia, out.iterations, out.converged ? 1 : 0], 3 * s);
    batch.centers.set(ws.lloyd.centers, s * ws.k * d);
    batch.labels.set(ws.lloyd.labels, s * n);
  });
}

/** k-means with nInit seeded greedy k-means++ initialisations; returns the best (lowest inertia) one. */
export function kmeans(X: Matrix, k: number, opts: KMeansOptions): KMeansResult {
  validate(X, k);
  const nInit = opts.nInit ?? DEFAULT_N_INIT;
  if (!Number.isInteger(nInit) || nInit < 1) throw new Error(`nInit must be a positive integer, got ${nInit}`);
  const { maxIter, tolAbs } = resolve(X, opts);
  const { rows: n, cols: d } = X;
  const mode = opts.kernels ?? 'auto';
  const { tree, id: treeId } = treeFor(X);
  const seeds = initSeeds(opts.seed, nInit);

  // Initialisation i goes to thread i mod T (thread 0 is this one): the split never changes the results.
  const workers: WorkerHandle[] = acquireWorkers(threadsFor(opts.threads, n * nInit >= PARALLEL_MIN_WORK, nInit) - 1);
  const threads = workers.length + 1;
  const batches: Batch[] = [];
  for (let t = 0; t < threads; t++) {
    const index = seeds.map((_, i) => i).filter((i) => i % threads === t);
    batches.push(newBatch(index.map((i) => seeds[i]), index, k, n, d, t > 0));
  }
  workers.forEach((w, t) => {
    const b = batches[t + 1];
    const job: InitJob = { kind: 'init', treeId, k, mode, maxIter, tolAbs, seeds: b.seeds, stats: b.stats, centers: b.centers, labels: b.labels };
    post(w, job, tree);
  });
  const ws = createWorkspace(tree, k, mode);
  runBatch(ws, batches[0], maxIter, tolAbs);
  workers.forEach((w, t) => {
    if (!wait(w)) runBatch(ws, batches[t + 1], maxIter, tolAbs); // a failed worker's share runs here
  });
  noteThreadsUsed(threads);

  // Merge in seed order; strictly lower wins, so the earliest initialisation wins ties (as scikit-learn).
  const inits: KMeansInit[] = new Array(nInit);
  const where: { batch: Batch; slot: number }[] = new Array(nInit);
  for (const batch of batches) {
    batch.index.forEach((i, s) => {
      where[i] = { batch, slot: s };
      inits[i] = { seed: seeds[i], inertia: batch.stats[3 * s], iterations: batch.stats[3 * s + 1], converged: batch.stats[3 * s + 2] === 1 };
      if (opts.keepInitLabels) inits[i].labels = unpermute(batch.labels.subarray(s * n, (s + 1) * n), tree.perm, new Int32Array(n));
    });
  }
  let bestInit = 0;
  for (let i = 1; i < nInit; i++) if (inits[i].inertia < inits[bestInit].inertia) bestInit = i;
  const { batch, slot } = where[bestInit];
  const centroids = batch.centers.slice(slot * k * d, (slot + 1) * k * d);
  const labels = unpermute(batch.labels.subarray(slot * n, (slot + 1) * n), tree.perm, new Int32Array(n));
  const best = inits[bestInit];
  return { k, centroids, labels, inertia: best.inertia, iterations: best.iterations, converged: best.converged, bestInit, inits };
}

/** One initialisation with an explicit seed (as listed in `KMeansResult.inits`). */
export function kmeansSingle(X: Matrix, k: number, seed: number, opts: SingleOptions = {}): KMeansResult {
  validate(X, k);
  const { maxIter, tolAbs } = resolve(X, opts);
  const { tree } = treeFor(X);
  const ws = createWorkspace(tree, k, opts.kernels ?? 'auto');
  const run = runInit(ws, seed, maxIter, tolAbs);
  const labels = unpermute(ws.lloyd.labels, tree.perm, new Int32Array(X.rows));
  return {
    k,
    centroids: ws.lloyd.centers.slice(),
    labels,
    inertia: run.inertia,
    iterations: run.iterations,
    converged: run.converged,
    bestInit: 0,
    inits: [{ seed, ...run, labels }],
  };
}

/**
 * The partition found by every initialisation (same seeds as `kmeans` with the same options), to measure how stable
 * the clustering is across initialisations (e.g. median pairwise adjusted Rand index).
 */
export function kmeansInitPartitions(X: Matrix, k: number, opts: KMeansOptions): Required<KMeansInit>[] {
  return kmeans(X, k, { ...opts, keepInitLabels: true }).inits as Required<KMeansInit>[];
}

/**
 * Index of the nearest centroid (squared Euclidean, lowest index on ties) of every row of X, into `labels`;
 * the squared distance to it into `dist` when given (the distributed Lloyd step needs it for its inertia).
 */
export function assignToCentroids(X: Matrix, centroids: ArrayLike<number>, k: number, labels = new Int32Array(X.rows), dist?: Float64Array): Int32Array {
  const { rows: n, cols: d, data: x } = X;
  if (centroids.length !== k * d) throw new Error(`centroids have ${centroids.length} values, expected ${k}x${d}`);
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
    if (dist) dist[i] = best;
  }
  return labels;
}
