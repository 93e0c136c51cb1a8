import { applyTransforms, FEATURE_SPACE, fitTransforms, fromCoordinate, toCoordinate } from '../../lambdas/core/features/transforms';
import { FEATURE_NAMES, FeatureName } from '../../lambdas/core/domain/types';
import { createMatrix } from '../../lambdas/core/util/matrix';
import { createRng } from '../../lambdas/core/util/random';

/** n customers like the Olist export: 3% repeat buyers, log-normal spend, reviews mostly 5, a few late deliveries. */
function population(n: number, seed = 1) {
  const rng = createRng(seed);
  const m = createMatrix(n, FEATURE_NAMES.length);
  const set = (i: number, f: FeatureName, v: number) => (m.data[i * FEATURE_NAMES.length + FEATURE_NAMES.indexOf(f)] = v);
  for (let i = 0; i < n; i++) {
    const late = rng.next() < 0.08;
    set(i, 'recencyDays', 600 * rng.next());
    set(i, 'frequency', rng.next() < 0.03 ? 2 : 1);
    set(i, 'monetary', Math.exp(4.7 + 0.8 * rng.normal()));
    set(i, 'reviewScore', late ? 1 + Math.floor(3 * rng.next()) : 5 - Math.floor(2 * rng.next() * rng.next()));
    set(i, 'deliveryDelayDays', late ? 2 + 10 * rng.next() : -12 + 5 * rng.normal());
    set(i, 'lateShare', late ? 1 : 0);
    set(i, 'items', rng.next() < 0.1 ? 2 : 1);
    set(i, 'categories', 1);
    set(i, 'installments', 1 + Math.floor(8 * rng.next()));
  }
  return m;
}

describe('the bounded, weighted feature space', () => {
  const raw = population(20_000);
  const t = fitTransforms(raw);
  const X = applyTransforms(raw, t);

  test('every coordinate lies in [0, weight]: no feature can dominate a distance by construction', () => {
    FEATURE_NAMES.forEach((f, j) => {
      expect(t[j].weight).toBe(FEATURE_SPACE[f].weight);
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = 0; i < X.rows; i++) {
        const v = X.data[i * X.cols + j];
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      expect(lo).toBeGreaterThanOrEqual(0);
      expect(hi).toBeLessThanOrEqual(t[j].weight + 1e-12);
    });
  });

  test('a rare second order moves a customer as far as a unit-weight feature can, not 5 standard deviations', () => {
    const freq = FEATURE_NAMES.indexOf('frequency');
    const rec = FEATURE_NAMES.indexOf('recencyDays');
    expect(toCoordinate(2, t[freq]) - toCoordinate(1, t[freq])).toBe(1);
    // Recency's whole span is larger: it times every campaign.
    expect(toCoordinate(t[rec].hi, t[rec]) - toCoordinate(t[rec].lo, t[rec])).toBe(1.5);
  });

  test('a fitted range is the mean +/- 2.5 standard deviations of t(x), cut to the observed range; stated ranges stay', () => {
    const j = FEATURE_NAMES.indexOf('monetary');
    const logs = Array.from({ length: raw.rows }, (_, i) => Math.log1p(raw.data[i * raw.cols + j]));
    const mean = logs.reduce((a, b) => a + b, 0) / logs.length;
    const sd = Math.sqrt(logs.reduce((a, b) => a + (b - mean) ** 2, 0) / logs.length);
    expect(t[j].log).toBe(true);
    expect(t[j].lo).toBeCloseTo(Math.max(Math.min(...logs), mean - 2.5 * sd), 9);
    expect(t[j].hi).toBeCloseTo(Math.min(Math.max(...logs), mean + 2.5 * sd), 9);
    const r = FEATURE_NAMES.indexOf('reviewScore');
    expect([t[r].lo, t[r].hi]).toEqual([1, 5]);
  });

  test('inside the range the scaling inverts exactly (segment matching maps centroids back to raw values)', () => {
    for (const [f, v] of [['monetary', 123.45], ['recencyDays', 321], ['reviewScore', 2.5]] as const) {
      const tr = t[FEATURE_NAMES.indexOf(f)];
      expect(fromCoordinate(toCoordinate(v, tr), tr)).toBeCloseTo(v, 9);
    }
  });
});
