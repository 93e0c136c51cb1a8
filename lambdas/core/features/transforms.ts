/**
 * Turning raw features into model coordinates, with parameters fitted once on the training data and
 * stored in the model: a model always transforms new data with its own parameters, never refitted ones.
 *
 * Reviews: a customer without any known review gets the mean score of reviewed customers with the same
 * delivery outcome (at least one late delivery, or none), because lateness is what drives the score.
 *
 * The feature space (FEATURE_SPACE below) is designed so that distances mean what marketing means:
 *   coordinate = weight x clamp((t(x) - lo) / (hi - lo), 0, 1)        t = log1p or identity
 * Every coordinate lives in [0, weight], so a feature can add at most weight^2 to a squared distance: no feature
 * dominates by construction. Standardising instead (the first version of this product, and the usual recipe)
 * divides by the standard deviation, and a rare near-binary trait has a tiny one: on the Olist export a second
 * order sat 5.3 standard deviations away, a second category 6, any late order 3.7, while the whole range of
 * recency spanned about 3.5; the partition became a set of rules on those flags and recency played no part.
 *
 * The range [lo, hi] is either a stated domain range (review 1-5 stars; 1 order to 2 or more) or fitted on the
 * training data as the mean +/- 2.5 standard deviations of t(x), cut to the observed minimum and maximum:
 * robust to a few extreme baskets, computable from mergeable moments (the distributed path fits it without
 * moving rows), and it adapts to the length of the history (recency) and the price level (spend).
 * The weights give what marketing acts on (frequency, spend, satisfaction and delivery experience) the full unit each
 * and recency one and a half (it times every campaign); basket and payment habits describe a segment more than they
 * should split one.
 *
 * scikit-learn parity: for each column, FunctionTransformer(np.log1p) where log, np.clip(x, lo, hi), then
 * MinMaxScaler(feature_range=(0, weight)) fitted on [lo, hi]; the review imputation is a grouped SimpleImputer.
 */
import { FEATURE_NAMES, FeatureName, FeatureTransform, SegmentModel } from '../domain/types';
import { Matrix, createMatrix } from '../util/matrix';
import { FEATURE_INDEX } from './customerFeatures';

export const REVIEW_IMPUTATION_RULE =
  'customers without a known review get the mean review score of reviewed customers with the same delivery outcome (any late delivery, or none)';

/** Module-scope alias for the per-value loop (a global `Math` lookup is slow in sandboxes such as Jest's vm). */
const { log1p, sqrt } = Math;

export type ReviewImputation = SegmentModel['reviewImputation'];

/** How one feature enters the model space, and why. */
export interface FeatureScaleRule {
  /** log1p before scaling (money: a R$ 50 difference matters at R$ 60, not at R$ 2,000). */
  log: boolean;
  /** A stated domain range, or 'fitted': mean +/- FITTED_SPREAD standard deviations of t(x), within [min, max]. */
  range: readonly [number, number] | 'fitted';
  /** Largest contribution of the feature to a distance (0: profiled and named on, never clustered on). */
  weight: number;
  why: string;
}

/** Standard deviations either side of the mean that a fitted range covers. */
export const FITTED_SPREAD = 2.5;

export const FEATURE_SPACE: Readonly<Record<FeatureName, FeatureScaleRule>> = {
  recencyDays: { log: false, range: 'fitted', weight: 1.5, why: 'when a customer last bought decides the campaign (nurture, or win-back) and is what changes with time; at weight 1 k-means cut it in two at most, so it carries 1.5; the range follows the length of the history' },
  frequency: { log: false, range: [1, 2], weight: 1, why: 'one order or more than one: coming back is the first thing that tells a loyal customer, and a repeat buyer moves a customer as far as the whole range of another unit-weight feature, not five times further' },
  monetary: { log: true, range: 'fitted', weight: 1, why: 'value, on a log scale (differences matter relative to the basket), extreme baskets capped' },
  reviewScore: { log: false, range: [1, 5], weight: 1, why: 'satisfaction on its own 1-5 star scale: an unhappy customer must not receive a promotion' },
  deliveryDelayDays: { log: false, range: [-20, 20], weight: 1, why: 'delivery experience, from three weeks early to three weeks late; beyond that the experience does not change' },
  lateShare: { log: false, range: [0, 1], weight: 0, why: 'profiled and named on, not clustered on: the delay already carries lateness, a second copy would double it' },
  items: { log: false, range: [1, 3], weight: 0.5, why: 'basket size describes a segment more than it should split one' },
  categories: { log: false, range: [1, 2], weight: 0.25, why: 'almost always equal to 1 for one-order customers; a light touch keeps multi-category baskets together' },
  installments: { log: false, range: [1, 10], weight: 0.5, why: 'payment habit (Brazilian card installments), a secondary trait' },
};

