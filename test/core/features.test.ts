import { loadOlist } from '../../lambdas/core/olist/load';
import { directorySource } from '../../lambdas/core/olist/source';
import { computeFeatures, FEATURE_INDEX, lastPurchase } from '../../lambdas/core/features/customerFeatures';
import { parseTimestamp } from '../../lambdas/core/csv/schema';
import { writeMiniExport } from '../helpers/miniExport';
import { FeatureName } from '../../lambdas/core/model/types';

const ts = (s: string) => parseTimestamp(s);

async function features(asOf?: string) {
  const data = await loadOlist(directorySource(writeMiniExport()));
  const f = computeFeatures(data, asOf ? ts(asOf) : undefined);
  const row = (id: string) => {
    const r = f.customerIds.indexOf(id);
    if (r < 0) return undefined;
    const get = (name: FeatureName) => f.values.data[r * f.values.cols + FEATURE_INDEX[name]];
    return get;
  };
  return { data, f, row };
}

describe('customer features (hand-computed on the mini export)', () => {
  test('default as-of is the last purchase of any status', async () => {
    const { data, f } = await features();
    expect(lastPurchase(data)).toBe(ts('2018-04-10 08:00:00'));
    expect(f.asOf).toBe(ts('2018-04-10 08:00:00'));
  });

  test('one row per customer_unique_id with a delivered order; others counted apart', async () => {
    const { data, f } = await features();
    expect(data.customerIds.sort()).toEqual(['u_ana', 'u_bob', 'u_cid']);
    expect([...f.customerIds].sort()).toEqual(['u_ana', 'u_bob']);
    expect(f.customersWithOrders).toBe(3);
    expect(f.notCounted).toBe(1); // cid's only order is still shipped
  });

  test('ana: two delivered orders across two customer_ids, canceled order ignored', async () => {
    const ana = (await features()).row('u_ana')!;
    expect(ana('recencyDays')).toBeCloseTo(40 - 1 / 24, 9); // 2018-03-01 09:00 -> 2018-04-10 08:00
    expect(ana('frequency')).toBe(2);
    expect(ana('monetary')).toBeCloseTo(110 + 20 + 15, 9); // payments, canceled o3 excluded
    expect(ana('reviewScore')).toBeCloseTo((5 + (2 + 3) / 2) / 2, 9); // order means first: 5 and 2.5
    expect(ana('deliveryDelayDays')).toBeCloseTo((-4.5 + 5) / 2, 9);
    expect(ana('lateShare')).toBe(0.5); // o2 arrived 5 days after the estimated day
    expect(ana('items')).toBe(4);
    expect(ana('categories')).toBe(2); // toys, books
    expect(ana('installments')).toBe(2); // max per order: 3 and 1
  });

  test('bob: no review stays missing (NaN), uncategorised product counts as a category', async () => {
    const bob = (await features()).row('u_bob')!;
    expect(bob('recencyDays')).toBeCloseTo(59, 9);
    expect(bob('frequency')).toBe(1);
    expect(bob('monetary')).toBe(230);
    expect(bob('reviewScore')).toBeNaN();
    expect(bob('deliveryDelayDays')).toBeCloseTo(-(5 + 16 / 24), 9);
    expect(bob('lateShare')).toBe(0);
    expect(bob('categories')).toBe(1);
    expect(bob('installments')).toBe(1);
  });

  test('an earlier as-of sees neither later deliveries nor later reviews', async () => {
    const early = await features('2018-03-10 10:00:00');
    const ana = early.row('u_ana')!;
    expect(ana('frequency')).toBe(1); // o2 bought 03-01 but delivered 03-20: not yet counted
    expect(ana('recencyDays')).toBeCloseTo(68, 9);
    expect(ana('monetary')).toBe(110);
    expect(ana('items')).toBe(3);
    expect(ana('installments')).toBe(3);
    expect(early.row('u_bob')!('recencyDays')).toBeCloseTo(28 + 2 / 24, 9);

    const beforeAnswers = (await features('2018-03-24 00:00:00')).row('u_ana')!;
    expect(beforeAnswers('frequency')).toBe(2);
    expect(beforeAnswers('reviewScore')).toBe(5); // o2's reviews are answered on 03-25

    const beforeAll = await features('2018-01-02 00:00:00');
    expect(beforeAll.f.customerIds).toEqual([]); // o1 not delivered yet
    expect(beforeAll.f.customersWithOrders).toBe(1);
  });
});
