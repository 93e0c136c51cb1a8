/**
 * A balanced k-d tree over the rows of a matrix, stored as flat typed arrays, with the rows copied in leaf order so
 * that every node covers a contiguous range of rows, and a bounding sphere per node.
 *
 * k-means uses it for exact pruning, never for approximation: a k-means++ trial skips a whole subtree when its
 * sphere is too far from the candidate for any of its points to get closer (without touching the points' memory,
 * which is what bounds the speed of these loops), and the Lloyd iterations skip whole leaves whose points provably
 * keep their cluster. Leaf order also gives the iterations memory and branch locality, since neighbouring rows tend
 * to share their cluster.
 *
 * Each node is split at the median of the coordinate with the widest range (estimated on an evenly spaced subsample
 * of at most SPREAD_SAMPLE rows of large nodes), so the tree is balanced and a deterministic function of the data.
 */
import { selectKth } from '../util/select';

export interface KdTree {
  n: number;
  d: number;
  /** The rows in leaf order (n x d, row-major), in a SharedArrayBuffer. */
  x: Float64Array;
  /** perm[j] = index in the original matrix of row j of `x`. */
  perm: Int32Array;
  /** Nodes in pre-order (root = 0); node v covers rows start[v] .. end[v]-1 of `x`. */
  start: Int32Array;
  end: Int32Array;
  /** Children of internal nodes; -1 for leaves. */
  left: Int32Array;
  right: Int32Array;
  /** Bounding spheres: nodes x d centres and radii. */
  center: Float64Array;
  radius: Float64Array;
  /** Leaf nodes in row order. */
  leaves: Int32Array;
}

const SPREAD_SAMPLE = 256;

// Module-scope alias of a global used per sampled row (see ward.ts: Jest's sandbox makes loop-time global lookups
// 10-80x slower).
const floor = Math.floor;

export function buildKdTree(data: Float64Array, n: number, d: number, leafSize: number): KdTree {
  if (!(leafSize >= 1)) throw new Error(`leafSize must be >= 1, got ${leafSize}`);
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  const keys = new Float64Array(n);
  // A balanced tree on n rows with leaves of at most leafSize rows has fewer than 2 * ceil(n / (leafSize/2)) nodes.
  const cap = 2 * Math.ceil(n / Math.max(1, Math.floor(leafSize / 2))) + 1;
  const start = new Int32Array(cap);
  const end = new Int32Array(cap);
  const left = new Int32Array(cap).fill(-1);
  const right = new Int32Array(cap).fill(-1);
  let nodes = 0;

  // Depth-first with an explicit stack (right pushed first), numbering nodes in pre-order: a left child directly
  // follows its parent, and every child has a larger index than its parent. Stack entries: start, end, parent,
  // side (0 left, 1 right).
  const stack: number[] = n > 0 ? [0, n, -1, 0] : [];
  while (stack.length) {
    const side = stack.pop()!;
    const parent = stack.pop()!;
    const e = stack.pop()!;
    const s = stack.pop()!;
    const v = nodes++;
    start[v] = s;
    end[v] = e;
    if (parent >= 0) {
      if (side === 0) left[parent] = v;
      else right[parent] = v;
    }
    const len = e - s;
    if (len <= leafSize) continue;
    const dim = widestDimension(data, d, perm, s, e);
    const mid = s + (len >> 1);
    if (dim >= 0) {
      for (let j = s; j < e; j++) keys[j] = data[perm[j] * d + dim];
      selectKth(keys, s, e - 1, mid, perm);
    }
    // dim < 0: the sampled rows are all identical, any split is as good; keep the order.
    stack.push(mid, e, v, 1, s, mid, v, 0);
  }

  // Shared memory, so that worker threads (workerPool.ts) read the rows without a copy.
  const x = new Float64Array(new SharedArrayBuffer(n * d * Float64Array.BYTES_PER_ELEMENT));
  for (let j = 0; j < n; j++) x.set(data.subarray(perm[j] * d, perm[j] * d + d), j * d);

  const leafList: number[] = [];
  for (let v = 0; v < nodes; v++) if (left[v] < 0) leafList.push(v);
  const tree: KdTree = {
    n,
    d,
    x,
    perm,
    start: start.slice(0, nodes),
    end: end.slice(0, nodes),
    left: left.slice(0, nodes),
    right: right.slice(0, nodes),
    center: new Float64Array(nodes * d),
    radius: new Float64Array(nodes),
    leaves: Int32Array.from(leafList),
  };
  computeSpheres(tree);
  return tree;
}

/** The coordinate with the widest range over rows s..e-1 (sampled for large ranges), or -1 if all are equal. */
function widestDimension(data: Float64Array, d: number, perm: Int32Array, s: number, e: number): number {
  const len = e - s;
  const step = len > SPREAD_SAMPLE ? len / SPREAD_SAMPLE : 1;
  const count = len > SPREAD_SAMPLE ? SPREAD_SAMPLE : len;
  let dim = -1;
  let widest = 0;
  for (let t = 0; t < d; t++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let q = 0; q < count; q++) {
      const v = data[perm[s + floor(q * step)] * d + t];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (hi - lo > widest) {
      widest = hi - lo;
      dim = t;
    }
  }
  return dim;
}

/**
 * Leaves: exact spheres (mean centre, largest distance to it). Internal nodes: the mean of the children's centres
 * weighted by size, and a radius covering both children's spheres (a little looser than exact, and O(1) per node).
 */
function computeSpheres(tree: KdTree): void {
  const { x, d, start, end, left, right, center, radius } = tree;
  for (let v = start.length - 1; v >= 0; v--) {
    // Pre-order numbering: children have larger indices, so they are done before their parent.
    const co = v * d;
    const s = start[v];
    const e = end[v];
    if (left[v] < 0) {
      for (let i = s; i < e; i++) for (let t = 0; t < d; t++) center[co + t] += x[i * d + t];
      const inv = 1 / (e - s);
      for (let t = 0; t < d; t++) center[co + t] *= inv;
      let r = 0;
      for (let i = s; i < e; i++) {
        let q = 0;
        for (let t = 0; t < d; t++) {
          const diff = x[i * d + t] - center[co + t];
          q += diff * diff;
        }
        if (q > r) r = q;
      }
      radius[v] = Math.sqrt(r);
    } else {
      const l = left[v];
      const r = right[v];
      const nl = end[l] - start[l];
      const nr = end[r] - start[r];
      for (let t = 0; t < d; t++) center[co + t] = (nl * center[l * d + t] + nr * center[r * d + t]) / (nl + nr);
      let dl = 0;
      let dr = 0;
      for (let t = 0; t < d; t++) {
        const el = center[co + t] - center[l * d + t];
        const er = center[co + t] - center[r * d + t];
        dl += el * el;
        dr += er * er;
      }
      radius[v] = Math.max(Math.sqrt(dl) + radius[l], Math.sqrt(dr) + radius[r]);
    }
    // Slack so that rounding in the centre or in a later distance cannot make a sphere exclude one of its points.
    radius[v] = radius[v] * (1 + 1e-9) + 1e-12;
  }
}
