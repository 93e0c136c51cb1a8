/**
 * Mean silhouette coefficient, exact, with scikit-learn's definition (silhouette_score), on all rows or a seeded
 * sample. The pairwise distances are summed in tiles of rows sorted by cluster (silhouetteTiles.ts), each pair once;
 * large samples spread the tiles over k-means' worker threads, and the tiles' sums are reduced on this thread in a
 * fixed order, so the result is the same, bit for bit, whatever the number of threads.
 */
import type { Matrix } from '../util/matrix';
import { createRng, sampleIndices } from '../util/random';
import { checkClusterCount, checkLabels } from './labelChecks';
import { computeTile, runTiles, TILE, TILE_FIELDS, tileRunner, type TileWork } from './silhouetteTiles';
import { acquireWorkers, jobBuffer, noteThreadsUsed, postTiles, threadsFor, wait, type WorkerHandle } from './workerPool';

/** Below this many distances (m^2 / 2, ~20 ms on one core) workers cost more to wake than they save. */
const PARALLEL_MIN_DISTANCES = 4_000_000;
/** Tiles per batch: bounds the tile sums held before the reduction (2 x 256 doubles a tile, 4 MB a batch). */
const BATCH_TILES = 1024;
/** Identifies a sorted sample to the workers, which keep the compiled kernel of the last one. */
let nextSampleId = 1;

export interface SilhouetteOptions {
  /** Number of rows to sample (seeded, without replacement); undefined, Infinity or >= n: all rows. */
  sampleSize?: number;
  seed?: number;
  /**
   * Threads to spread the distance tiles over (this one plus k-means' worker threads, workerPool.ts). Default
   * 'auto': the idle cores (load average, or the function's CPU share) when the sample is large enough to repay
   * waking workers. The result does not depend on it: tiles are summed in the same order whichever thread ran them.
   */
  threads?: number | 'auto';
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
  const workers = acquireWorkers(threadsFor(opts.threads, (m * m) / 2 >= PARALLEL_MIN_DISTANCES) - 1);
  const x = new Float64Array(jobBuffer(8 * m * d, workers.length > 0));
  for (let r = 0; r < m; r++) {
    const i = idx ? idx[r] : r;
    const pos = fill[labels[i]]++;
    x.set(X.data.subarray(i * d, i * d + d), pos * d);
  }
  const sums = pairwiseSums(x, d, k, start, workers);
  if (workers.length) noteThreadsUsed(workers.length + 1);

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

/**
 * The number of tiles pairwiseSums lists: with r_c row blocks of TILE in cluster c, a cluster lists r_c(r_c + 1)/2 tiles
 * with itself and r_a r_b with each later one, which sums to S(S + 1)/2 for S = sum of r_c.
 */
function tileCount(k: number, start: Int32Array): number {
  let blocks = 0;
  for (let c = 0; c < k; c++) blocks += Math.ceil((start[c + 1] - start[c]) / TILE);
  return (blocks * (blocks + 1)) / 2;
}

/**
 * sums[p * k + c] = sum of distances from sorted row p to the rows of cluster c. Tiles are listed cluster pair by
 * cluster pair (within one cluster only tiles on or above the diagonal), computed by whichever thread claims them,
 * and added into `sums` in list order.
 */
function pairwiseSums(x: Float64Array, d: number, k: number, start: Int32Array, workers: WorkerHandle[]): Float64Array {
  const m = start[k];
  const sums = new Float64Array(m * k);
  const shared = workers.length > 0;
  // Buffers for one batch, no larger than the whole list: a small sample then allocates kilobytes, not 4 MB.
  const batch = Math.max(1, Math.min(BATCH_TILES, tileCount(k, start)));
  const tiles = new Int32Array(jobBuffer(4 * TILE_FIELDS * batch, shared));
  const next = new Int32Array(jobBuffer(4, shared));
  const done = new Int32Array(jobBuffer(4 * batch, shared));
  const out = new Float64Array(jobBuffer(8 * 2 * TILE * batch, shared));
  const runner = tileRunner(d, x);
  const sampleId = nextSampleId++;
  let count = 0;

  const flush = () => {
    const work: TileWork = { x, d, tiles: tiles.subarray(0, count * TILE_FIELDS), next, done: done.subarray(0, count), out };
    next[0] = 0;
    done.fill(0, 0, count);
    for (const w of workers) postTiles(w, { kind: 'tiles', sampleId, ...work });
    runTiles(work, runner.kernel, runner.rowAcc, runner.colAcc);
    for (const w of workers) wait(w);
    for (let t = 0; t < count; t++) {
      if (!done[t]) computeTile(work, t, runner.kernel, runner.rowAcc, runner.colAcc); // left by a failed worker
      const o = t * TILE_FIELDS;
      const [i0, i1, j0, j1, , ca, cb] = tiles.subarray(o, o + TILE_FIELDS);
      const row = t * 2 * TILE;
      const col = row + TILE;
      for (let i = i0; i < i1; i++) sums[i * k + cb] += out[row + i - i0];
      for (let j = j0; j < j1; j++) sums[j * k + ca] += out[col + j - j0];
    }
    count = 0;
  };

  for (let ca = 0; ca < k; ca++) {
    for (let cb = ca; cb < k; cb++) {
      for (let i0 = start[ca]; i0 < start[ca + 1]; i0 += TILE) {
        const i1 = Math.min(i0 + TILE, start[ca + 1]);
        for (let j0 = ca === cb ? i0 : start[cb]; j0 < start[cb + 1]; j0 += TILE) {
          tiles.set([i0, i1, j0, Math.min(j0 + TILE, start[cb + 1]), ca === cb && i0 === j0 ? 1 : 0, ca, cb], count * TILE_FIELDS);
          if (++count === batch) flush();
        }
      }
    }
  }
  if (count) flush();
  return sums;
}
