/**
 * The stability analysis on the real export (../shared/olist, loaded once). Skipped with a message when the
 * folder is absent. The simulation is the session's shared coarse one (test/helpers/realRun.ts: a fixed k, 8-week
 * steps over 32 weeks, 2 seeds); the scheduled check of an old and a young model runs in a child process
 * (olistWork.ts: Jest's sandbox slows numeric loops 20-80x). `segments simulate` runs the full method (2-week step,
 * k chosen at each origin).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckResult } from '../../../lambdas/core/stability/check';
import type { StabilityReport } from '../../../lambdas/core/stability/simulate';
import { readFileSync } from 'node:fs';
import { realSimulationDir } from '../../helpers/realRun';
import { runInChild } from '../../helpers/child';
import type work from './olistWork';

const DIR = join(__dirname, '../../../../shared/olist');
const present = existsSync(join(DIR, 'olist_orders_dataset.csv'));
if (!present) console.warn(`stability tests on the real export skipped: ${DIR} not found`);
const describeReal = present ? describe : describe.skip;

function spearman(x: number[], y: number[]): number {
  const rank = (v: number[]) => {
    const order = v.map((_, i) => i).sort((a, b) => v[a] - v[b]);
    const r = new Array<number>(v.length);
    order.forEach((i, pos) => (r[i] = pos));
    return r;
  };
  const rx = rank(x);
  const ry = rank(y);
  const n = x.length;
  const d2 = rx.reduce((s, r, i) => s + (r - ry[i]) ** 2, 0);
  return 1 - (6 * d2) / (n * (n * n - 1));
}

/** About the k the production rule chooses on this export at the origins (6-7) and at its end (8). */
const K = 7;

describeReal('stability on the real Olist export', () => {
  let result: Awaited<ReturnType<typeof work>>;
  let report: StabilityReport;
  beforeAll(() => {
    // The session's one coarse simulation (test/helpers/realRun.ts: fixed k, 8-week steps over 32 weeks, 2 seeds,
    // the whole horizon), and the checks in a child process (olistWork.ts).
    report = JSON.parse(readFileSync(join(realSimulationDir(), 'stability.json'), 'utf8'));
    result = runInChild(join(__dirname, 'olistWork.ts'), { dir: DIR, k: K });
  }, 900_000);

  test('the data end is the last full week (2018-09-03), not the stray orders of September and October', () => {
    expect(result.effectiveEnd.slice(0, 10)).toBe('2018-09-03');
  });

  test('the curve is produced over rolling origins up to the horizon', () => {
    expect(report.kChosenBy).toBe('option');
    expect(report.origins.length).toBeGreaterThanOrEqual(3);
    expect(report.points[0].days).toBe(0);
    expect(report.points[0].ariMedian).toBeGreaterThan(0.9); // the noise floor with production initialisations
    // --full-horizon: measured up to the 32 weeks asked, past the crossing.
    const last = report.points[report.points.length - 1].days;
    expect(last).toBe(report.measuredDays);
    expect(last).toBe(32 * 7);
    expect(last).toBeGreaterThan(report.recommendation.crossingDays!);
    for (const p of report.points) {
      expect(p.ariQ1).toBeLessThanOrEqual(p.ariMedian);
      expect(p.ariMedian).toBeLessThanOrEqual(p.ariQ3);
      expect(Number.isFinite(p.ariKnownMedian)).toBe(true);
    }
    // New customers accumulate with the horizon.
    expect(report.points[report.points.length - 1].newCustomers).toBeGreaterThan(report.points[1].newCustomers);
  });

  test('the agreement falls overall', () => {
    // d = 0 is the initialisation noise floor, not a point of the trend: the trend is read from the first step on.
    const pts = report.points.filter((p) => p.days > 0);
    expect(spearman(pts.map((p) => p.days), pts.map((p) => p.ariMedian))).toBeLessThan(-0.5);
    expect(spearman(pts.map((p) => p.days), pts.map((p) => p.ariKnownMedian))).toBeLessThan(-0.5);
    expect(pts[pts.length - 1].ariMedian).toBeLessThan(pts[0].ariMedian - 0.05);
    expect(pts[pts.length - 1].ariKnownMedian).toBeLessThan(pts[0].ariKnownMedian - 0.1);
  });

  test('the agreement crosses the threshold within 12 weeks: the recommendation rests on the crossing', () => {
    // The segments split recent from lapsed customers, and every customer ages: a model no longer matches what a
    // retraining finds within weeks (the full simulation, with a 2-week step, puts the crossing at 4 weeks; this coarse
    // one, stepping 8 weeks, sees it at its first step).
    const r = report.recommendation;
    expect(r.basis).toBe('crossing');
    expect(r.crossingDays).toBeLessThanOrEqual(12 * 7);
    expect(r.everyDays).toBeLessThanOrEqual(r.crossingDays!);
    expect(r.newCustomersPerWeek).toBeGreaterThan(500);
    expect(r.rationale).toMatch(/Retrain the segmentation every \d+ weeks/);
    expect(r.rationale).toMatch(/Early retraining when/);
    expect(r.rationale).toMatch(/New customers: about [\d,]+ a week/);
  });

  test('the scheduled check: an old model has drifted as its customers aged, a young one is ok', () => {
    const c: CheckResult = result.oldCheck;
    expect(c.verdict).toBe('drift');
    expect(c.ageDays).toBeGreaterThan(180);
    expect(c.ari).toBeLessThan(0.8);
    expect(c.drift.recencyDays.level).toBe('major');
    expect(c.reasons.some((x) => /recencyDays shifted with the age of the model/.test(x))).toBe(true);
    expect(c.reasons.some((x) => /median ARI .* below the threshold 0.8/.test(x))).toBe(true);
    expect(c.reasons.some((x) => /beyond the 28-day cadence/.test(x))).toBe(true);
    expect(result.youngCheck.verdict).toBe('ok');
    expect(result.youngCheck.ari).toBeGreaterThan(0.8);
    // Retraining: segments that are the same group keep their ids, and every customer's move is counted.
    expect(result.kept).toBeGreaterThanOrEqual(K / 2);
    expect(result.transitions.stayed + result.transitions.moved).toBe(result.customersAtOldDate);
  });
});
