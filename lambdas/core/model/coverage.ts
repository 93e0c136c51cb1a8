/**
 * Coverage: does a partition put the people marketing must treat differently where their treatment is?
 * A silhouette says how compact the clusters are, not whether the unhappy customers are in an unhappy segment.
 * Computed for every candidate k (summary.json sweep[].coverage) and part of the choice of k (selectK.ts):
 *
 * - unhappyInUnsatisfied: of the customers whose own mean review is 2 stars or less (not imputed), the share in a
 *   segment with the `unsatisfied` trait (segments/traits.ts);
 * - unhappyInLowReviewSegments: of the same customers, the share in a segment whose mean review is 3 or less;
 * - repeatInRepeat: of the customers with two or more orders, the share in a segment with the `repeat` trait;
 * - eta2: the correlation ratio (between-segment sum of squares / total sum of squares) of recency, spend (on a
 *   log scale: a few very large baskets would otherwise decide it) and review score on the segment.
 */
import { FEATURE_INDEX } from '../features/customerFeatures';
import { Matrix } from '../util/matrix';

export interface Coverage {
  unhappyInUnsatisfied: number;
  unhappyInLowReviewSegments: number;
  /** Customers with a mean review of 2 or less (not imputed): the denominator of the two shares above. */
  unhappy: number;
  repeatInRepeat: number;
  repeat: number;
  eta2: { recency: number; spend: number; review: number };
}

export const UNHAPPY_MAX_REVIEW = 2;

export interface SegmentFacts {
  /** Per segment (label value): has the unsatisfied trait, has the repeat trait, mean review. */
  unsatisfied: boolean[];
  repeat: boolean[];
  meanReview: number[];
}

const { log1p } = Math;

/**
 * Coverage of a partition of the clustered customers. `raw` are the features before imputation (to tell real
 * reviews from imputed ones), `imputed` after; labels index into the SegmentFacts arrays.
 */
export function coverageOf(raw: Matrix, imputed: Matrix, labels: Int32Array, k: number, facts: SegmentFacts): Coverage {
  const d = raw.cols;
  const F = FEATURE_INDEX;
  let unhappy = 0;
  let inUnsat = 0;
  let inLow = 0;
  let repeat = 0;
  let inRepeat = 0;
  for (let i = 0; i < raw.rows; i++) {
    const l = labels[i];
    const score = raw.data[i * d + F.reviewScore];
    if (!Number.isNaN(score) && score <= UNHAPPY_MAX_REVIEW) {
      unhappy++;
      if (facts.unsatisfied[l]) inUnsat++;
      if (facts.meanReview[l] <= 3) inLow++;
    }
    if (raw.data[i * d + F.frequency] >= 2) {
      repeat++;
      if (facts.repeat[l]) inRepeat++;
    }
  }
  return {
    unhappyInUnsatisfied: unhappy ? inUnsat / unhappy : 1,
    unhappyInLowReviewSegments: unhappy ? inLow / unhappy : 1,
    unhappy,
    repeatInRepeat: repeat ? inRepeat / repeat : 1,
    repeat,
    eta2: {
      recency: eta2(imputed, F.recencyDays, labels, k, false),
      spend: eta2(imputed, F.monetary, labels, k, true),
      review: eta2(imputed, F.reviewScore, labels, k, false),
    },
  };
}

/** Correlation ratio of column j on the labels (0: the segments do not differ on it, 1: they split it exactly). */
export function eta2(m: Matrix, j: number, labels: Int32Array, k: number, log: boolean): number {
  const sum = new Float64Array(k);
  const count = new Float64Array(k);
  let total = 0;
  let n = 0;
  const v = (i: number) => {
    const x = m.data[i * m.cols + j];
    return log ? log1p(x > 0 ? x : 0) : x;
  };
  for (let i = 0; i < m.rows; i++) {
    const x = v(i);
    if (Number.isNaN(x)) continue;
    sum[labels[i]] += x;
    count[labels[i]]++;
    total += x;
    n++;
  }
  if (!n) return 0;
  const mean = total / n;
  let ssTotal = 0;
  for (let i = 0; i < m.rows; i++) {
    const x = v(i);
    if (!Number.isNaN(x)) ssTotal += (x - mean) ** 2;
  }
  let ssBetween = 0;
  for (let c = 0; c < k; c++) if (count[c]) ssBetween += count[c] * (sum[c] / count[c] - mean) ** 2;
  return ssTotal > 0 ? ssBetween / ssTotal : 0;
}
