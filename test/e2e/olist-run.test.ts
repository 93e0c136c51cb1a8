/**
 * The whole `segments run` on the real export (../shared/olist), as a user runs it (a child process, so the
 * numeric code runs at full speed rather than inside Jest's sandbox): the counts the issue states, and
 * segments that separate good from less good customers in orders/spend and in satisfaction. Satisfaction
 * is also checked on the real review rows alone (84% of the reviews table is imputed, see SOURCE.md).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describeWithOlist, OLIST_DIR, realReviewOrders } from '../helpers/olist';
import { realRunDir } from '../helpers/realRun';
import type { RunSummary } from '../../lambdas/core/model/summary';
import type { SegmentModel } from '../../lambdas/core/domain/types';

const BIN = resolve(__dirname, '../../bin/segments.js');
const segments = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 900_000, maxBuffer: 1 << 26 });

interface Row {
  segment: number;
  recency: number;
  /** The person's own mean review (NaN when none). */
  review: number;
}

/** assignments.csv read with an independent CSV parser: customer -> segment, recency, own review. */
function readAssignments(file: string): Map<string, Row> {
  const records: Record<string, string>[] = parse(readFileSync(file, 'utf8'), { columns: true });
  return new Map(records.map((r) => [r.customer_unique_id, { segment: Number(r.segment_id), recency: Number(r.recencyDays), review: r.reviewScore === '' ? NaN : Number(r.reviewScore) }]));
}

/** Correlation ratio of x on the groups. */
function eta2(rows: { g: number; x: number }[]): number {
  const mean = rows.reduce((s, r) => s + r.x, 0) / rows.length;
  const groups = new Map<number, { s: number; n: number }>();
  for (const r of rows) {
    const e = groups.get(r.g) ?? { s: 0, n: 0 };
    e.s += r.x;
    e.n++;
    groups.set(r.g, e);
  }
  let between = 0;
  for (const e of groups.values()) between += e.n * (e.s / e.n - mean) ** 2;
  return between / rows.reduce((s, r) => s + (r.x - mean) ** 2, 0);
}

/** Each person's mean review over the real (not imputed) review rows: order means first, as the features do. */
function realReviewMeans(): Map<string, number> {
  const real = realReviewOrders();
  const customers = new Map<string, string>();
  for (const r of parse(readFileSync(join(OLIST_DIR, 'olist_customers_dataset.csv'), 'utf8'), { columns: true }) as Record<string, string>[]) customers.set(r.customer_id, r.customer_unique_id);
  const orderCustomer = new Map<string, string>();
  for (const r of parse(readFileSync(join(OLIST_DIR, 'olist_orders_dataset.csv'), 'utf8'), { columns: true }) as Record<string, string>[]) orderCustomer.set(r.order_id, customers.get(r.customer_id)!);
  const byOrder = new Map<string, number[]>();
  for (const r of parse(readFileSync(join(OLIST_DIR, 'olist_order_reviews_dataset.csv'), 'utf8'), { columns: true, bom: true }) as Record<string, string>[]) {
    if (!real.has(r.order_id)) continue;
    byOrder.set(r.order_id, [...(byOrder.get(r.order_id) ?? []), Number(r.review_score)]);
  }
  const byPerson = new Map<string, number[]>();
  for (const [order, scores] of byOrder) {
    const person = orderCustomer.get(order)!;
    byPerson.set(person, [...(byPerson.get(person) ?? []), scores.reduce((a, b) => a + b, 0) / scores.length]);
  }
  return new Map([...byPerson].map(([p, m]) => [p, m.reduce((a, b) => a + b, 0) / m.length]));
}

