/**
 * Exploration statistics on the hand-made mini export (test/helpers/miniExport.ts), every value worked out
 * by hand from the rows listed there.
 */
import { loadOlist, OlistData } from '../../lambdas/core/olist/load';
import { directorySource } from '../../lambdas/core/olist/source';
import { explorationStats, ExplorationStats, MAX_MONTHS, pearson, quantile, ranks } from '../../lambdas/core/report/exploration';
import { explorationCharts } from '../../lambdas/core/report/chartsExploration';
import { MINI, writeMiniExport } from '../helpers/miniExport';

const DAY = 86_400_000;
let data: OlistData;
let e: ExplorationStats;

beforeAll(async () => {
  data = await loadOlist(directorySource(writeMiniExport()));
  e = explorationStats(data);
});

test('row counts, people and the date range', () => {
  expect(e.counts).toEqual({ customers: 3, orders: 5, items: 7, reviews: 3, categories: 3, states: 3 });
  expect(Object.fromEntries(e.tables.map((t) => [t.table, t.rows]))).toMatchObject({ customers: 5, orders: 5, items: 7, payments: 6, reviews: 3, products: 3, categoryTranslation: 2 });
  expect(e.dateRange.firstPurchase).toBe('2018-01-01T10:00:00.000Z');
  expect(e.dateRange.lastPurchase).toBe('2018-04-10T08:00:00.000Z');
  expect(e.dateRange.days).toBeCloseTo((Date.UTC(2018, 3, 10, 8) - Date.UTC(2018, 0, 1, 10)) / DAY, 1);
  expect(e.dateRange.months).toBe(4);
});

test('order status and payment types', () => {
  expect(e.orderStatus).toEqual([
    { status: 'delivered', orders: 3, share: 0.6 },
    { status: 'shipped', orders: 1, share: 0.2 },
    { status: 'canceled', orders: 1, share: 0.2 },
  ]);
  // o1, o3, o5 credit card; o2 credit card 20 > voucher 15; o4 boleto
  expect(e.paymentTypes).toEqual([
    { type: 'credit_card', orders: 4, share: 0.8 },
    { type: 'boleto', orders: 1, share: 0.2 },
  ]);
});

test('order value: payments per order (110, 35, 45, 230, 45)', () => {
  expect(e.orderValue.n).toBe(5);
  expect(e.orderValue.median).toBe(45);
  expect(e.orderValue.mean).toBeCloseTo(93, 10);
  expect(e.orderValue.max).toBe(230);
  expect(e.orderValue.bins.reduce((s, b) => s + b.count, 0)).toBe(5);
  // log bins: 10 per decade; 35 falls in [31.6, 39.8), 230 in [199.5, 251.2)
  const binOf = (v: number) => e.orderValue.bins.find((b) => v >= b.from && v < b.to)!;
  expect(binOf(35).count).toBe(1);
  expect(binOf(45).count).toBe(2);
  expect(binOf(230).count).toBe(1);
});

test('review scores: 5 (o1), 2 and 3 (o2)', () => {
  expect(e.reviewScores.scores.map((s) => s.reviews)).toEqual([0, 1, 1, 0, 1]);
  expect(e.reviewScores.mean).toBeCloseTo(10 / 3, 10);
  expect(e.reviewScores.ordersReviewed).toBe(2);
  expect(e.reviewScores.ordersReviewedShare).toBeCloseTo(0.4, 10);
});

test('orders per customer: ana 3 (all statuses), bob 1, cid 1', () => {
  expect(e.ordersPerCustomer.customers).toBe(3);
  expect(e.ordersPerCustomer.bins.map((b) => b.customers)).toEqual([2, 0, 1, 0, 0]);
  expect(e.ordersPerCustomer.oneOrderShare).toBeCloseTo(2 / 3, 10);
  expect(e.ordersPerCustomer.max).toBe(3);
  expect(e.ordersPerCustomer.mean).toBeCloseTo(5 / 3, 10);
});

test('delivery delay: o1 4.5 days early, o2 5 days late, o4 5.67 days early', () => {
  const d = e.deliveryDelay;
  expect(d.n).toBe(3);
  expect(d.median).toBeCloseTo(-4.5, 10);
  expect(d.mean).toBeCloseTo((-4.5 + 5 - (5 + 16 / 24)) / 3, 10);
  expect(d.lateShare).toBeCloseTo(1 / 3, 10);
  expect(d.bins.reduce((s, b) => s + b.count, 0)).toBe(3);
  expect(d.bins.find((b) => b.from <= 5 && 5 < b.to)!.count).toBe(1);
});

test('delay against review: two reviewed delivered orders, perfectly opposed', () => {
  const r = e.delayVsReview;
  expect(r.n).toBe(2);
  expect(r.pearson).toBeCloseTo(-1, 10);
  expect(r.spearman).toBeCloseTo(-1, 10);
  expect(r.onTimeMeanScore).toBe(5);
  expect(r.lateMeanScore).toBe(2.5);
  expect(r.lateLowShare).toBe(0); // 2.5 is not <= 2
  const byBucket = Object.fromEntries(r.buckets.map((b) => [b.bucket, b.orders]));
  expect(byBucket['1-6 d early']).toBe(1);
  expect(byBucket['3-6 d late']).toBe(1);
  expect(r.buckets.reduce((s, b) => s + b.orders, 0)).toBe(2);
});

test('orders by month include every month, delivered or not', () => {
  expect(e.ordersByMonth).toEqual([
    { month: '2018-01', delivered: 1, notDelivered: 0, revenue: 110 },
    { month: '2018-02', delivered: 1, notDelivered: 0, revenue: 230 },
    { month: '2018-03', delivered: 1, notDelivered: 0, revenue: 35 },
    { month: '2018-04', delivered: 0, notDelivered: 2, revenue: 90 },
  ]);
});

