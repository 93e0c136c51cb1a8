/**
 * Gaussian mixture with diagonal covariances, fitted by EM and initialised from a k-means partition.
 * Used as an alternative to k-means on the same features: soft, elliptical clusters instead of spheres.
 */
import { Matrix } from '../util/matrix';

export interface GmmResult {
  k: number;
  weights: Float64Array;
  means: Float64Array;
  variances: Float64Array;
  labels: Int32Array;
  logLikelihood: number;
  bic: number;
  iterations: number;
  converged: boolean;
}

const MIN_VAR = 1e-6;

export function gaussianMixture(X: Matrix, k: number, init: ArrayLike<number>, opts: { maxIter?: number; tol?: number } = {}): GmmResult {
  const { rows: n, cols: d, data } = X;
  const maxIter = opts.maxIter ?? 100;
  const tol = opts.tol ?? 1e-4;
  const weights = new Float64Array(k);
  const means = new Float64Array(k * d);
  const variances = new Float64Array(k * d);
  const resp = new Float64Array(n * k);
  for (let i = 0; i < n; i++) resp[i * k + init[i]] = 1;
  const logp = new Float64Array(k);
  let prev = -Infinity;
  let ll = -Infinity;
  let it = 0;
  let converged = false;
  for (; it < maxIter; it++) {
    // M step
    weights.fill(0);
    means.fill(0);
    variances.fill(0);
    for (let i = 0; i < n; i++)
      for (let c = 0; c < k; c++) {
        const r = resp[i * k + c];
        if (r === 0) continue;
        weights[c] += r;
        for (let j = 0; j < d; j++) means[c * d + j] += r * data[i * d + j];
      }
    for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) means[c * d + j] /= Math.max(weights[c], 1e-300);
    for (let i = 0; i < n; i++)
      for (let c = 0; c < k; c++) {
        const r = resp[i * k + c];
        if (r === 0) continue;
        for (let j = 0; j < d; j++) {
          const t = data[i * d + j] - means[c * d + j];
          variances[c * d + j] += r * t * t;
        }
      }
    for (let c = 0; c < k; c++) {
      for (let j = 0; j < d; j++) variances[c * d + j] = Math.max(variances[c * d + j] / Math.max(weights[c], 1e-300), MIN_VAR);
      weights[c] /= n;
    }
    // E step (log-sum-exp for stability)
    const logNorm = new Float64Array(k);
    for (let c = 0; c < k; c++) {
      let s = Math.log(Math.max(weights[c], 1e-300)) - 0.5 * d * Math.log(2 * Math.PI);
      for (let j = 0; j < d; j++) s -= 0.5 * Math.log(variances[c * d + j]);
      logNorm[c] = s;
    }
    ll = 0;
    for (let i = 0; i < n; i++) {
      let max = -Infinity;
      for (let c = 0; c < k; c++) {
        let s = logNorm[c];
        for (let j = 0; j < d; j++) {
          const t = data[i * d + j] - means[c * d + j];
          s -= (0.5 * t * t) / variances[c * d + j];
        }
        logp[c] = s;
        if (s > max) max = s;
      }
      let sum = 0;
      for (let c = 0; c < k; c++) sum += Math.exp(logp[c] - max);
      const lse = max + Math.log(sum);
      ll += lse;
      for (let c = 0; c < k; c++) resp[i * k + c] = Math.exp(logp[c] - lse);
    }
    if (Math.abs(ll - prev) <= tol * Math.abs(ll)) {
      converged = true;
      it++;
      break;
    }
    prev = ll;
  }
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (resp[i * k + c] > resp[i * k + best]) best = c;
    labels[i] = best;
  }
  const params = k - 1 + 2 * k * d;
  return { k, weights, means, variances, labels, logLikelihood: ll, bic: -2 * ll + params * Math.log(n), iterations: it, converged };
}
