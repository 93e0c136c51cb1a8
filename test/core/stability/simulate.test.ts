/**
 * The update-frequency simulation on generated data (test/core/stability/synthetic.ts): a planted change of the
 * customer mix must be detected when it happens and not before, a stationary stream must stay stable, and the
 * classic mistakes of this analysis must be avoided.
 */
import { adjustedRandIndex } from '../../../lambdas/core/cluster/ari';
import { assignToCentroids } from '../../../lambdas/core/cluster/kmeans';
import { computeFeatures } from '../../../lambdas/core/features/customerFeatures';
import { applyTransforms, fitTransforms, imputeReviews } from '../../../lambdas/core/features/transforms';
import { trainSegmentation } from '../../../lambdas/core/model/train';
import { ariByCustomer } from '../../../lambdas/core/stability/compare';
import { StabilityPoint, StabilityReport, freshFit, modelLabels, simulateStability } from '../../../lambdas/core/stability/simulate';
import { cadenceFromCurve } from '../../../lambdas/core/stability/recommend';
import { BUDGET, BULK, DAY, GroupSpec, PREMIUM, UNHAPPY, dayToTime, syntheticData } from './synthetic';

const PLANTED_DAY = 200;
const ORIGINS = [80, 108];
const SEEDS = 3;
const THRESHOLD = 0.8;

const stationary: GroupSpec[] = [
  { ...BUDGET, rate: () => 2 },
  { ...PREMIUM, rate: () => 1.25 },
  { ...BULK, rate: () => 1.5 },
];
// From PLANTED_DAY on, a new group of unhappy, late-delivered customers arrives in numbers.
const drifting = [...stationary, { ...UNHAPPY, rate: (d: number) => (d >= PLANTED_DAY ? 8 : 0) }];

const simulate = (groups: GroupSpec[]) =>
  simulateStability(syntheticData(groups, 330).data, {
    k: 3,
    origins: ORIGINS.map(dayToTime),
    stepDays: 7,
    horizonDays: 224,
    threshold: THRESHOLD,
    seeds: SEEDS,
    nInit: 3,
  });

const dayOf = (iso: string) => Math.round((Date.parse(iso) - dayToTime(0)) / DAY);

describe('simulation on generated data', () => {
  let withDrift: StabilityReport;
  let without: StabilityReport;
  beforeAll(() => {
    withDrift = simulate(drifting);
    without = simulate(stationary);
  });

  test('a planted drift is detected at the right time, for every origin', () => {
    expect(withDrift.perOrigin).toHaveLength(ORIGINS.length);
    for (const curve of withDrift.perOrigin) {
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
      // Before the change has reached customers (orders are delivered 7 days after purchase), the model holds.
      const before = curve.points.filter((p) => dayOf(p.date) < PLANTED_DAY + 7);
      expect(before.length).toBeGreaterThan(10);
      for (const p of before) expect(median(p.ari)).toBeGreaterThanOrEqual(THRESHOLD);
      // It drops below the threshold within 3 weeks of the first delivered orders of the new group, and stays down.
      const firstBelow = curve.points.find((p) => median(p.ari) < THRESHOLD)!;
      expect(dayOf(firstBelow.date)).toBeGreaterThanOrEqual(PLANTED_DAY + 7);
      expect(dayOf(firstBelow.date)).toBeLessThanOrEqual(PLANTED_DAY + 7 + 21);
      for (const p of curve.points.filter((q) => q.days >= firstBelow.days)) expect(median(p.ari)).toBeLessThan(THRESHOLD);
      // The drift of the non-aging features (review score, lateness...) crosses the check's PSI trigger after the change only.
      const psiOther = (p: (typeof curve.points)[number]) => Math.max(...Object.entries(p.psi).filter(([n]) => n !== 'recencyDays').map(([, v]) => v!));
      for (const p of before) expect(psiOther(p)).toBeLessThan(0.25);
      expect(psiOther(curve.points[curve.points.length - 1])).toBeGreaterThan(0.25);
      // The new customers are counted at each date.
      expect(curve.points[curve.points.length - 1].newCustomers).toBeGreaterThan(curve.points[1].newCustomers);
    }
    // The recommendation is the longest interval before the change for the latest origin (day 108: 92 days).
    const r = withDrift.recommendation;
    expect(r.basis).toBe('crossing');
    expect(r.everyDays).toBeGreaterThanOrEqual(PLANTED_DAY - ORIGINS[1] - 7);
    expect(r.everyDays).toBeLessThanOrEqual(PLANTED_DAY - ORIGINS[0] + 7);
    expect(r.crossingDays).toBe(r.everyDays + 7);
    expect(r.contract).toMatch(/Basis: where the measured agreement crosses the threshold/);
  });

  test('without drift the model stays valid over the whole horizon', () => {
    for (const p of without.points) {
      expect(p.ariMedian).toBeGreaterThanOrEqual(0.95);
      expect(p.ariKnownMedian).toBeGreaterThanOrEqual(0.95);
    }
    expect(without.recommendation.basis).toBe('horizon');
    expect(without.recommendation.crossingDays).toBeNull();
    expect(without.recommendation.everyDays).toBe(without.recommendation.evidenceDays);
    expect(without.recommendation.rationale).toMatch(/Retrain the segmentation every \d+ weeks/);
    expect(without.recommendation.rationale).toMatch(/is a lower bound, not a measured limit/);
  });

  test('each point reports median and quartiles over origins x seeds, all and known customers, counts', () => {
    const p = withDrift.points.find((q) => q.days === 28)!;
    expect(p.origins).toBe(2);
    expect(p.samples).toBe(2 * SEEDS);
    expect(p.ariQ1).toBeLessThanOrEqual(p.ariMedian);
    expect(p.ariQ3).toBeGreaterThanOrEqual(p.ariMedian);
    expect(p.customers).toBeGreaterThan(p.newCustomers);
    expect(p.newCustomers).toBeGreaterThan(0);
    expect(withDrift.points[0].days).toBe(0);
    expect(withDrift.points[0].newCustomers).toBe(0);
    expect(withDrift.initStability.pairs).toBe(ORIGINS.length * ((SEEDS * (SEEDS - 1)) / 2));
  });
});

