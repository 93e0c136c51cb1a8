/**
 * Agglomerative clustering with Ward's criterion, by the nearest-neighbour-chain algorithm (Murtagh 1983; see
 * Müllner, "Modern hierarchical, agglomerative clustering algorithms", 2011) with Lance-Williams updates.
 *
 * Ward's merge cost is reducible, so following chains of nearest neighbours until two clusters are each other's
 * nearest neighbour finds the same merges as the greedy algorithm, in O(n^2) time. Distances are kept squared in a
 * condensed upper-triangular Float64Array (n(n-1)/2 values: 64 MB for 4,000 points), updated after a merge of i and
 * j into i+j by
 *   D(i+j, m) = ((n_i + n_m) D(i, m) + (n_j + n_m) D(j, m) - n_m D(i, j)) / (n_i + n_j + n_m),
 * starting from squared Euclidean distances. Merge heights are sqrt(D), as in scipy's `linkage(method='ward')`.
 *
 * Meant for samples of a few thousand points (the comparison with k-means runs on such a sample); `ward` samples
 * and assigns the other rows to the nearest centroid of the sample's clusters.
 */
import { selectRows, type Matrix } from '../util/matrix';
import { createRng, sampleIndices } from '../util/random';
import { assignToCentroids } from './kmeans';

// Module-scope aliases of globals used per element: under a vm context (Jest's sandbox) every global lookup in a
// loop goes through the context's interceptors (10-80x slower); a module binding is resolved once.
const isFiniteNumber = Number.isFinite;
const INFINITY = Infinity;

export interface Merge {
  /** Representatives (row indices) of the two merged clusters, a < b. */
  a: number;
  b: number;
  /** Ward distance: sqrt of the Lance-Williams value (scipy's linkage height). */
  height: number;
  /** Size of the merged cluster. */
  size: number;
}

/** Refuse to allocate more than this many points' condensed matrix (20,000 points: 1.6 GB). */
export const WARD_MAX_POINTS = 20000;

/** The n - 1 merges, sorted by increasing height (stable for ties). */
export function wardMerges(X: Matrix): Merge[] {
  const { rows: n, cols: d, data } = X;
  if (n > WARD_MAX_POINTS) throw new Error(`Ward on ${n} points needs O(n^2) memory; use a sample of at most ${WARD_MAX_POINTS}`);
  if (n < 2) return [];
  for (let i = 0; i < data.length; i++) if (!isFiniteNumber(data[i])) throw new Error(`non-finite value at row ${Math.floor(i / d)}`);
  // Condensed index of the pair (i, j), i < j: rowStart[i] + j.
  const rowStart = new Float64Array(n);
  for (let i = 0; i < n; i++) rowStart[i] = i * n - (i * (i + 1)) / 2 - i - 1;
  const D = new Float64Array((n * (n - 1)) / 2);
  for (let i = 0; i < n; i++) {
    const io = i * d;
    const base = rowStart[i];
    for (let j = i + 1; j < n; j++) {
      const jo = j * d;
      let s = 0;
      for (let t = 0; t < d; t++) {
        const e = data[io + t] - data[jo + t];
        s += e * e;
      }
      D[base + j] = s;
    }
  }
  const at = (i: number, j: number): number => (i < j ? rowStart[i] + j : rowStart[j] + i);

  const size = new Float64Array(n).fill(1);
  // Active clusters (each identified by one of its rows), kept compact for the neighbour scans.
  const active = Int32Array.from({ length: n }, (_, i) => i);
  const slot = Int32Array.from({ length: n }, (_, i) => i);
  let activeCount = n;
  const chain = new Int32Array(n);
  let chainLength = 0;
  const merges: Merge[] = [];

  while (activeCount > 1) {
    if (chainLength === 0) chain[chainLength++] = active[0];
    for (;;) {
      const a = chain[chainLength - 1];
      const prev = chainLength > 1 ? chain[chainLength - 2] : -1;
      // Nearest active neighbour of a; on ties prefer the previous chain element, which guarantees termination.
      let best = prev;
      let bestD = prev >= 0 ? D[at(a, prev)] : INFINITY;
      for (let s = 0; s < activeCount; s++) {
        const c = active[s];
        if (c === a) continue;
        const v = D[at(a, c)];
        if (v < bestD) {
          bestD = v;
          best = c;
        }
      }
      if (best !== prev) {
        chain[chainLength++] = best;
        continue;
      }
      // a and prev are reciprocal nearest neighbours: merge a into prev.
      chainLength -= 2;
      const na = size[a];
      const nb = size[prev];
      for (let s = 0; s < activeCount; s++) {
        const c = active[s];
        if (c === a || c === prev) continue;
        const nc = size[c];
        const iac = at(a, c);
        const ibc = at(prev, c);
        D[ibc] = ((na + nc) * D[iac] + (nb + nc) * D[ibc] - nc * bestD) / (na + nb + nc);
      }
      size[prev] = na + nb;
      // Remove a from the active list (swap with the last).
      const s = slot[a];
      const last = active[activeCount - 1];
      active[s] = last;
      slot[last] = s;
      activeCount--;
      merges.push({ a: Math.min(a, prev), b: Math.max(a, prev), height: Math.sqrt(Math.max(bestD, 0)), size: na + nb });
      break;
    }
  }
  // Array.prototype.sort is stable: equal heights keep the order in which they were found.
  return merges.sort((x, y) => x.height - y.height);
}