describeWithOlist('segments run on the real Olist export', () => {
  let out: string;
  let summary: RunSummary;
  let model: SegmentModel;
  let assignments: Map<string, Row>;
  let meanReview: Map<number, number>;

  beforeAll(() => {
    // The session's one run of the real export (test/helpers/realRun.ts), as `segments run` writes it.
    out = realRunDir();
    summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    model = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    assignments = readAssignments(join(out, 'assignments.csv'));
    meanReview = new Map(model.segments.map((s) => [s.id, s.profile.reviewScore.mean]));
  }, 900_000);

  test('everyone in the export has a segment: 96,096 people, 93,316 clustered as of 2018-09-03, the rest by rule', () => {
    expect(summary.asOf.slice(0, 10)).toBe('2018-09-03');
    expect(summary.people).toBe(96096);
    expect(summary.counts.customersInExport).toBe(96096);
    expect(summary.customers).toBe(93316);
    expect(summary.counts.customersSegmented).toBe(93316);
    expect(assignments.size).toBe(96096);
    expect(summary.segments.reduce((s, g) => s + g.size, 0)).toBe(96096);
    const rules = summary.segments.filter((g) => g.kind === 'rule');
    expect(rules.map((g) => g.id)).toEqual([100, 101, 102]);
    expect(rules.reduce((s, g) => s + g.size, 0)).toBe(96096 - 93316);
    expect(summary.counts.orders).toBe(99441);
  });

  test('k is chosen in 4..8 by the rule, every cluster holds 2% of the customers, and best-of-10 fits agree', () => {
    expect(summary.sweep.map((s) => s.k)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (let i = 1; i < summary.sweep.length; i++) expect(summary.sweep[i].inertia).toBeLessThan(summary.sweep[i - 1].inertia); // elbow
    for (const s of summary.sweep) expect(s.coverage.eta2.recency).toBeGreaterThanOrEqual(0);
    expect(summary.k).toBeGreaterThanOrEqual(4);
    expect(summary.k).toBeLessThanOrEqual(8);
    expect(summary.kChoice!.usableFound).toBe(true);
    const clusters = summary.segments.filter((g) => g.kind === 'cluster');
    expect(clusters).toHaveLength(summary.k);
    for (const g of clusters) expect(g.size / summary.customers).toBeGreaterThanOrEqual(0.02);
    expect(summary.modelStability.ariMedian).toBeGreaterThanOrEqual(0.95);
    expect(summary.modelStability.fits).toBeGreaterThanOrEqual(3);
    expect(summary.alternatives.map((a) => a.algorithm)).toEqual(['k-means (chosen)', 'Gaussian mixture (diagonal)', 'Agglomerative Ward']);
    expect(summary.baseline!.rfm.coverage.unhappy).toBe(summary.coverage.unhappy);
  });

  test('names are true of their members: every trait a name rests on holds for at least 70% of them', () => {
    for (const g of summary.segments) {
      expect(Object.keys(g.fidelity).length).toBeGreaterThan(0);
      for (const share of Object.values(g.fidelity)) expect(share).toBeGreaterThanOrEqual(0.7);
    }
    expect(new Set(summary.segments.map((g) => g.name)).size).toBe(summary.segments.length);
    for (const g of summary.segments) expect(g.action.length).toBeGreaterThan(40);
  });

  test('at least 85% of the unhappy people (own mean review <= 2) are in segments with a mean review of 3 or less', () => {
    let unhappy = 0;
    let covered = 0;
    for (const row of assignments.values()) {
      if (!(row.review <= 2)) continue;
      unhappy++;
      if (meanReview.get(row.segment)! <= 3) covered++;
    }
    expect(unhappy).toBeGreaterThan(10000);
    expect(covered / unhappy).toBeGreaterThanOrEqual(0.85);
  });

  test('the same holds on the real review rows alone', () => {
    const real = realReviewMeans();
    let unhappy = 0;
    let covered = 0;
    for (const [person, mean] of real) {
      if (mean > 2) continue;
      const row = assignments.get(person)!;
      unhappy++;
      if (meanReview.get(row.segment)! <= 3) covered++;
    }
    expect(unhappy).toBeGreaterThan(1500);
    expect(covered / unhappy).toBeGreaterThanOrEqual(0.85);
  });

  test('recency plays a part: a recent and a lapsed segment, correlation ratio of recency >= 0.25', () => {
    const clusters = summary.segments.filter((g) => g.kind === 'cluster');
    expect(clusters.some((g) => g.traits.includes('recent'))).toBe(true);
    expect(clusters.some((g) => g.traits.includes('lapsed'))).toBe(true);
    const rows = [...assignments.values()].filter((r) => r.segment < 100).map((r) => ({ g: r.segment, x: r.recency }));
    expect(rows).toHaveLength(summary.customers);
    expect(eta2(rows)).toBeGreaterThanOrEqual(0.25);
    expect(eta2(rows)).toBeCloseTo(summary.coverage.eta2.recency, 3);
  });

  test('separates good from less good customers in orders and spend: a repeat segment holds most repeat buyers', () => {
    const repeat = summary.segments.filter((g) => g.traits.includes('repeat'));
    expect(repeat.length).toBeGreaterThan(0);
    expect(summary.coverage.repeatInRepeat).toBeGreaterThanOrEqual(0.5);
    expect(Math.max(...summary.segments.map((g) => g.median.monetary))).toBeGreaterThan(1.5 * summary.population.median.monetary);
  });

  test('assign with the stored model puts the same people in the same segments', () => {
    const again = join(mkdtempSync(join(tmpdir(), 'olist-assign-')), 'assigned');
    const r = segments('assign', '--model', join(out, 'model.json'), '--data', OLIST_DIR, '--out', again, '--quiet');
    expect(r.status).toBe(0);
    const second = readAssignments(join(again, 'assignments.csv'));
    expect(second.size).toBe(assignments.size);
    let same = 0;
    for (const [id, row] of assignments) if (second.get(id)?.segment === row.segment) same++;
    expect(same / assignments.size).toBeGreaterThan(0.999);
  }, 300_000);
});
