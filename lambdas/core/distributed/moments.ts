/**
 * Mergeable statistics, so that the feature transforms (features/transforms.ts) are fitted over ALL partitions
 * without moving the rows: each partition summarises its rows, the reducer merges the summaries.
 *
 * Moments: count, mean and the central sums M2 = sum (x - mean)^2 and M3 = sum (x - mean)^3, merged pairwise with
 * the formulas of Chan, Golub & LeVeque (1979) for M2 and Pébay (2008) for M3. They are numerically stable (no
 * sum of squares minus square of sums), and merging in any order gives the single-pass values up to rounding.
 * That is all fitTransforms needs: the mean, the population standard deviation, the minimum and the maximum of the
 * raw or log1p values (features/transforms.ts transformFromStats) give each feature's range.
 *
 * The review imputation depends on statistics of the whole population too (mean known score per delivery
 * outcome), and the imputed scores change the reviewScore moments. Instead of a second pass, partitions keep
 * the moments of the KNOWN scores plus the number of missing ones per outcome; after the imputation values are
 * fitted, each missing group is merged in as a constant block (n values equal to c: mean c, M2 = M3 = 0).
 */
import { FEATURE_INDEX } from '../features/customerFeatures';
import { FEATURE_SPACE, REVIEW_IMPUTATION_RULE, transformFromStats, type ReviewImputation } from '../features/transforms';
import { FEATURE_NAMES, type FeatureTransform } from '../domain/types';
import type { Matrix } from '../util/matrix';

const { log1p } = Math;

export interface Moments {
  n: number;
  mean: number;
  m2: number;
  m3: number;
  min: number;
  max: number;
}

export const emptyMoments = (): Moments => ({ n: 0, mean: 0, m2: 0, m3: 0, min: Infinity, max: -Infinity });

/** Adds one value (Welford's update extended to the third moment). */
export function pushValue(m: Moments, x: number): void {
  const n1 = m.n;
  const n = n1 + 1;
  const delta = x - m.mean;
  const dn = delta / n;
  const term1 = delta * dn * n1;
  m.mean += dn;
  m.m3 += term1 * dn * (n - 2) - 3 * dn * m.m2;
  m.m2 += term1;
  m.n = n;
  if (x < m.min) m.min = x;
  if (x > m.max) m.max = x;
}

/** The moments of a and b together (neither is modified). */
export function mergeMoments(a: Moments, b: Moments): Moments {
  if (a.n === 0) return { ...b };
  if (b.n === 0) return { ...a };
  const n = a.n + b.n;
  const delta = b.mean - a.mean;
  const dn = delta / n;
  const m2 = a.m2 + b.m2 + delta * dn * a.n * b.n;
  const m3 = a.m3 + b.m3 + delta * dn * dn * a.n * b.n * (a.n - b.n) + 3 * dn * (a.n * b.m2 - b.n * a.m2);
  return { n, mean: a.mean + dn * b.n, m2, m3, min: Math.min(a.min, b.min), max: Math.max(a.max, b.max) };
}

/** n copies of the value c. */
export const constantMoments = (n: number, c: number): Moments => (n > 0 ? { n, mean: c, m2: 0, m3: 0, min: c, max: c } : emptyMoments());

/** Population skewness as features/transforms.ts computes it (0 for a constant column). */
export function skewnessOf(m: Moments): number {
  if (m.n === 0) return NaN;
  const v = m.m2 / m.n;
  return v > 0 ? m.m3 / m.n / Math.pow(v, 1.5) : 0;
}

/** What one partition contributes to the transform fit (JSON-serialisable). */
export interface TransformPartial {
  rows: number;
  /** Per feature (FEATURE_NAMES order): moments of the known raw values and of their log1p. */
  raw: Moments[];
  logged: Moments[];
  /** Known review scores per delivery outcome (0: no late delivery, 1: at least one): sum and count. */
  reviewSum: [number, number];
  reviewKnown: [number, number];
  /** Customers without a known review, per delivery outcome. */
  reviewMissing: [number, number];
}

