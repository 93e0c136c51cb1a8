/**
 * Why a customer is in their segment (core/model/explain.ts): on a model trained on 800 seeded customers, planted
 * customers whose reasons must name the features they were planted with, and every customer's runner-up and margin
 * checked against a brute-force sort of the distances to all centroids.
 */
import { emptyUncounted, FEATURE_INDEX, type FeatureTable } from '../../../lambdas/core/features/customerFeatures';
import { applyTransforms, imputeReviews } from '../../../lambdas/core/features/transforms';
import { assignFeatures } from '../../../lambdas/core/model/assign';
import { BORDERLINE_MARGIN, borderlineSummary, clusterWhy, explainPeople, marginOf, populationMeanCoordinates, ruleWhy } from '../../../lambdas/core/model/explain';
import { reasonsInWords, whyLine } from '../../../lambdas/core/model/explainText';
import { trainOnFeatures } from '../../../lambdas/core/model/train';
import { FEATURE_NAMES, type FeatureName, type SegmentModel } from '../../../lambdas/core/domain/types';
import { createMatrix } from '../../../lambdas/core/util/matrix';
import { createRng } from '../../../lambdas/core/util/random';

const D = FEATURE_NAMES.length;
const TYPICAL: Record<FeatureName, number> = { recencyDays: 200, frequency: 1, monetary: 120, reviewScore: 5, deliveryDelayDays: -12, lateShare: 0, items: 1, categories: 1, installments: 2 };

function population(n: number): FeatureTable {
  const rng = createRng(17);
  const values = createMatrix(n, D);
  for (let i = 0; i < n; i++) {
    const late = rng.next() < 0.1;
    const row: Record<FeatureName, number> = {
      recencyDays: Math.round(rng.next() * 500),
      frequency: rng.next() < 0.05 ? 2 : 1,
      monetary: Math.round(Math.exp(4.5 + 0.8 * rng.normal()) * 100) / 100,
      reviewScore: rng.next() < 0.1 ? NaN : late ? 1 + rng.int(3) : rng.next() < 0.15 ? 1 : 4 + rng.int(2),
      deliveryDelayDays: late ? 3 + rng.next() * 15 : -5 - rng.next() * 20,
      lateShare: late ? 1 : 0,
      items: 1 + (rng.next() < 0.1 ? 1 : 0),
      categories: 1,
      installments: 1 + rng.int(8),
    };
    FEATURE_NAMES.forEach((f, j) => (values.data[i * D + j] = row[f]));
  }
  const customerIds = Array.from({ length: n }, (_, i) => `c${i}`);
  return { asOf: Date.parse('2018-09-01T00:00:00Z'), customerIds, customerIndex: Int32Array.from(customerIds, (_, i) => i), values, firstPurchase: new Float64Array(n), notCounted: 0, customersWithOrders: n, uncounted: emptyUncounted() };
}

function table(rows: Partial<Record<FeatureName, number>>[]): FeatureTable {
  const values = createMatrix(rows.length, D);
  rows.forEach((r, i) => FEATURE_NAMES.forEach((f, j) => (values.data[i * D + j] = r[f] ?? TYPICAL[f])));
  const ids = rows.map((_, i) => `planted${i}`);
  return { asOf: 0, customerIds: ids, customerIndex: Int32Array.from(ids, (_, i) => i), values, firstPurchase: new Float64Array(rows.length), notCounted: 0, customersWithOrders: rows.length, uncounted: emptyUncounted() };
}

/** Segment ids of the centroids by distance from each row, nearest first, and the distances (brute force). */
function ranked(model: SegmentModel, t: FeatureTable): { ids: number[]; d: number[] }[] {
  const X = applyTransforms(imputeReviews(t.values, model.reviewImputation), model.features);
  const ids = model.segments.filter((s) => s.kind === 'cluster').map((s) => s.id);
  return Array.from({ length: X.rows }, (_, i) => {
    const d = model.centroids.map((c) => Math.sqrt(c.reduce((s, v, j) => s + (X.data[i * D + j] - v) ** 2, 0)));
    const order = d.map((_, c) => c).sort((a, b) => d[a] - d[b]);
    return { ids: order.map((c) => ids[c]), d: order.map((c) => d[c]) };
  });
}

