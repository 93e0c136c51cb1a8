/**
 * Agglomerative clustering with Ward's criterion, by the nearest-neighbour chain algorithm on squared
 * Euclidean distances with Lance-Williams updates: O(n^2) time and memory, meant for samples of a few
 * thousand points (the comparison with k-means runs on such a sample).
 */
import { Matrix } from '../util/matrix';

export interface Merge {
  a: number;
  b: number;
  height: number;
}

/** The n - 1 merges, sorted by height (increasing Ward cost). */
export function wardMerges(X: Matrix): Merge[] {
  const { rows: n, cols: d, data } = X;
  const D = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      let s = 0;
      for (let t = 0; t < d; t++) {
        const v = data[i * d + t] - data[j * d + t];
        s += v * v;
      }
      D[i * n + j] = D[j * n + i] = s;
    }
  const size = new Float64Array(n).fill(1);
  const active = new Uint8Array(n).fill(1);
  const merges: Merge[] = [];
  const chain: number[] = [];
  let remaining = n;
  while (remaining > 1) {
    if (!chain.length) {
      let first = 0;
      while (!active[first]) first++;
      chain.push(first);
    }
    const a = chain[chain.length - 1];
    const prev = chain.length > 1 ? chain[chain.length - 2] : -1;
    let best = -1;
    let bestD = Infinity;
    for (let c = 0; c < n; c++) {
      if (!active[c] || c === a) continue;
      const v = D[a * n + c];
      if (v < bestD || (v === bestD && c === prev)) {
        bestD = v;
        best = c;
      }
    }
    if (best === prev) {
      chain.pop();
      chain.pop();
      // merge a and prev into prev (Lance-Williams for Ward on squared distances)
      const na = size[a];
      const nb = size[prev];
      for (let c = 0; c < n; c++) {
        if (!active[c] || c === a || c === prev) continue;
        const nc = size[c];
        const v = ((na + nc) * D[a * n + c] + (nb + nc) * D[prev * n + c] - nc * bestD) / (na + nb + nc);
        D[prev * n + c] = D[c * n + prev] = v;
      }
      active[a] = 0;
      size[prev] = na + nb;
      merges.push({ a: Math.min(a, prev), b: Math.max(a, prev), height: Math.sqrt(Math.max(bestD, 0)) });
      remaining--;
    } else chain.push(best);
  }
  return merges.sort((x, y) => x.height - y.height);
}

/** Labels 0..k-1 from cutting the Ward tree into k clusters. */
export function wardClusters(X: Matrix, k: number): Int32Array {
  const n = X.rows;
  const merges = wardMerges(X);
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]];
    return i;
  };
  for (let m = 0; m < n - k; m++) parent[find(merges[m].a)] = find(merges[m].b);
  const ids = new Map<number, number>();
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const r = find(i);
    if (!ids.has(r)) ids.set(r, ids.size);
    labels[i] = ids.get(r)!;
  }
  return labels;
}
