/**
 * Greedy k-means++ seeding, as scikit-learn's `_kmeans_plusplus`: the first centre is a uniformly drawn point; every
 * further centre is the best of `2 + floor(ln k)` candidates drawn with probability proportional to the squared
 * distance to the nearest centre chosen so far, "best" meaning the candidate that leaves the smallest potential
 * (sum of squared distances to the nearest centre).
 *
 * The rows are taken from a k-d tree (kdTree.ts) whose nodes carry the sum and the max of the points' squared
 * distances to their nearest centre. Three exact shortcuts make a trial much cheaper than n distances:
 * - Subtree pruning. If the candidate z is at least sqrt(max) beyond a node's bounding sphere, no point below the
 *   node can get closer to z than to its current centre: the node contributes its sum, unvisited.
 * - Point pruning. A point x whose nearest centre is c_a cannot get closer to z when |z - c_a| >= 2 |x - c_a|
 *   (then |x - z| >= |z - c_a| - |x - c_a| >= |x - c_a|): a comparison against a per-centre threshold.
 * - Early stop. A trial's potential only grows as nodes are added, so it stops once it exceeds the best one.
 * Sampling descends the tree by the node sums, so no O(n) cumulative sum is needed either.
 *
 * It also leaves behind what Hamerly's k-means needs to start: each point's nearest centre, the exact distance to
 * it (upper bound) and a valid lower bound on the distance to the second nearest centre, which saves the first
 * full assignment pass.
 */
import { sqDist } from './distance';
import type { KdTree } from './kdTree';
import type { SeedingKernels } from './kernels';
import type { Rng } from '../util/random';

// Module-scope aliases of globals used per element: under a vm context (Jest's sandbox) every global lookup in a
// loop goes through the context's interceptors (10-80x slower); a module binding is resolved once.
const { sqrt } = Math;
const INFINITY = Infinity;

/** Buffers sized for the tree and k centres; reused across the initialisations of one fit. */
export interface SeedingState {
  /** k*d centre coordinates. */
  centers: Float64Array;
  /** Index of the nearest chosen centre of each point (rows in leaf order). */
  labels: Int32Array;
  /** Exact Euclidean distance of each point to centre labels[i]. */
  upper: Float64Array;
  /** Lower bound on the Euclidean distance of each point to every centre other than labels[i]. */
  lower: Float64Array;
  /** Squared distance to the nearest centre. */
  closest: Float64Array;
  /** Per node: sum and max of `closest` below it; lower bound on the distance to the centres that pruned it. */
  nodeSum: Float64Array;
  nodeMax: Float64Array;
  nodeLower: Float64Array;
  /** Depth-first traversal stack. */
  stack: Int32Array;
  /** Quarter of the squared distance between the candidate and each chosen centre. */
  threshold: Float64Array;
  /** Distance between the committed centre and each earlier centre. */
  centerDist: Float64Array;
  out: Float64Array;
}

export function createSeedingState(tree: KdTree, k: number): SeedingState {
  const { n, d } = tree;
  const nodes = tree.start.length;
  return {
    centers: new Float64Array(k * d),
    labels: new Int32Array(n),
    upper: new Float64Array(n),
    lower: new Float64Array(n),
    closest: new Float64Array(n),
    nodeSum: new Float64Array(nodes),
    nodeMax: new Float64Array(nodes),
    nodeLower: new Float64Array(nodes),
    stack: new Int32Array(nodes + 1),
    threshold: new Float64Array(k),
    centerDist: new Float64Array(k),
    out: new Float64Array(2),
  };
}

/** Number of local trials per centre used by scikit-learn (Arthur & Vassilvitskii suggest O(log k)). */
export function localTrials(k: number): number {
  return 2 + Math.floor(Math.log(k));
}

/** Chooses k centres among the rows into `state.centers` and fills labels/upper/lower. Deterministic for an rng state. */
export function kmeansPlusPlus(tree: KdTree, k: number, rng: Rng, state: SeedingState, kernels: SeedingKernels): void {
  const { x, n, d } = tree;
  const { centers, upper, lower, closest, nodeLower, threshold, centerDist } = state;
  const trials = localTrials(k);

  // First centre: every point's nearest so far, nothing pruned (closest = Infinity, threshold = -1).
  const first = rng.int(n);
  centers.set(x.subarray(first * d, first * d + d), 0);
  closest.fill(Infinity);
  state.labels.fill(0);
  lower.fill(Infinity);
  nodeLower.fill(Infinity);
  threshold[0] = -1;
  commit(tree, state, kernels, 0, first * d, 0, false);

  for (let c = 1; c < k; c++) {
    const potential = state.nodeSum[0];
    let best = -1;
    let bestPotential = Infinity;
    for (let t = 0; t < trials; t++) {
      const r = rng.next();
      const candidate = potential > 0 ? sampleIndex(tree, state, r * potential) : rng.int(n);
      for (let j = 0; j < c; j++) threshold[j] = 0.25 * sqDist(x, candidate, centers, j, d);
      const p = trialPotential(tree, state, kernels, candidate * d, bestPotential);
      if (p < bestPotential) {
        bestPotential = p;
        best = candidate;
      }
    }
    // The first trial is always summed completely, so best is set unless the data hold NaN (rejected upstream).
    if (best < 0) best = rng.int(n);

    centers.set(x.subarray(best * d, best * d + d), c * d);
    for (let j = 0; j < c; j++) {
      const dd = sqDist(centers, c, centers, j, d);
      threshold[j] = 0.25 * dd;
      centerDist[j] = Math.sqrt(dd);
    }
    commit(tree, state, kernels, 0, best * d, c, true);
  }

  pushLowerBounds(tree, state, 0, Infinity);
  for (let i = 0; i < n; i++) upper[i] = sqrt(closest[i]);
}