describe('why a customer is in their segment', () => {
  const pop = population(800);
  const result = trainOnFeatures(pop, 'fp', { k: 4, sweep: false, compare: false, nInit: 3, stabilityFits: 1, threads: 1 });
  const { model } = result;

  test('the model stores the population’s mean coordinate (what reasons are measured against)', () => {
    expect(model.populationMeanCoordinates).toHaveLength(D);
    const X = result.X;
    const mean = Array.from({ length: D }, (_, j) => Array.from({ length: X.rows }, (_, i) => X.data[i * D + j]).reduce((a, b) => a + b, 0) / X.rows);
    model.populationMeanCoordinates!.forEach((m, j) => expect(m).toBeCloseTo(mean[j], 12));
    // A model stored before the field existed: the size-weighted centroids, the same point at convergence.
    const { populationMeanCoordinates: _dropped, ...older } = model;
    populationMeanCoordinates(older).forEach((m, j) => expect(m).toBeCloseTo(mean[j], 2));
  });

  test('planted customers: the reasons name the features they were planted with, strongest first', () => {
    const planted = table([
      { recencyDays: 480, reviewScore: 1 }, // long gone and unhappy
      { frequency: 3, monetary: 2500, recencyDays: 200 }, // a big repeat spender
      { deliveryDelayDays: 18, lateShare: 1, reviewScore: 5 }, // a late delivery, yet happy
    ]);
    const a = assignFeatures(model, planted);
    const why = explainPeople(model, planted, a.labels);
    const reasons = [0, 1, 2].map((i) => clusterWhy(why, i).reasons);
    expect(reasons[0].slice(0, 2).sort()).toEqual(['recencyDays', 'reviewScore']);
    expect(reasons[1].slice(0, 2).sort()).toEqual(['frequency', 'monetary']);
    expect(reasons[2][0]).toBe('deliveryDelayDays');
    // A feature weighted 0 in the model's space (late share) is never a reason, however unusual.
    expect(reasons.flat()).not.toContain('lateShare');

    // In words: the person's own value against the typical customer's (the population median).
    const median = (f: FeatureName) => model.segments[0].profile[f].populationMedian;
    const words = reasonsInWords({ features: { ...TYPICAL, recencyDays: 480, reviewScore: 1 }, ...clusterWhy(why, 0) }, model);
    const byCode = Object.fromEntries(words.map((w) => [w.code, w]));
    expect(byCode.recencyDays).toMatchObject({ value: 480, typical: median('recencyDays'), direction: 'above' });
    expect(byCode.recencyDays.text).toBe(`last bought 480 days ago (typical customer: ${Math.round(median('recencyDays'))})`);
    expect(byCode.reviewScore).toMatchObject({ value: 1, direction: 'below' });
    expect(byCode.reviewScore.text).toBe(`reviews 1.0 of 5 stars on average (typical customer: ${median('reviewScore').toFixed(1)})`);
  });

  test('a customer typical on every feature has no reason', () => {
    const typical = table([Object.fromEntries(FEATURE_NAMES.map((f, j) => [f, Number.NaN])) as never]);
    // Raw values whose coordinates are the population's mean coordinate: the inverse of the transform.
    const means = populationMeanCoordinates(model);
    FEATURE_NAMES.forEach((f, j) => {
      const t = model.features[j];
      const v = t.weight > 0 ? t.lo + (means[j] / t.weight) * (t.hi - t.lo) : t.lo;
      typical.values.data[j] = t.log ? Math.expm1(v) : v;
    });
    const why = explainPeople(model, typical, assignFeatures(model, typical).labels);
    expect(clusterWhy(why, 0).reasons).toEqual([]);
    expect(whyLine([], null, null, BORDERLINE_MARGIN)).toBe('close to the typical customer on every feature');
  });

  test('every customer: the runner-up is the second-nearest centroid, margin = 1 - d1/d2 (brute force)', () => {
    const why = explainPeople(model, pop, result.labels);
    const truth = ranked(model, pop);
    let borderline = 0;
    for (let i = 0; i < pop.values.rows; i++) {
      const { ids, d } = truth[i];
      expect(result.labels[i]).toBe(ids[0]); // k-means labels are the nearest centroid
      expect(why.runnerUp[i]).toBe(ids[1]);
      expect(why.margin[i]).toBeCloseTo(1 - d[0] / d[1], 4);
      expect(why.margin[i]).toBeGreaterThanOrEqual(0);
      expect(why.margin[i]).toBeLessThanOrEqual(1);
      if (why.margin[i] < BORDERLINE_MARGIN) borderline++;
    }
    const summary = borderlineSummary(model, why, result.labels);
    expect(summary.segments.reduce((n, s) => n + s.borderline, 0)).toBe(borderline);
    expect(borderline).toBeGreaterThan(0);
    // Reviews without a score are placed with the imputed value: their why uses it too (no NaN anywhere).
    expect(Array.from(why.margin).every(Number.isFinite)).toBe(true);
  });

  test('margin: 0 when equidistant or when the label is not the nearest, 1 on the centroid', () => {
    expect(marginOf(2, 2)).toBe(0);
    expect(marginOf(3, 2)).toBe(0);
    expect(marginOf(0, 2)).toBe(1);
    expect(marginOf(1, 4)).toBe(0.75);
    expect(marginOf(1, 3)).toBe(0.6667); // 4 decimals
    expect(marginOf(0, 0)).toBe(0);
  });

  test('rule segments: their service group is the reason, in words with their own numbers; no runner-up, no margin', () => {
    expect(ruleWhy(0, 12.34)).toEqual({ reasons: ['never-delivered'], runnerUp: null, margin: null, promiseDays: 12.3 });
    expect(ruleWhy(2, NaN)).toEqual({ reasons: ['canceled'], runnerUp: null, margin: null });
    const text = (group: number, promiseDays: number | undefined, features: Partial<Record<FeatureName, number>>) => reasonsInWords({ features, ...ruleWhy(group, promiseDays) }, model)[0].text;
    expect(text(0, 12, { recencyDays: 40 })).toBe('order 12 days past its promised delivery date, never delivered; last ordered 40 days ago');
    expect(text(1, -5, { recencyDays: 3 })).toBe('first order on its way, promised in 5 days; last ordered 3 days ago');
    expect(text(1, 3, { recencyDays: 20 })).toBe('first order 3 days past its promised date, within the 7-day grace before it counts as overdue; last ordered 20 days ago');
    expect(text(2, undefined, { frequency: 2, recencyDays: 9 })).toBe('all 2 orders were canceled or unavailable, nothing was delivered; last ordered 9 days ago');
  });

  test('a customer without a review is explained with the score the model gave them', () => {
    const noReview = table([{ reviewScore: NaN, lateShare: 1, deliveryDelayDays: 15 }]);
    const why = clusterWhy(explainPeople(model, noReview, assignFeatures(model, noReview).labels), 0);
    const words = reasonsInWords({ features: { lateShare: 1, deliveryDelayDays: 15 }, ...why, reasons: ['reviewScore'] }, model);
    expect(words[0].value).toBeNull();
    expect(words[0].text).toMatch(new RegExp(`^no review; counted as ${model.reviewImputation.late.toFixed(1)} stars, the mean of customers whose deliveries were late \\(typical customer: [\\d.]+\\)$`));
    expect(FEATURE_INDEX.reviewScore).toBe(3);
  });
});
