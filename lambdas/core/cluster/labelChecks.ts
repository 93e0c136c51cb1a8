/** Checks of a partition's labels shared by the validity metrics (metrics.ts, silhouette.ts). */

export function checkLabels(labels: ArrayLike<number>, n: number, k: number): void {
  if (labels.length !== n) throw new Error(`${labels.length} labels for ${n} rows`);
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    if (!(Number.isInteger(l) && l >= 0 && l < k)) throw new Error(`label ${l} at row ${i} is not an integer in [0, ${k})`);
  }
}

/** scikit-learn's check_number_of_labels. */
export function checkClusterCount(present: number, n: number): void {
  if (present < 2 || present > n - 1) throw new RangeError(`number of clusters is ${present}; valid values are 2 to n - 1 = ${n - 1} (inclusive)`);
}