test('customers by state and category mix', () => {
  expect(e.customersByState.map((s) => [s.state, s.customers])).toEqual([
    ['MG', 1],
    ['RJ', 1],
    ['SP', 1],
  ]);
  expect(e.categoryMix.totalCategories).toBe(3);
  expect(e.categoryMix.categories.map((c) => [c.category, c.items, c.revenue])).toEqual([
    ['toys', 4, 160],
    ['books_general_interest', 2, 50],
    ['unknown', 1, 200],
  ]);
  expect(explorationStats(data, { topCategories: 1 }).categoryMix.categories.map((c) => [c.category, c.items])).toEqual([
    ['toys', 4],
    ['other (2 categories)', 3],
  ]);
});

test('missing values by column', () => {
  const m = Object.fromEntries(e.missing.map((x) => [`${x.table}.${x.column}`, [x.missing, x.total]]));
  expect(m['orders.order_delivered_customer_date']).toEqual([2, 5]); // o3 canceled, o5 shipped
  expect(m['orders.order_estimated_delivery_date']).toEqual([0, 5]);
  expect(m['orders.payments (no payment row)']).toEqual([0, 5]);
  expect(m['orders.items (no item row)']).toEqual([0, 5]);
  expect(m['orders.reviews (no review)']).toEqual([3, 5]); // o3, o4, o5
  expect(m['products.product_category_name']).toEqual([1, 7]); // p_bed
  expect(m['customers.customer_state']).toEqual([0, 3]);
});

test('the stats are plain JSON with no NaN (which would turn into null) on data that has every value', () => {
  // (delay buckets without any order have no mean score: the only NaN allowed)
  const json = JSON.stringify({ ...e, delayVsReview: { ...e.delayVsReview, buckets: e.delayVsReview.buckets.filter((b) => b.orders > 0) } });
  expect(json).not.toContain('null');
  expect(JSON.parse(JSON.stringify(e)).counts).toEqual(e.counts);
});

test('helpers: quantile, ranks with ties, pearson', () => {
  expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
  expect(quantile([5], 0.9)).toBe(5);
  expect(Number.isNaN(quantile([], 0.5))).toBe(true);
  expect(Array.from(ranks([10, 20, 10, 30]))).toEqual([1.5, 3, 1.5, 4]);
  expect(pearson([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
  expect(Number.isNaN(pearson([1, 1, 1], [1, 2, 3]))).toBe(true);
});

describe('bounds: whatever the export holds, the statistics behind the charts stay small', () => {
  test('10,000 distinct state texts: 27 codes, "other" and "unknown" at most, and a warning with the first line', async () => {
    const extra = Array.from({ length: 10_000 }, (_, i) => `c_extra${i},u_bob,"20000",rio,Estado ${i}`).join('\n');
    const d = await loadOlist(directorySource(writeMiniExport({ 'olist_customers_dataset.csv': MINI['olist_customers_dataset.csv'] + extra + '\n' })));
    expect(d.issues.unknownStates).toBe(10_000);
    expect(d.issues.firstUnknownStateLine).toBe(7);
    const s = explorationStats(d);
    expect(s.customersByState.map((x) => x.state).sort()).toEqual(['MG', 'SP', 'other']);
    expect(s.counts.states).toBe(2);
    const chart = explorationCharts(s).find((c) => c.id === 'customers-by-state')!;
    expect((chart.data as unknown[]).length).toBe(3);
  });

  test('an order decades before the others: the months chart shows the last 120 months and counts the earlier orders', async () => {
    const orders = MINI['olist_orders_dataset.csv'].replace('o3,c_ana3,canceled,2018-04-01 09:00:00', 'o3,c_ana3,canceled,1950-04-01 09:00:00');
    const s = explorationStats(await loadOlist(directorySource(writeMiniExport({ 'olist_orders_dataset.csv': orders }))));
    expect(s.ordersByMonth).toHaveLength(MAX_MONTHS);
    expect(s.ordersByMonth[s.ordersByMonth.length - 1].month).toBe('2018-04');
    expect(s.dateRange.ordersBeforeShown).toBe(1);
    expect(s.dateRange.months).toBe(817);
  });

  test('an order worth R$ 10^15: the value histogram ends at R$ 10 million (71 bins at most)', async () => {
    const payments = MINI['olist_order_payments_dataset.csv'].replace('o4,1,boleto,1,230.00', 'o4,1,boleto,1,1000000000000000');
    const s = explorationStats(await loadOlist(directorySource(writeMiniExport({ 'olist_order_payments_dataset.csv': payments }))));
    expect(s.orderValue.bins.length).toBeLessThanOrEqual(71);
    expect(s.orderValue.bins.reduce((a, b) => a + b.count, 0)).toBe(5);
  });

  test('a header with 5,000 extra columns: the first 20 are listed, then how many more', async () => {
    const [head, ...rest] = MINI['olist_products_dataset.csv'].split('\n');
    const wide = [head + Array.from({ length: 5000 }, (_, i) => `,x${i}`).join(''), ...rest.map((l) => (l ? l + ','.repeat(5000) : l))].join('\n');
    const d = await loadOlist(directorySource(writeMiniExport({ 'olist_products_dataset.csv': wide })));
    const extra = d.tables.find((t) => t.table === 'products')!.extraColumns;
    expect(extra).toHaveLength(21);
    // the products file's own extra columns (beyond product_id, product_category_name) come first
    const own = head.split(',').length - 2;
    expect(extra[20]).toBe(`... and ${own + 5000 - 20} more`);
  });
});
