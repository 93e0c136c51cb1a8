/**
 * Training on many customers: above the sweep threshold k is chosen on a seeded sample and the model is fitted at
 * that k on every customer; the mixture alternative is fitted on a sample and labels everyone. Exercised here at a
 * small threshold on a small, well separated feature table, where sampling must not change the outcome.
 */
import { adjustedRandIndex } from '../../../lambdas/core/cluster/ari';
import { emptyUncounted, FeatureTable } from '../../../lambdas/core/features/customerFeatures';
import { compareAlternatives } from '../../../lambdas/core/model/alternatives';
import { trainOnFeatures } from '../../../lambdas/core/model/train';
import { FEATURE_NAMES } from '../../../lambdas/core/domain/types';
import { createMatrix } from '../../../lambdas/core/util/matrix';
import { createRng } from '../../../lambdas/core/util/random';

/** n customers around `groups` well separated centres of the 9 features (all positive, so any log transform applies). */
function separatedTable(n: number, groups: number, seed: number): { table: FeatureTable; truth: Int32Array } {
  const rng = createRng(seed);
  const d = FEATURE_NAMES.length;
  // Group g: its own recency, review level and spend, inside the ranges of the feature space (transforms.ts).
  const centre = (g: number): Record<(typeof FEATURE_NAMES)[number], number> => ({
    recencyDays: 40 + 130 * g,
    frequency: 1,
    monetary: 30 * 2 ** g,
    reviewScore: 1 + (g % 5),
    deliveryDelayDays: -15 + 7 * g,
    lateShare: 0,
    items: 1,
    categories: 1,
    installments: 1 + g,
  });
  const values = createMatrix(n, d);
  const truth = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const g = i % groups;
    truth[i] = g;
    const c = centre(g);
    FEATURE_NAMES.forEach((f, j) => (values.data[i * d + j] = c[f] * (1 + 0.02 * rng.normal())));
  }
  const table: FeatureTable = {
    asOf: Date.parse('2018-09-01'),
    customerIds: Array.from({ length: n }, (_, i) => `c${i}`),
    customerIndex: Int32Array.from({ length: n }, (_, i) => i),
    values,
    firstPurchase: new Float64Array(n),
    notCounted: 0,
    customersWithOrders: n,
    uncounted: emptyUncounted(),
  };
  return { table, truth };
}

const { table, truth } = separatedTable(1500, 5, 7);
const base = { seed: 3, nInit: 3, compare: false, silhouetteSample: 300, kMin: 2, kMax: 7 } as const;

describe('training with the sweep on a sample', () => {
  const full = trainOnFeatures(table, 'fp', { ...base, sweepSample: Infinity });
  const sampled = trainOnFeatures(table, 'fp', { ...base, sweepSample: 400 });

  test('chooses the same k as the sweep on every customer, and says it sampled', () => {
    expect(full.model.k).toBe(5);
    expect(sampled.model.k).toBe(full.model.k);
    expect(full.sweepSample).toBeUndefined();
    expect(sampled.sweepSample).toEqual({ customers: 400, of: 1500 });
    // The sweep's figures are the sample's, the model's those of the fit on everyone.
    expect(sampled.sweep.map((p) => p.k)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(sampled.sweep.find((p) => p.k === 5)!.inertia).toBeLessThan(sampled.model.metrics.inertia);
  });

  test('the model is fitted on every customer: same partition as without sampling', () => {
    expect(sampled.labels.length).toBe(1500);
    expect(adjustedRandIndex(sampled.labels, full.labels)).toBe(1);
    expect(adjustedRandIndex(sampled.labels, truth)).toBe(1);
    expect(sampled.model.metrics.inertia).toBeCloseTo(full.model.metrics.inertia, 6);
    expect(sampled.model.segments.reduce((s, g) => s + g.size, 0)).toBe(1500);
    expect(sampled.model.people).toBe(1500);
  });

  test('below the threshold nothing changes', () => {
    const defaults = trainOnFeatures(table, 'fp', base);
    expect(defaults.sweepSample).toBeUndefined();
    expect(defaults.sweep).toEqual(full.sweep);
    expect(Array.from(defaults.labels)).toEqual(Array.from(full.labels));
  });

  test('a threshold too small to sample from is refused', () => {
    expect(() => trainOnFeatures(table, 'fp', { ...base, sweepSample: 5 })).toThrow(/sweepSample must be at least 10/);
  });
});

test('the mixture fitted on a sample labels every customer and agrees with k-means on separated data', () => {
  const fit = trainOnFeatures(table, 'fp', { ...base, k: 5, sweep: false });
  const onAll = compareAlternatives(fit.X, fit.labels, 5, { seed: 1, sampleSize: 300 });
  const onSample = compareAlternatives(fit.X, fit.labels, 5, { seed: 1, sampleSize: 300, gmmSample: 300 });
  const gmm = (r: typeof onAll) => r.find((a) => a.algorithm.startsWith('Gaussian'))!;
  expect(gmm(onAll).note).not.toMatch(/sample/);
  expect(gmm(onSample).note).toMatch(/seeded sample of 300 customers/);
  expect(gmm(onSample).customers).toBe(1500);
  expect(gmm(onSample).sizes.reduce((s, v) => s + v, 0)).toBe(1500);
  expect(gmm(onSample).ariVsKmeans).toBe(1);
  expect(gmm(onSample).sizes).toEqual(gmm(onAll).sizes);
});