const R = FEATURE_INDEX.reviewScore;
const LATE = FEATURE_INDEX.lateShare;

/** Summary of raw feature values (reviewScore NaN when unknown), one partition. */
export function transformPartial(values: Matrix): TransformPartial {
  const { rows, cols, data } = values;
  if (cols !== FEATURE_NAMES.length) throw new Error(`expected ${FEATURE_NAMES.length} feature columns, got ${cols}`);
  const raw = FEATURE_NAMES.map(emptyMoments);
  const logged = FEATURE_NAMES.map(emptyMoments);
  const out: TransformPartial = { rows, raw, logged, reviewSum: [0, 0], reviewKnown: [0, 0], reviewMissing: [0, 0] };
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    const g = data[o + LATE] > 0 ? 1 : 0;
    for (let j = 0; j < cols; j++) {
      const x = data[o + j];
      if (j === R) {
        if (Number.isNaN(x)) {
          out.reviewMissing[g]++;
          continue;
        }
        out.reviewSum[g] += x;
        out.reviewKnown[g]++;
      }
      pushValue(raw[j], x);
      pushValue(logged[j], log1p(x > 0 ? x : 0));
    }
  }
  return out;
}

export function mergeTransformPartials(parts: readonly TransformPartial[]): TransformPartial {
  const acc: TransformPartial = {
    rows: 0,
    raw: FEATURE_NAMES.map(emptyMoments),
    logged: FEATURE_NAMES.map(emptyMoments),
    reviewSum: [0, 0],
    reviewKnown: [0, 0],
    reviewMissing: [0, 0],
  };
  for (const p of parts) {
    acc.rows += p.rows;
    for (let j = 0; j < FEATURE_NAMES.length; j++) {
      acc.raw[j] = mergeMoments(acc.raw[j], p.raw[j]);
      acc.logged[j] = mergeMoments(acc.logged[j], p.logged[j]);
    }
    for (const g of [0, 1] as const) {
      acc.reviewSum[g] += p.reviewSum[g];
      acc.reviewKnown[g] += p.reviewKnown[g];
      acc.reviewMissing[g] += p.reviewMissing[g];
    }
  }
  return acc;
}

export interface FittedTransforms {
  reviewImputation: ReviewImputation;
  transforms: FeatureTransform[];
  rows: number;
}

/** The same decisions and parameters as fitReviewImputation + fitTransforms on all rows, from the merged summary. */
export function fitFromPartial(p: TransformPartial): FittedTransforms {
  const all = (p.reviewSum[0] + p.reviewSum[1]) / Math.max(1, p.reviewKnown[0] + p.reviewKnown[1]);
  const reviewImputation: ReviewImputation = {
    rule: REVIEW_IMPUTATION_RULE,
    onTime: p.reviewKnown[0] ? p.reviewSum[0] / p.reviewKnown[0] : all,
    late: p.reviewKnown[1] ? p.reviewSum[1] / p.reviewKnown[1] : all,
  };
  const transforms = FEATURE_NAMES.map((name, j): FeatureTransform => {
    let raw = p.raw[j];
    let logged = p.logged[j];
    if (j === R) {
      for (const [g, c] of [
        [0, reviewImputation.onTime],
        [1, reviewImputation.late],
      ] as const) {
        raw = mergeMoments(raw, constantMoments(p.reviewMissing[g], c));
        logged = mergeMoments(logged, constantMoments(p.reviewMissing[g], log1p(c > 0 ? c : 0)));
      }
    }
    const m = FEATURE_SPACE[name].log ? logged : raw;
    return transformFromStats(name, { n: m.n, mean: m.mean, variance: m.n ? m.m2 / m.n : 0, min: m.min, max: m.max });
  });
  return { reviewImputation, transforms, rows: p.rows };
}