/** Distance from the point at row offset `co` of x to the sphere of node v (negative inside). */
function sphereGap(tree: KdTree, v: number, co: number): number {
  const { x, d, center } = tree;
  const vo = v * d;
  let s = 0;
  for (let t = 0; t < d; t++) {
    const e = x[co + t] - center[vo + t];
    s += e * e;
  }
  return sqrt(s) - tree.radius[v];
}

/** Potential with the candidate at row offset `co` added, or some value >= stopAt once it is known to exceed it. */
function trialPotential(tree: KdTree, state: SeedingState, kernels: SeedingKernels, co: number, stopAt: number): number {
  const { start, end, left, right } = tree;
  const { nodeSum, nodeMax, stack } = state;
  let p = 0;
  let top = 0;
  stack[top++] = 0;
  while (top > 0 && p < stopAt) {
    const v = stack[--top];
    const gap = sphereGap(tree, v, co);
    if (gap > 0 && gap * gap >= nodeMax[v]) p += nodeSum[v];
    else if (left[v] < 0) p += kernels.candidateRange(start[v], end[v], co);
    else {
      stack[top++] = right[v];
      stack[top++] = left[v];
    }
  }
  return p;
}

/**
 * Makes the row at offset `co` centre number c below node v and refreshes the node sums and maxima on the way back.
 * With `prune`, subtrees whose points cannot get closer are skipped, recording how far the new centre is from them.
 */
function commit(tree: KdTree, state: SeedingState, kernels: SeedingKernels, v: number, co: number, c: number, prune: boolean): void {
  const { nodeSum, nodeMax, nodeLower } = state;
  if (prune) {
    const gap = sphereGap(tree, v, co);
    if (gap > 0 && gap * gap >= nodeMax[v]) {
      if (gap < nodeLower[v]) nodeLower[v] = gap;
      return;
    }
  }
  const l = tree.left[v];
  if (l < 0) {
    kernels.commitRange(tree.start[v], tree.end[v], co, c);
    nodeSum[v] = state.out[0];
    nodeMax[v] = state.out[1];
    return;
  }
  const r = tree.right[v];
  commit(tree, state, kernels, l, co, c, prune);
  commit(tree, state, kernels, r, co, c, prune);
  nodeSum[v] = nodeSum[l] + nodeSum[r];
  nodeMax[v] = nodeMax[l] > nodeMax[r] ? nodeMax[l] : nodeMax[r];
}

/** Applies the node-level lower bounds recorded by pruned commits to the points below them. */
function pushLowerBounds(tree: KdTree, state: SeedingState, v: number, bound: number): void {
  const b = state.nodeLower[v] < bound ? state.nodeLower[v] : bound;
  const l = tree.left[v];
  if (l < 0) {
    if (b === INFINITY) return;
    const { lower } = state;
    for (let i = tree.start[v]; i < tree.end[v]; i++) if (b < lower[i]) lower[i] = b;
    return;
  }
  pushLowerBounds(tree, state, l, b);
  pushLowerBounds(tree, state, tree.right[v], b);
}

/**
 * The point where the cumulative weight (`closest`, in row order) first exceeds r, found by descending the tree by
 * the node sums and scanning one leaf. Its own weight is then > 0, so a chosen centre is never drawn again.
 */
function sampleIndex(tree: KdTree, state: SeedingState, r: number): number {
  const { left, right, start, end } = tree;
  const { nodeSum, closest } = state;
  let v = 0;
  while (left[v] >= 0) {
    const l = left[v];
    if (r < nodeSum[l] || nodeSum[right[v]] === 0) v = l;
    else {
      r -= nodeSum[l];
      v = right[v];
    }
  }
  let acc = 0;
  let last = -1;
  for (let i = start[v]; i < end[v]; i++) {
    const w = closest[i];
    if (w > 0) {
      acc += w;
      last = i;
      if (acc > r) return i;
    }
  }
  if (last >= 0) return last; // r was a rounding error past the leaf's own sum
  // Only reachable through rounding into a zero-weight leaf: take the nearest positive-weight point before it.
  for (let i = start[v] - 1; i >= 0; i--) if (closest[i] > 0) return i;
  for (let i = end[v]; i < tree.n; i++) if (closest[i] > 0) return i;
  return start[v];
}
