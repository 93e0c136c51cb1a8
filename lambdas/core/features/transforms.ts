/**
 * Turning raw features into model coordinates, with parameters fitted once on the training data and
 * stored in the model: a model always transforms new data with its own parameters, never refitted ones.
 *
 * Rules (chosen from the data, not per feature by hand):
 * - Reviews: a customer without any known review gets the mean score of reviewed customers with the same
 *   delivery outcome (at least one late delivery, or none), because lateness is what drives the score.
 * - Logarithm: log1p is applied to a feature when it is never negative, its skewness exceeds 1, and the
 *   log reduces the absolute skewness (money, counts; not recency or delay, which are not that skewed).
 * - Scaling: every coordinate is standardised to mean 0 and standard deviation 1.
 */
import { FEATURE_NAMES, FeatureTransform, SegmentModel } from '../model/types';
import { Matrix, createMatrix } from '../util/matrix';
import { FEATURE_INDEX } from './customerFeatures';

export const REVIEW_IMPUTATION_RULE =
  'customers without a known review get the mean review score of reviewed customers with the same delivery outcome (any late delivery, or none)';

/** Module-scope alias for the per-value loop (a global `Math` lookup is slow in sandboxes such as Jest's vm). */
const { log1p } = Math;

export type ReviewImputation = SegmentModel['reviewImputation'];

export function fitReviewImputation(values: Matrix): ReviewImputation {
  const { rows, cols, data } = values;
  const sum = [0, 0];
  const n = [0, 0];
  for (let i = 0; i < rows; i++) {
    const s = data[i * cols + FEATURE_INDEX.reviewScore];
    if (Number.isNaN(s)) continue;
    const g = data[i * cols + FEATURE_INDEX.lateShare] > 0 ? 1 : 0;
    sum[g] += s;
    n[g]++;
  }
  const all = (sum[0] + sum[1]) / Math.max(1, n[0] + n[1]);
  return { rule: REVIEW_IMPUTATION_RULE, onTime: n[0] ? sum[0] / n[0] : all, late: n[1] ? sum[1] / n[1] : all };
}

/** A copy of the raw values with missing review scores filled by the fitted rule. */
export function imputeReviews(values: Matrix, imp: ReviewImputation): Matrix {
  const out = createMatrix(values.rows, values.cols, values.data.slice());
  const { rows, cols, data } = out;
  for (let i = 0; i < rows; i++) {
    const at = i * cols + FEATURE_INDEX.reviewScore;
    if (Number.isNaN(data[at])) data[at] = data[i * cols + FEATURE_INDEX.lateShare] > 0 ? imp.late : imp.onTime;
  }
  return out;
}

export function skewness(x: ArrayLike<number>): number {
  const n = x.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i];
  mean /= n;
  let m2 = 0;
  let m3 = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i] - mean;
    m2 += d * d;
    m3 += d * d * d;
  }
  m2 /= n;
  m3 /= n;
  return m2 > 0 ? m3 / Math.pow(m2, 1.5) : 0;
}

function column(m: Matrix, j: number): Float64Array {
  const out = new Float64Array(m.rows);
  for (let i = 0; i < m.rows; i++) out[i] = m.data[i * m.cols + j];
  return out;
}

/** Fits the log/scaling parameters on imputed raw values (FEATURE_NAMES order). */
export function fitTransforms(values: Matrix): FeatureTransform[] {
  return FEATURE_NAMES.map((name, j) => {
    const x = column(values, j);
    let min = Infinity;
    for (let i = 0; i < x.length; i++) if (x[i] < min) min = x[i];
    const skew = skewness(x);
    const logged = x.map(Math.log1p);
    const log = min >= 0 && skew > 1 && Math.abs(skewness(logged)) < Math.abs(skew);
    const t = log ? logged : x;
    let mean = 0;
    for (let i = 0; i < t.length; i++) mean += t[i];
    mean /= t.length || 1;
    let v = 0;
    for (let i = 0; i < t.length; i++) v += (t[i] - mean) ** 2;
    const std = Math.sqrt(v / (t.length || 1));
    return { name, log, mean, std: std > 0 ? std : 1 };
  });
}

/** Model coordinates of imputed raw values, with the given (stored) parameters. */
export function applyTransforms(values: Matrix, transforms: readonly FeatureTransform[]): Matrix {
  const { rows, cols } = values;
  if (cols !== transforms.length) throw new Error(`expected ${transforms.length} features, got ${cols}`);
  const out = createMatrix(rows, cols);
  const src = values.data;
  const dst = out.data;
  for (let j = 0; j < cols; j++) {
    const { log, mean, std } = transforms[j];
    for (let i = 0; i < rows; i++) {
      const raw = src[i * cols + j];
      dst[i * cols + j] = ((log ? log1p(raw > 0 ? raw : 0) : raw) - mean) / std;
    }
  }
  return out;
}
