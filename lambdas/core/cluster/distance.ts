/**
 * Squared Euclidean distance between row `i` of `a` and row `j` of `b`, both row-major with `d` columns.
 * Kept as a tiny monomorphic function (always Float64Array arguments) so that V8 inlines it into the hot loops.
 */
export function sqDist(a: Float64Array, i: number, b: Float64Array, j: number, d: number): number {
  let s = 0;
  const ao = i * d;
  const bo = j * d;
  for (let t = 0; t < d; t++) {
    const diff = a[ao + t] - b[bo + t];
    s += diff * diff;
  }
  return s;
}

/** Mean over the columns of the (population) variance of each column: scikit-learn's scale for the k-means tolerance. */
export function meanColumnVariance(data: Float64Array, n: number, d: number): number {
  if (n === 0 || d === 0) return 0;
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let t = 0; t < d; t++) mean[t] += data[i * d + t];
  for (let t = 0; t < d; t++) mean[t] /= n;
  let total = 0;
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < d; t++) {
      const diff = data[i * d + t] - mean[t];
      total += diff * diff;
    }
  }
  return total / n / d;
}
