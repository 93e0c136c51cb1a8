import { loadOlist } from '../../lambdas/core/olist/load';
import { directorySource } from '../../lambdas/core/olist/source';
import { computeFeatures, DAY_MS, effectiveEndOfDays, FEATURE_INDEX, lastPurchase, SERVICE_GROUPS, dailyPurchases } from '../../lambdas/core/features/customerFeatures';
import { decodeFeatures, encodeFeatures } from '../../lambdas/core/features/serialize';
import { parseTimestamp } from '../../lambdas/core/csv/schema';
import { writeMiniExport } from '../helpers/miniExport';
import { FeatureName } from '../../lambdas/core/domain/types';

const ts = (s: string) => parseTimestamp(s);

async function features(asOf?: string, opts: Parameters<typeof computeFeatures>[2] = {}) {
  const data = await loadOlist(directorySource(writeMiniExport()));
  const f = computeFeatures(data, asOf ? ts(asOf) : undefined, opts);
  const row = (id: string) => {
    const r = f.customerIds.indexOf(id);
    if (r < 0) return undefined;
    const get = (name: FeatureName) => f.values.data[r * f.values.cols + FEATURE_INDEX[name]];
    return get;
  };
  return { data, f, row };
}

describe('customer features (hand-computed on the mini export)', () => {
  test('default as-of is where the data effectively ends; on a tiny export with no stray tail, the last purchase', async () => {
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

describe('where the data effectively ends (the default as-of date)', () => {
  const day = (iso: string) => Math.floor(Date.parse(iso) / DAY_MS);
  /** 100 purchases a day for 10 weeks, then a thin tail. */
  const history = (tail: [string, number][]) => {
    const times: number[] = [];
    for (let d = 0; d < 70; d++) for (let i = 0; i < 100; i++) times.push(Date.parse('2018-06-01T00:00:00Z') + d * DAY_MS + i * 60_000);
    for (const [iso, n] of tail) for (let i = 0; i < n; i++) times.push(Date.parse(iso) + i * 1000);
    return dailyPurchases(times);
  };

  test('a stray order weeks after the last full week is not the end', () => {
    const days = history([['2018-09-30T12:00:00Z', 1], ['2018-10-17T12:00:00Z', 1]]);
    // The last regular day is 2018-08-09 (day 69); its window still holds 700 purchases, the strays do not (10% of 700 = 70).
    expect(new Date(effectiveEndOfDays(days)).toISOString()).toBe('2018-08-09T01:39:00.000Z');
  });

  test('a thinning tail counts while the day and the 7 days before it hold 10% of a median week', () => {
    // 20 purchases on each of the 3 days after the history: windows still above 70 purchases.
    const days = history([['2018-08-10T10:00:00Z', 20], ['2018-08-11T10:00:00Z', 20], ['2018-08-12T10:00:00Z', 20]]);
    expect(new Date(effectiveEndOfDays(days)).toISOString()).toBe('2018-08-12T10:00:19.000Z');
    expect(day('2018-08-12T10:00:19.000Z') - day('2018-08-09T00:00:00Z')).toBe(3);
  });

  test('merging daily counts of parts gives the same date as the whole (the distributed path)', () => {
    const whole = history([['2018-09-30T12:00:00Z', 3]]);
    const a = new Map([...whole].filter(([d]) => d % 2 === 0).map(([d, v]) => [d, { ...v }]));
    const b = new Map([...whole].filter(([d]) => d % 2 === 1).map(([d, v]) => [d, { ...v }]));
    const merged = new Map(a);
    for (const [d, v] of b) merged.set(d, { ...v });
    expect(effectiveEndOfDays(merged)).toBe(effectiveEndOfDays(whole));
  });
});

describe('people without a delivered order (rule segments)', () => {
  test('kept apart with their service group, only when asked', async () => {
    expect((await features()).f.uncounted.values.rows).toBe(0);
    const { f } = await features(undefined, { uncounted: true });
    expect(f.uncounted.customerIds).toEqual(['u_cid']);
    // cid's order (bought 04-10, estimated 04-30) is still within its promise on 04-10.
    expect(SERVICE_GROUPS[f.uncounted.group[0]]).toBe('in-transit');
    // ana's canceled o3 does not make her an uncounted person: she has delivered orders.
    expect(f.customerIds).toContain('u_ana');
  });

  test('an order more than 7 days past its estimated date is "never delivered"', async () => {
    const late = await features('2018-05-08 00:00:00', { uncounted: true });
    expect(SERVICE_GROUPS[late.f.uncounted.group[0]]).toBe('never-delivered'); // 2018-04-30 + 7 days < 05-08
    const justLate = await features('2018-05-06 00:00:00', { uncounted: true });
    expect(SERVICE_GROUPS[justLate.f.uncounted.group[0]]).toBe('in-transit');
  });

  test('days past the promised date (what their reasons quote): positive past it, negative before it', async () => {
    expect((await features('2018-05-08 00:00:00', { uncounted: true })).f.uncounted.promiseDays![0]).toBeCloseTo(8, 9); // promised 04-30
    expect((await features('2018-05-06 00:00:00', { uncounted: true })).f.uncounted.promiseDays![0]).toBeCloseTo(6, 9); // within the grace
    expect((await features(undefined, { uncounted: true })).f.uncounted.promiseDays![0]).toBeCloseTo(-(19 + 16 / 24), 9); // 04-10 08:00: still ahead
  });

  test('their features are over the orders they placed; delivery features are undefined', async () => {
    const { f } = await features('2018-05-08 00:00:00', { uncounted: true });
    const v = (name: FeatureName) => f.uncounted.values.data[FEATURE_INDEX[name]];
    expect(v('recencyDays')).toBeCloseTo(27 + 16 / 24, 9); // 2018-04-10 08:00 -> 2018-05-08
    expect(v('frequency')).toBe(1);
    expect(v('deliveryDelayDays')).toBeNaN();
    expect(v('lateShare')).toBeNaN();
  });

  test('people whose orders all come after the as-of date exist only with `everyone`', async () => {
    const early = await features('2018-04-05 00:00:00', { uncounted: true });
    expect(early.f.uncounted.customerIds).toEqual([]);
    const all = await features('2018-04-05 00:00:00', { uncounted: true, everyone: true });
    expect(all.f.uncounted.customerIds).toEqual(['u_cid']);
    expect(all.f.uncounted.values.data[FEATURE_INDEX.recencyDays]).toBe(0); // bought after T: recency 0, not negative
  });
});

describe('the feature hand-off file (ingest -> train)', () => {
  test('round trip, rule people included; ids with newlines, quotes and commas cannot shift a row', async () => {
    const { f } = await features(undefined, { uncounted: true });
    f.customerIds[0] = 'ACME, Inc\n"quoted"';
    const back = decodeFeatures(encodeFeatures(f, 'fp')).table;
    expect(back.customerIds).toEqual(f.customerIds);
    expect(Array.from(back.values.data)).toEqual(Array.from(f.values.data));
    expect(back.uncounted.customerIds).toEqual(f.uncounted.customerIds);
    expect(Array.from(back.uncounted.group)).toEqual(Array.from(f.uncounted.group));
    expect(Array.from(back.uncounted.values.data)).toEqual(Array.from(f.uncounted.values.data));
    expect(Array.from(back.uncounted.promiseDays!)).toEqual(Array.from(f.uncounted.promiseDays!));
  });

  test('a file written before the promise block existed still reads (no promise days)', async () => {
    const { f } = await features(undefined, { uncounted: true });
    const buf = encodeFeatures(f, 'fp');
    // The same file as the earlier format wrote it: the header without the optional block, its bytes cut off.
    const hl = buf.readUInt32LE(0);
    const header = JSON.parse(buf.subarray(4, 4 + hl).toString('utf8'));
    const cut = header.bytes.uncountedPromise;
    delete header.bytes.uncountedPromise;
    const head = Buffer.from(JSON.stringify(header));
    const len = Buffer.alloc(4);
    len.writeUInt32LE(head.length);
    const old = Buffer.concat([len, head, buf.subarray(4 + hl, buf.length - cut)]);
    const back = decodeFeatures(old).table;
    expect(back.uncounted.customerIds).toEqual(f.uncounted.customerIds);
    expect(back.uncounted.promiseDays).toBeUndefined();
  });

  test('a truncated file is refused, naming the block', async () => {
    const buf = encodeFeatures((await features(undefined, { uncounted: true })).f, 'fp');
    expect(() => decodeFeatures(buf.subarray(0, buf.length - 3), 'features/x.bin')).toThrow(/features\/x.bin: not a feature table \(block uncountedPromise ends at byte \d+, past the end/);
    expect(() => decodeFeatures(buf.subarray(0, buf.length - 12), 'features/x.bin')).toThrow(/block uncountedIds ends at byte \d+, past the end/);
  });
});