export const FEATURE_SPACE_RULE =
  'coordinate = weight x clamp((t(x) - lo) / (hi - lo), 0, 1), t = log1p for spend; [lo, hi] a stated range or the mean +/- 2.5 standard deviations of t(x) within the observed range; weights 1.5 for recency, 1 for frequency (1 to 2 orders), spend, review and delivery delay, 0.5 for items and installments, 0.25 for categories, 0 for late share';

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

/** Summary statistics of t(x) that a fitted range needs (also what the distributed path merges). */
export interface RangeStats {
  n: number;
  mean: number;
  /** Population variance. */
  variance: number;
  min: number;
  max: number;
}

/** The transform of one feature from its rule and the statistics of t(x) on the training data. */
export function transformFromStats(name: FeatureName, s: RangeStats): FeatureTransform {
  const rule = FEATURE_SPACE[name];
  let lo: number;
  let hi: number;
  if (rule.range === 'fitted') {
    const sd = sqrt(Math.max(0, s.variance));
    lo = s.n ? Math.max(s.min, s.mean - FITTED_SPREAD * sd) : 0;
    hi = s.n ? Math.min(s.max, s.mean + FITTED_SPREAD * sd) : 1;
  } else [lo, hi] = rule.range;
  // A constant feature (one value everywhere) has no range to scale over: it sits at 0.
  if (!(hi > lo)) hi = lo + 1;
  return { name, log: rule.log, lo, hi, weight: rule.weight };
}

/** Fits the scaling parameters on imputed raw values (FEATURE_NAMES order). */
export function fitTransforms(values: Matrix): FeatureTransform[] {
  const { rows, cols, data } = values;
  return FEATURE_NAMES.map((name, j) => {
    const log = FEATURE_SPACE[name].log;
    let mean = 0;
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < rows; i++) {
      const raw = data[i * cols + j];
      const t = log ? log1p(raw > 0 ? raw : 0) : raw;
      mean += t;
      if (t < min) min = t;
      if (t > max) max = t;
    }
    mean /= rows || 1;
    let ss = 0;
    for (let i = 0; i < rows; i++) {
      const raw = data[i * cols + j];
      const d = (log ? log1p(raw > 0 ? raw : 0) : raw) - mean;
      ss += d * d;
    }
    return transformFromStats(name, { n: rows, mean, variance: ss / (rows || 1), min, max });
  });
}

/** The fitted feature space of raw values: review imputation, imputed values, transforms and model coordinates. */
export interface FittedFeatureSpace {
  reviewImputation: ReviewImputation;
  imputed: Matrix;
  transforms: FeatureTransform[];
  X: Matrix;
}

/**
 * The production chain on raw feature values: impute reviews, fit the transforms, apply them. `fitted`: parameters
 * fitted elsewhere (the distributed path fits them exactly over every partition, then trains on a sample).
 */
export function featureSpace(values: Matrix, fitted?: Pick<FittedFeatureSpace, 'reviewImputation' | 'transforms'>): FittedFeatureSpace {
  const reviewImputation = fitted?.reviewImputation ?? fitReviewImputation(values);
  const imputed = imputeReviews(values, reviewImputation);
  const transforms = fitted?.transforms ?? fitTransforms(imputed);
  return { reviewImputation, imputed, transforms, X: applyTransforms(imputed, transforms) };
}

/** Model coordinates of imputed raw values, with the given (stored) parameters. */
export function applyTransforms(values: Matrix, transforms: readonly FeatureTransform[]): Matrix {
  const { rows, cols } = values;
  if (cols !== transforms.length) throw new Error(`expected ${transforms.length} features, got ${cols}`);
  const out = createMatrix(rows, cols);
  const src = values.data;
  const dst = out.data;
  for (let j = 0; j < cols; j++) {
    const { log, lo, hi, weight } = transforms[j];
    const scale = weight / (hi - lo);
    for (let i = 0; i < rows; i++) {
      const raw = src[i * cols + j];
      let t = log ? log1p(raw > 0 ? raw : 0) : raw;
      t = t < lo ? lo : t > hi ? hi : t;
      dst[i * cols + j] = (t - lo) * scale;
    }
  }
  return out;
}

/** One raw value in model coordinates (the same rule as applyTransforms). */
export function toCoordinate(raw: number, t: FeatureTransform): number {
  let v = t.log ? log1p(raw > 0 ? raw : 0) : raw;
  v = v < t.lo ? t.lo : v > t.hi ? t.hi : v;
  return ((v - t.lo) * t.weight) / (t.hi - t.lo);
}

/** The raw value of a model coordinate inside the range (the inverse of toCoordinate; weight 0 gives lo). */
export function fromCoordinate(z: number, t: FeatureTransform): number {
  const v = t.weight > 0 ? t.lo + (z / t.weight) * (t.hi - t.lo) : t.lo;
  return t.log ? Math.expm1(v) : v;
}