/**
 * Labels 0..k-1 from applying the n - k lowest merges (cutting the tree into k clusters). Clusters are numbered in
 * order of their first row.
 */
export function cutTree(merges: readonly Merge[], n: number, k: number): Int32Array {
  if (!Number.isInteger(k) || k < 1 || k > n) throw new Error(`k must be an integer in [1, ${n}], got ${k}`);
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]];
    return i;
  };
  for (let m = 0; m < n - k; m++) parent[find(merges[m].a)] = find(merges[m].b);
  const ids = new Int32Array(n).fill(-1);
  const labels = new Int32Array(n);
  let next = 0;
  for (let i = 0; i < n; i++) {
    const r = find(i);
    if (ids[r] < 0) ids[r] = next++;
    labels[i] = ids[r];
  }
  return labels;
}

/** Ward clusters of all rows of X (O(n^2) memory: a few thousand rows). */
export function wardClusters(X: Matrix, k: number): Int32Array {
  return cutTree(wardMerges(X), X.rows, k);
}

export interface WardResult {
  /** Cluster of every row of X: from the tree for sampled rows, nearest sample-cluster centroid for the others. */
  labels: Int32Array;
  /** Rows the tree was built on (increasing), and their labels. */
  sample: Int32Array;
  sampleLabels: Int32Array;
  /** k x cols centroids of the sample's clusters. */
  centroids: Float64Array;
  merges: Merge[];
}

/**
 * Ward clustering of X into k clusters, built on a seeded sample of at most `sampleSize` rows (default 5,000; all
 * rows when n is smaller).
 */
export function ward(X: Matrix, k: number, opts: { sampleSize?: number; seed?: number } = {}): WardResult {
  const { rows: n, cols: d } = X;
  const size = Math.min(n, opts.sampleSize ?? 5000);
  const sample = sampleIndices(n, size, createRng(opts.seed ?? 0));
  const S = size === n ? X : selectRows(X, sample);
  const merges = wardMerges(S);
  const sampleLabels = cutTree(merges, S.rows, k);
  const centroids = new Float64Array(k * d);
  const counts = new Float64Array(k);
  for (let r = 0; r < S.rows; r++) {
    counts[sampleLabels[r]]++;
    for (let t = 0; t < d; t++) centroids[sampleLabels[r] * d + t] += S.data[r * d + t];
  }
  for (let c = 0; c < k; c++) for (let t = 0; t < d; t++) centroids[c * d + t] /= counts[c];
  let labels: Int32Array;
  if (size === n) labels = sampleLabels.slice();
  else {
    labels = assignToCentroids(X, centroids, k);
    for (let r = 0; r < sample.length; r++) labels[sample[r]] = sampleLabels[r];
  }
  return { labels, sample, sampleLabels, centroids, merges };
}
