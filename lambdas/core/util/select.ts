/**
 * Hoare quickselect with median-of-three pivots (Hoare 1961, "Algorithm 65: Find"): puts the kth smallest of
 * keys[lo..hi] at k, smaller keys left of it and larger ones right, in expected linear time. When `perm` is given it
 * is permuted alongside (the k-d tree splits row indices by a coordinate this way).
 */
export function selectKth(keys: Float64Array, lo: number, hi: number, k: number, perm?: Int32Array): void {
  while (hi > lo) {
    const m = (lo + hi) >>> 1;
    if (keys[m] < keys[lo]) swap(keys, perm, m, lo);
    if (keys[hi] < keys[lo]) swap(keys, perm, hi, lo);
    if (keys[hi] < keys[m]) swap(keys, perm, hi, m);
    const pivot = keys[m];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (keys[i] < pivot) i++;
      while (keys[j] > pivot) j--;
      if (i <= j) {
        swap(keys, perm, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

function swap(keys: Float64Array, perm: Int32Array | undefined, a: number, b: number): void {
  const t = keys[a];
  keys[a] = keys[b];
  keys[b] = t;
  if (perm) {
    const p = perm[a];
    perm[a] = perm[b];
    perm[b] = p;
  }
}