describe('the classic mistakes are avoided', () => {
  const { data } = syntheticData(drifting, 330);
  const t0 = dayToTime(ORIGINS[0]);
  const late = dayToTime(300);
  const report = simulateStability(data, { k: 3, origins: [t0], stepDays: 110, horizonDays: 220, seeds: 2, nInit: 3, baseSeed: 5 });
  const m0 = trainSegmentation(data, { k: 3, asOf: t0, seed: 5, nInit: 3, sweep: false, compare: false, silhouetteSample: 1000 });

  test("the old model labels new data with its own fitted transforms, never a scaler refitted on the new data", () => {
    const f = computeFeatures(data, late);
    const own = modelLabels(m0.model, f);
    // By hand with the stored parameters:
    const imputed = imputeReviews(f.values, m0.model.reviewImputation);
    const byHand = assignToCentroids(applyTransforms(imputed, m0.model.features), Float64Array.from(m0.model.centroids.flat()), 3);
    expect(Array.from(own)).toEqual(Array.from(byHand).map((r) => m0.model.segments[r].id));
    // The mistake (refitting the ranges on the new data) rescales every feature to the new data: the aging of the
    // customers (recency) that the old model sees (most of them pushed to the top of its recency range) disappears.
    const recency = m0.model.features.findIndex((t) => t.name === 'recencyDays');
    const top = m0.model.features[recency].weight;
    const meanCoord = (X: { rows: number; cols: number; data: Float64Array }) => {
      let s = 0;
      for (let i = 0; i < X.rows; i++) s += X.data[i * X.cols + recency];
      return s / X.rows;
    };
    expect(meanCoord(applyTransforms(imputed, m0.model.features))).toBeGreaterThan(0.7 * top);
    const refit = applyTransforms(imputed, fitTransforms(imputed));
    expect(meanCoord(refit)).toBeLessThan(0.6 * top);
    const refitted = assignToCentroids(refit, Float64Array.from(m0.model.centroids.flat()), 3);
    expect(adjustedRandIndex(own, refitted)).toBeLessThan(1);
    // ...and the simulation's figure is the one with the stored transforms.
    const point = report.perOrigin[0].points.find((p) => p.days === 220)!;
    expect(dayToTime(ORIGINS[0] + 220)).toBe(Date.parse(point.date));
    const fresh = freshFit(computeFeatures(data, Date.parse(point.date)), 3, 5 + 1000, 3);
    const fp = computeFeatures(data, Date.parse(point.date));
    expect(point.ari[0]).toBeCloseTo(adjustedRandIndex(modelLabels(m0.model, fp), fresh), 4);
  });

  test('labels are compared by customer_unique_id, and "known" means present at T0', () => {
    const fp = computeFeatures(data, dayToTime(ORIGINS[0] + 220));
    const atT0 = new Set(computeFeatures(data, t0).customerIds);
    const mine = { ids: fp.customerIds, labels: modelLabels(m0.model, fp) };
    const ref = { ids: fp.customerIds, labels: freshFit(fp, 3, 5 + 1000, 3) };
    // The reference listed in another order gives the same ARI when joined by customer.
    const order = Array.from(fp.customerIds.keys()).reverse();
    const shuffled = { ids: order.map((i) => ref.ids[i]), labels: order.map((i) => ref.labels[i]) };
    const known = ariByCustomer(mine, shuffled, (id) => atT0.has(id));
    expect(known.customers).toBe(atT0.size);
    const point = report.perOrigin[0].points.find((p) => p.days === 220)!;
    expect(point.ariKnown[0]).toBeCloseTo(known.ari, 4);
    expect(point.newCustomers).toBe(fp.values.rows - atT0.size);
  });

  test('each snapshot is computed as of its date, not cut from the full history', () => {
    const atT0 = computeFeatures(data, t0);
    const full = computeFeatures(data);
    expect(report.perOrigin[0].customers).toBe(atT0.values.rows);
    expect(m0.model.customers).toBe(atT0.values.rows);
    expect(atT0.values.rows).toBeLessThan(full.values.rows / 2);
    expect(m0.model.asOf).toBe(new Date(t0).toISOString());
    // Recency in the model's training data is measured from T0 (at most T0 minus the first purchase).
    const maxRecency = Math.max(...m0.model.segments.filter((s) => s.kind === 'cluster').map((s) => s.profile.recencyDays.mean));
    expect(maxRecency).toBeLessThan(ORIGINS[0]);
    for (const p of report.perOrigin[0].points) expect(p.customers).toBe(computeFeatures(data, Date.parse(p.date)).values.rows);
  });

  test('initialisation noise is not read as drift: several seeds, medians, spread reported', () => {
    // k = 2 on three groups with single initialisations: now and then one seed lands in a poor local optimum.
    const { data: stable } = syntheticData(stationary, 330, 3);
    const r = simulateStability(stable, { k: 2, origins: [dayToTime(100)], stepDays: 28, horizonDays: 196, seeds: 5, nInit: 1 });
    const values = r.perOrigin[0].points.flatMap((p) => p.ari);
    // A single-seed curve would show sudden "drift" at those dates...
    expect(Math.min(...values)).toBeLessThan(0.5);
    // ...the medians over seeds do not, and the spread is reported.
    for (const p of r.points) expect(p.ariMedian).toBeGreaterThanOrEqual(0.95);
    expect(r.points.some((p) => p.ariMin < 0.5)).toBe(true);
    expect(r.recommendation.basis).toBe('horizon');
    expect(r.initStability.pairs).toBe(10);
  });

  test('when the partition itself is unstable across initialisations, the noise floor at d = 0 says so', () => {
    // k = 5 on three groups: the extra splits are arbitrary.
    const { data: stable } = syntheticData(stationary, 330, 3);
    const r = simulateStability(stable, { k: 5, origins: [dayToTime(100)], stepDays: 28, horizonDays: 196, seeds: 4, nInit: 1 });
    expect(r.points[0].days).toBe(0);
    expect(r.points[0].ariMedian).toBeLessThan(0.8);
    expect(r.initStability.min).toBeLessThan(0.9);
    expect(r.recommendation.rationale).toMatch(/not stable across initialisations/);
  });

  test('the fresh fit is the production method (same labels as trainSegmentation with the same seed)', () => {
    const f = computeFeatures(data, late);
    const train = trainSegmentation(data, { k: 3, asOf: late, seed: 9, nInit: 2, sweep: false, compare: false, silhouetteSample: 500 });
    expect(adjustedRandIndex(freshFit(f, 3, 9, 2), train.labels)).toBe(1);
  });
});

