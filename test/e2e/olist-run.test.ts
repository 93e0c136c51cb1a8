/**
 * The whole segmentation on the real export (../shared/olist): the counts the issue states, and that the
 * segments separate good from less good customers in orders/spend and in satisfaction; satisfaction is
 * also checked on the real review rows only (84% of the reviews table is imputed, see SOURCE.md).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadOlist, OlistData } from '../../lambdas/core/olist/load';
import { directorySource } from '../../lambdas/core/olist/source';
import { trainSegmentation, TrainResult } from '../../lambdas/core/model/train';
import { assignFeatures } from '../../lambdas/core/model/assign';
import { FEATURE_INDEX } from '../../lambdas/core/features/customerFeatures';
import { describeWithOlist, OLIST_DIR, realReviewOrders } from '../helpers/olist';

describeWithOlist('segments run on the real Olist export', () => {
  let data: OlistData;
  let result: TrainResult;
  beforeAll(async () => {
    data = await loadOlist(directorySource(OLIST_DIR));
    result = trainSegmentation(data);
  }, 600_000);

  test('counts: 96,096 customer_unique_id, 93,358 with a delivered order', () => {
    expect(data.customerIds.length).toBe(96096);
    expect(result.features.customersWithOrders).toBe(96096);
    expect(result.features.values.rows).toBe(93358);
    expect(result.features.notCounted).toBe(96096 - 93358);
    expect(result.model.customers).toBe(93358);
  });

  test('the sweep covers k = 2..10 with every metric, and k is chosen in the actionable range', () => {
    expect(result.sweep.map((s) => s.k)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const s of result.sweep) {
      expect(s.silhouette).toBeGreaterThan(0);
      expect(s.daviesBouldin).toBeGreaterThan(0);
      expect(s.calinskiHarabasz).toBeGreaterThan(0);
      expect(s.initStability).toBeGreaterThan(0);
    }
    // inertia falls with k (elbow curve)
    for (let i = 1; i < result.sweep.length; i++) expect(result.sweep[i].inertia).toBeLessThan(result.sweep[i - 1].inertia);
    expect(result.model.k).toBeGreaterThanOrEqual(4);
    expect(result.model.k).toBeLessThanOrEqual(8);
    expect(result.choice!.usableFound).toBe(true);
    expect(result.alternatives.map((a) => a.algorithm)).toEqual(['k-means (chosen)', 'Gaussian mixture (diagonal)', 'Agglomerative Ward']);
  });

  test('separates good from less good customers: a high-value and a clearly unsatisfied segment', () => {
    const segs = result.model.segments;
    const pop = segs[0].profile;
    const highValue = segs.filter((s) => s.traits.includes('repeat') || s.traits.includes('high-spend'));
    const unsatisfied = segs.filter((s) => s.traits.includes('unsatisfied'));
    expect(highValue.length).toBeGreaterThan(0);
    expect(unsatisfied.length).toBeGreaterThan(0);
    const best = highValue.reduce((a, b) => (a.profile.monetary.mean > b.profile.monetary.mean ? a : b));
    expect(best.profile.monetary.mean).toBeGreaterThan(1.5 * pop.monetary.populationMean);
    expect(Math.max(...highValue.map((s) => s.profile.frequency.mean))).toBeGreaterThan(1.5);
    for (const s of unsatisfied) expect(s.profile.reviewScore.mean).toBeLessThan(pop.reviewScore.populationMean - 1);
    // names are unique and every segment has an action
    expect(new Set(segs.map((s) => s.name)).size).toBe(segs.length);
    for (const s of segs) expect(s.action.length).toBeGreaterThan(40);
  });

  test('the unsatisfied segment is unsatisfied on the real review rows alone', () => {
    const real = realReviewOrders();
    const reviews = readFileSync(join(OLIST_DIR, 'olist_order_reviews_dataset.csv'), 'utf8');
    // order_id -> real score (the real rows have no embedded newline before their score field)
    const score = new Map<string, number>();
    for (const m of reviews.matchAll(/^"?[0-9a-f]{32}"?,"?([0-9a-f]{32})"?,([1-5]),/gm)) if (real.has(m[1])) score.set(m[1], Number(m[2]));
    expect(score.size).toBeGreaterThan(15000);
    const orderIndex = new Map(data.orders.ids.map((id, i) => [id, i]));
    const rowOfCustomer = new Map<number, number>();
    result.features.customerIndex.forEach((c, r) => rowOfCustomer.set(c, r));
    const sum = new Map<number, { s: number; n: number }>();
    let all = 0;
    let allN = 0;
    for (const [orderId, sc] of score) {
      const o = orderIndex.get(orderId)!;
      const row = rowOfCustomer.get(data.orders.customer[o]);
      if (row === undefined) continue;
      const seg = result.labels[row];
      const e = sum.get(seg) ?? { s: 0, n: 0 };
      e.s += sc;
      e.n++;
      sum.set(seg, e);
      all += sc;
      allN++;
    }
    const realMean = all / allN;
    for (const s of result.model.segments.filter((x) => x.traits.includes('unsatisfied'))) {
      const e = sum.get(s.id)!;
      expect(e.n).toBeGreaterThan(200);
      expect(e.s / e.n).toBeLessThan(realMean - 1);
    }
  });

  test('the model re-assigns its own customers to the same segments (stored transforms)', () => {
    const again = assignFeatures(result.model, result.features);
    let same = 0;
    for (let i = 0; i < again.labels.length; i++) if (again.labels[i] === result.labels[i]) same++;
    expect(same / again.labels.length).toBeGreaterThan(0.999);
    expect(result.features.values.data[FEATURE_INDEX.frequency]).toBeGreaterThanOrEqual(1);
  });
});
