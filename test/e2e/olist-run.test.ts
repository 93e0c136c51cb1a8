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
import { describeWithOlist, OLIST_DIR, realReviewOrders } from '../helpers/olist';
import type { RunSummary } from '../../lambdas/core/model/summary';
import type { SegmentModel } from '../../lambdas/core/model/types';

const BIN = resolve(__dirname, '../../bin/segments.js');
const segments = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 900_000, maxBuffer: 1 << 26 });

function readAssignments(file: string): Map<string, number> {
  const map = new Map<string, number>();
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  for (const line of lines.slice(1)) {
    const a = line.indexOf(',');
    map.set(line.slice(0, a), Number(line.slice(a + 1, line.indexOf(',', a + 1))));
  }
  return map;
}

describeWithOlist('segments run on the real Olist export', () => {
  const out = mkdtempSync(join(tmpdir(), 'olist-run-'));
  let summary: RunSummary;
  let model: SegmentModel;
  let assignments: Map<string, number>;

  beforeAll(() => {
    const r = segments('run', '--data', OLIST_DIR, '--out', out, '--json');
    if (r.status !== 0) throw new Error(r.stderr);
    summary = JSON.parse(r.stdout);
    model = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    assignments = readAssignments(join(out, 'assignments.csv'));
  }, 900_000);

  test('counts: 96,096 customer_unique_id, 93,358 with a delivered order', () => {
    expect(summary.counts.customersInExport).toBe(96096);
    expect(summary.counts.customersWithOrders).toBe(96096);
    expect(summary.counts.customersSegmented).toBe(93358);
    expect(summary.counts.customersWithoutCountedOrder).toBe(96096 - 93358);
    expect(summary.customers).toBe(93358);
    expect(assignments.size).toBe(93358);
    expect(summary.counts.orders).toBe(99441);
    expect(summary.reviewImputation.customersImputed).toBeGreaterThan(0);
  });

  test('the sweep covers k = 2..10 with every metric, and k is chosen in the actionable range', () => {
    expect(summary.sweep.map((s) => s.k)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const s of summary.sweep) {
      expect(s.silhouette).toBeGreaterThan(0);
      expect(s.daviesBouldin).toBeGreaterThan(0);
      expect(s.calinskiHarabasz).toBeGreaterThan(0);
      expect(s.initStability).toBeGreaterThan(0);
    }
    for (let i = 1; i < summary.sweep.length; i++) expect(summary.sweep[i].inertia).toBeLessThan(summary.sweep[i - 1].inertia); // elbow
    expect(summary.k).toBeGreaterThanOrEqual(4);
    expect(summary.k).toBeLessThanOrEqual(8);
    expect(summary.kChoice!.usableFound).toBe(true);
    expect(summary.alternatives.map((a) => a.algorithm)).toEqual(['k-means (chosen)', 'Gaussian mixture (diagonal)', 'Agglomerative Ward']);
    expect(summary.pca!.explainedVariance.length).toBe(9);
  });

  test('separates good from less good customers: a high-value and a clearly unsatisfied segment', () => {
    const segs = model.segments;
    const popSpend = segs[0].profile.monetary.populationMean;
    const popReview = segs[0].profile.reviewScore.populationMean;
    const highValue = segs.filter((s) => s.traits.includes('repeat') || s.traits.includes('high-spend'));
    const unsatisfied = segs.filter((s) => s.traits.includes('unsatisfied'));
    expect(highValue.length).toBeGreaterThan(0);
    expect(unsatisfied.length).toBeGreaterThan(0);
    expect(Math.max(...highValue.map((s) => s.profile.monetary.mean))).toBeGreaterThan(1.5 * popSpend);
    expect(Math.max(...highValue.map((s) => s.profile.frequency.mean))).toBeGreaterThan(1.5);
    for (const s of unsatisfied) expect(s.profile.reviewScore.mean).toBeLessThan(popReview - 1);
    expect(new Set(segs.map((s) => s.name)).size).toBe(segs.length);
    for (const s of segs) expect(s.action.length).toBeGreaterThan(40);
  });

  test('the unsatisfied segment is unsatisfied on the real review rows alone', () => {
    const real = realReviewOrders();
    const orderCustomer = new Map<string, string>();
    const customers = new Map<string, string>();
    for (const line of readFileSync(join(OLIST_DIR, 'olist_customers_dataset.csv'), 'utf8').split('\n').slice(1)) {
      const [cid, uid] = line.split(',').map((v) => v.replace(/"/g, ''));
      if (uid) customers.set(cid, uid);
    }
    for (const line of readFileSync(join(OLIST_DIR, 'olist_orders_dataset.csv'), 'utf8').split('\n').slice(1)) {
      const [oid, cid] = line.split(',').map((v) => v.replace(/"/g, ''));
      if (cid) orderCustomer.set(oid, customers.get(cid)!);
    }
    const reviews = readFileSync(join(OLIST_DIR, 'olist_order_reviews_dataset.csv'), 'utf8');
    const bySegment = new Map<number, { s: number; n: number }>();
    let all = 0;
    let allN = 0;
    let realRows = 0;
    for (const m of reviews.matchAll(/^"?[0-9a-f]{32}"?,"?([0-9a-f]{32})"?,([1-5]),/gm)) {
      if (!real.has(m[1])) continue;
      realRows++;
      const seg = assignments.get(orderCustomer.get(m[1])!);
      if (seg === undefined) continue;
      const e = bySegment.get(seg) ?? { s: 0, n: 0 };
      e.s += Number(m[2]);
      e.n++;
      bySegment.set(seg, e);
      all += Number(m[2]);
      allN++;
    }
    expect(realRows).toBeGreaterThan(15000);
    const realMean = all / allN;
    for (const s of model.segments.filter((x) => x.traits.includes('unsatisfied'))) {
      const e = bySegment.get(s.id)!;
      expect(e.n).toBeGreaterThan(200);
      expect(e.s / e.n).toBeLessThan(realMean - 1);
    }
  });

  test('assign with the stored model puts the same customers in the same segments', () => {
    const again = join(out, 'assigned');
    const r = segments('assign', '--model', join(out, 'model.json'), '--data', OLIST_DIR, '--out', again, '--quiet');
    expect(r.status).toBe(0);
    const second = readAssignments(join(again, 'assignments.csv'));
    let same = 0;
    for (const [id, seg] of assignments) if (second.get(id) === seg) same++;
    expect(same / assignments.size).toBeGreaterThan(0.999);
  }, 300_000);
});
