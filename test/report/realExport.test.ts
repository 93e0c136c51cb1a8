/**
 * The exploration of the real Olist export (shared/olist beside the repository), when it is there:
 * the row counts and dates every notebook on this data set reports, and every exploration chart renders
 * without a warning at full size. Skipped with a message when the export is absent.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadOlist } from '../../lambdas/core/olist/load';
import { directorySource } from '../../lambdas/core/olist/source';
import { explorationCharts } from '../../lambdas/core/report/chartsExploration';
import { explorationStats, ExplorationStats } from '../../lambdas/core/report/exploration';
import { renderChart } from '../../lambdas/core/report/render';

const EXPORT = [process.env.OLIST_DIR, resolve(__dirname, '../../../shared/olist'), '/work/shared/olist'].find((d): d is string => !!d && existsSync(resolve(d, 'olist_orders_dataset.csv')));
if (!EXPORT) console.warn('test/report/realExport.test.ts: skipped, the real Olist export was not found (shared/olist beside the repository, or OLIST_DIR)');
const maybe = EXPORT ? describe : describe.skip;

maybe('exploration of the real Olist export', () => {
  let e: ExplorationStats;
  beforeAll(async () => {
    e = explorationStats(await loadOlist(directorySource(EXPORT!)));
  }, 600_000);

  test('row counts and dates', () => {
    expect(e.counts.orders).toBe(99_441);
    expect(e.counts.customers).toBe(96_096);
    expect(e.counts.items).toBe(112_650);
    expect(Object.fromEntries(e.tables.map((t) => [t.table, t.rows]))).toMatchObject({ customers: 99_441, orders: 99_441, items: 112_650, payments: 103_886, products: 32_951 });
    expect(e.dateRange.firstPurchase).toBe('2016-09-04T21:15:19.000Z');
    expect(e.dateRange.lastPurchase).toBe('2018-10-17T17:30:18.000Z');
    expect(e.orderStatus[0]).toMatchObject({ status: 'delivered', orders: 96_478 });
    expect(e.customersByState[0].state).toBe('SP');
  });

  test('what the features rest on: one-time buyers, skewed spend, late deliveries hurt reviews', () => {
    expect(e.ordersPerCustomer.oneOrderShare).toBeGreaterThan(0.95);
    expect(e.orderValue.mean / e.orderValue.median).toBeGreaterThan(1.3);
    expect(e.deliveryDelay.lateShare).toBeGreaterThan(0.05);
    expect(e.deliveryDelay.lateShare).toBeLessThan(0.1);
    expect(e.delayVsReview.spearman).toBeLessThan(-0.1);
    expect(e.delayVsReview.lateMeanScore).toBeLessThan(e.delayVsReview.onTimeMeanScore - 1);
  });

  test('every exploration chart renders without a warning', async () => {
    const warnings: string[] = [];
    for (const c of explorationCharts(e)) {
      const { svg } = await renderChart(c, { onWarning: (id, m) => warnings.push(`${id}: ${m}`) });
      expect(svg.length).toBeGreaterThan(5000);
    }
    expect(warnings).toEqual([]);
  }, 60_000);
});

test('the real export is used when present', () => {
  expect(typeof (EXPORT ?? 'absent')).toBe('string');
});
