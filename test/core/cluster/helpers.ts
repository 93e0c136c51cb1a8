/** Small data generators and plain reference implementations shared by the cluster tests. */
import { createMatrix, type Matrix } from '../../../lambdas/core/util/matrix';
import { createRng } from '../../../lambdas/core/util/random';

/** n points around `centres` (Gaussian, standard deviation sd), in a seeded random order; truth = centre index. */
export function blobs(n: number, centres: number[][], sd: number, seed: number): { X: Matrix; truth: Int32Array } {
  const rng = createRng(seed);
  const d = centres[0].length;
  const X = createMatrix(n, d);
  const truth = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = rng.int(centres.length);
    truth[i] = c;
    for (let t = 0; t < d; t++) X.data[i * d + t] = centres[c][t] + sd * rng.normal();
  }
  return { X, truth };
}

/** k random centres in [-scale, scale]^d. */
export function randomCentres(k: number, d: number, scale: number, seed: number): number[][] {
  const rng = createRng(seed);
  return Array.from({ length: k }, () => Array.from({ length: d }, () => (2 * rng.next() - 1) * scale));
}

/** Uniform noise in [0, 1)^d. */
export function uniform(n: number, d: number, seed: number): Matrix {
  const rng = createRng(seed);
  const X = createMatrix(n, d);
  for (let i = 0; i < n * d; i++) X.data[i] = rng.next();
  return X;
}

export function sq(x: Float64Array, i: number, c: Float64Array, j: number, d: number): number {
  let s = 0;
  for (let t = 0; t < d; t++) s += (x[i * d + t] - c[j * d + t]) ** 2;
  return s;
}

/** Index of the nearest centre of every row (first on ties), by brute force. */
export function nearest(x: Float64Array, n: number, d: number, centres: Float64Array, k: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = Infinity;
    for (let c = 0; c < k; c++) {
      const s = sq(x, i, centres, c, d);
      if (s < best) {
        best = s;
        out[i] = c;
      }
    }
  }
  return out;
}

/**
 * Textbook Lloyd iterations with scikit-learn's stopping rules (strict: labels unchanged; else sum of squared centre
 * shifts <= tolAbs; final reassignment after a tolerance stop) and its empty-cluster rule (the point farthest from its
 * centre, among clusters with another point). The reference the accelerated version must reproduce.
 */
export function naiveLloyd(x: Float64Array, n: number, d: number, init: Float64Array, k: number, maxIter: number, tolAbs: number) {
  const centres = init.slice();
  let labels = nearest(x, n, d, centres, k);
  let iterations = 0;
  let strict = false;
  for (;;) {
    iterations++;
    const counts = new Float64Array(k);
    for (let i = 0; i < n; i++) counts[labels[i]]++;
    for (let e = 0; e < k; e++) {
      if (counts[e] > 0) continue;
      let far = -1;
      let farDist = -1;
      for (let i = 0; i < n; i++) {
        const s = sq(x, i, centres, labels[i], d);
        if (s > farDist && counts[labels[i]] > 1) {
          farDist = s;
          far = i;
        }
      }
      counts[labels[far]]--;
      counts[e] = 1;
      labels[far] = e;
    }
    const next = new Float64Array(k * d);
    for (let i = 0; i < n; i++) for (let t = 0; t < d; t++) next[labels[i] * d + t] += x[i * d + t];
    let shift = 0;
    for (let c = 0; c < k; c++) {
      for (let t = 0; t < d; t++) {
        next[c * d + t] /= counts[c];
        shift += (next[c * d + t] - centres[c * d + t]) ** 2;
      }
    }
    centres.set(next);
    if (shift <= tolAbs || iterations >= maxIter) break;
    const relabel = nearest(x, n, d, centres, k);
    const same = relabel.every((l, i) => l === labels[i]);
    labels = relabel;
    if (same) {
      strict = true;
      break;
    }
  }
  if (!strict) labels = nearest(x, n, d, centres, k);
  let inertia = 0;
  for (let i = 0; i < n; i++) inertia += sq(x, i, centres, labels[i], d);
  return { centres, labels, iterations, inertia };
}

/** n points around `centres` with a standard deviation per centre and feature (axis-aligned ellipses). */
export function anisotropicBlobs(n: number, centres: number[][], sds: number[][], seed: number): { X: Matrix; truth: Int32Array } {
  const rng = createRng(seed);
  const d = centres[0].length;
  const X = createMatrix(n, d);
  const truth = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = rng.int(centres.length);
    truth[i] = c;
    for (let t = 0; t < d; t++) X.data[i * d + t] = centres[c][t] + sds[c][t] * rng.normal();
  }
  return { X, truth };
}
