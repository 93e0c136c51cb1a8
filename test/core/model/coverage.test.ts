import { coverageOf, eta2 } from '../../../lambdas/core/model/coverage';
import { rfmSpace } from '../../../lambdas/core/model/baseline';
import { FEATURE_NAMES, FeatureName } from '../../../lambdas/core/domain/types';
import { createMatrix, Matrix } from '../../../lambdas/core/util/matrix';

const BASE: Record<FeatureName, number> = { recencyDays: 100, frequency: 1, monetary: 100, reviewScore: 5, deliveryDelayDays: -10, lateShare: 0, items: 1, categories: 1, installments: 1 };

function matrix(rows: Partial<Record<FeatureName, number>>[]): Matrix {
  const m = createMatrix(rows.length, FEATURE_NAMES.length);
  rows.forEach((r, i) => FEATURE_NAMES.forEach((f, j) => (m.data[i * FEATURE_NAMES.length + j] = r[f] ?? BASE[f])));
  return m;
}

describe('coverage of a partition', () => {
  // Segment 0: unsatisfied; segment 1: repeat buyers; segment 2: the rest.
  const rows = [
    { reviewScore: 1 },
    { reviewScore: 2 },
    { reviewScore: NaN }, // no review: not counted among the unhappy, whatever its imputed value
    { frequency: 2, reviewScore: 2 }, // unhappy, but placed with the repeat buyers
    { frequency: 3 },
    { frequency: 2 },
    {},
    { frequency: 2 }, // a repeat buyer outside the repeat segment
  ];
  const labels = Int32Array.from([0, 0, 0, 1, 1, 1, 2, 2]);
  const raw = matrix(rows);
  const imputed = matrix(rows.map((r) => ({ ...r, reviewScore: Number.isNaN(r.reviewScore ?? 5) ? 2.5 : r.reviewScore })));
  const facts = { unsatisfied: [true, false, false], repeat: [false, true, false], meanReview: [1.8, 4, 5] };

  test('unhappy customers (own review <= 2, not imputed) in an unsatisfied segment, and in a low-review one', () => {
    const c = coverageOf(raw, imputed, labels, 3, facts);
    expect(c.unhappy).toBe(3);
    expect(c.unhappyInUnsatisfied).toBeCloseTo(2 / 3);
    expect(c.unhappyInLowReviewSegments).toBeCloseTo(2 / 3);
  });

  test('repeat buyers in a repeat segment', () => {
    const c = coverageOf(raw, imputed, labels, 3, facts);
    expect(c.repeat).toBe(4);
    expect(c.repeatInRepeat).toBe(0.75);
  });

  test('correlation ratios: 1 when the segments split a feature exactly, 0 when they do not differ on it', () => {
    const m = matrix([{ recencyDays: 10 }, { recencyDays: 10 }, { recencyDays: 300 }, { recencyDays: 300 }]);
    expect(eta2(m, FEATURE_NAMES.indexOf('recencyDays'), Int32Array.from([0, 0, 1, 1]), 2, false)).toBeCloseTo(1);
    expect(eta2(m, FEATURE_NAMES.indexOf('recencyDays'), Int32Array.from([0, 1, 0, 1]), 2, false)).toBeCloseTo(0);
    // by hand: values 1, 2, 3, 6 in groups {1, 2} and {3, 6}: between 2 x (1.5 - 3)^2 + 2 x (4.5 - 3)^2 = 9, total 14
    const h = matrix([{ items: 1 }, { items: 2 }, { items: 3 }, { items: 6 }]);
    expect(eta2(h, FEATURE_NAMES.indexOf('items'), Int32Array.from([0, 0, 1, 1]), 2, false)).toBeCloseTo(9 / 14);
  });
});

test('the RFM + satisfaction baseline space: standardised recency, log orders, log spend, review', () => {
  const m = matrix([{ recencyDays: 10, monetary: 50 }, { recencyDays: 200, frequency: 3, monetary: 500, reviewScore: 1 }, {}]);
  const R = rfmSpace(m);
  expect(R.cols).toBe(4);
  for (let c = 0; c < 4; c++) {
    const col = [0, 1, 2].map((i) => R.data[i * 4 + c]);
    expect(col.reduce((a, b) => a + b, 0)).toBeCloseTo(0, 9);
    expect(col.reduce((a, b) => a + b * b, 0) / 3).toBeCloseTo(1, 9);
  }
});