describe('the recommendation rule', () => {
  const pt = (days: number, ari: number, known = ari, origins = 3): StabilityPoint => ({
    days,
    ariMedian: ari,
    ariQ1: ari,
    ariQ3: ari,
    ariMin: ari,
    ariKnownMedian: known,
    ariKnownQ1: known,
    ariKnownQ3: known,
    customers: 100,
    newCustomers: days,
    origins,
    samples: origins * 3,
    psiRecency: 0,
    psiOtherMax: 0,
    drift: {} as StabilityPoint['drift'],
  });

  test('the cadence is the last horizon before either median crosses the threshold', () => {
    expect(cadenceFromCurve([pt(0, 1), pt(7, 0.9), pt(14, 0.8), pt(21, 0.79), pt(28, 0.85)], 0.8, 3)).toMatchObject({ everyDays: 14, crossingDays: 21, basis: 'crossing' });
    // The known customers' median crosses first.
    expect(cadenceFromCurve([pt(0, 1), pt(7, 0.9), pt(14, 0.9, 0.7), pt(21, 0.9)], 0.8, 3)).toMatchObject({ everyDays: 7, crossingDays: 14, basis: 'crossing' });
    // Below already at the first step: the first step, and said to be a crossing.
    expect(cadenceFromCurve([pt(0, 1), pt(7, 0.7), pt(14, 0.6)], 0.8, 3)).toMatchObject({ everyDays: 7, crossingDays: 7, basis: 'crossing' });
  });

  test('no crossing within the data: the longest horizon measured, as a lower bound', () => {
    expect(cadenceFromCurve([pt(0, 1), pt(7, 0.9, 0.85), pt(14, 0.9, 0.81)], 0.8, 3)).toEqual({ everyDays: 14, crossingDays: null, basis: 'horizon', evidenceDays: 14, minOrigins: 2 });
  });

  test('horizons reached by fewer than half of the origins do not count', () => {
    const points = [pt(0, 1, 1, 5), pt(7, 0.95, 0.95, 5), pt(14, 0.9, 0.9, 4), pt(21, 0.9, 0.9, 3), pt(28, 0.7, 0.7, 2)];
    expect(cadenceFromCurve(points, 0.8, 5)).toEqual({ everyDays: 21, crossingDays: null, basis: 'horizon', evidenceDays: 21, minOrigins: 3 });
  });
});
