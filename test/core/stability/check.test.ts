import { computeFeatures } from '../../../lambdas/core/features/customerFeatures';
import { modelCoordinates } from '../../../lambdas/core/model/assign';
import { trainSegmentation } from '../../../lambdas/core/model/train';
import { runStabilityCheck, trainingDistributionOf } from '../../../lambdas/core/stability/check';
import { summarizeDistribution } from '../../../lambdas/core/stability/drift';
import { BUDGET, BULK, GroupSpec, PREMIUM, UNHAPPY, dayToTime, syntheticData } from './synthetic';

const stationary: GroupSpec[] = [
  { ...BUDGET, rate: () => 2 },
  { ...PREMIUM, rate: () => 1.25 },
  { ...BULK, rate: () => 1.5 },
];
const drifting: GroupSpec[] = [...stationary, { ...UNHAPPY, rate: (d: number) => (d >= 200 ? 6 : 0) }];

describe('scheduled stability check', () => {
  const stable = syntheticData(stationary, 330).data;
  const changed = syntheticData(drifting, 330).data;
  const fit = (data: typeof stable, day: number) => trainSegmentation(data, { k: 3, asOf: dayToTime(day), seed: 1, nInit: 3, sweep: false, compare: false, silhouetteSample: 500 });

  test('ok shortly after training: high agreement, no drifted feature, young model', () => {
    const { model } = fit(stable, 150);
    const r = runStabilityCheck(model, stable, { asOf: dayToTime(157), cadenceDays: 56, seeds: 3 });
    expect(r.verdict).toBe('ok');
    expect(r.ari).toBeGreaterThan(0.95);
    expect(r.ariKnown).toBeGreaterThan(0.95);
    expect(r.ageDays).toBe(7);
    expect(Object.values(r.drift).every((d) => d.psi < 0.25)).toBe(true);
    expect(r.trainingDistribution).toBe('recomputed');
    expect(r.reasons[0]).toMatch(/^median ARI .* >= 0.8/);
    expect(r.ariSpread.values).toHaveLength(3);
  });

  test('overdue when older than the cadence without drift', () => {
    const { model } = fit(stable, 150);
    const r = runStabilityCheck(model, stable, { asOf: dayToTime(157), now: dayToTime(220), cadenceDays: 56 });
    expect(r.verdict).toBe('overdue');
    expect(r.reasons.join()).toMatch(/70 days old, beyond the 56-day cadence/);
  });

  test('drift when a new kind of customer arrives: low ARI and drifted features, with every reason listed', () => {
    const { model } = fit(changed, 150);
    const r = runStabilityCheck(model, changed, { asOf: dayToTime(260), cadenceDays: 56 });
    expect(r.verdict).toBe('drift');
    expect(r.ari).toBeLessThan(0.8);
    expect(r.freshAgreement).toBeGreaterThan(0.95); // the fresh fits agree: the disagreement is not noise
    expect(r.drift.reviewScore.level).toBe('major');
    expect(r.drift.lateShare.psi).toBeGreaterThan(0.25);
    expect(r.reasons[0]).toMatch(/median ARI .* below the threshold 0.8/);
    expect(r.reasons.some((x) => /feature reviewScore drifted/.test(x))).toBe(true);
    expect(r.reasons.some((x) => /beyond the 56-day cadence/.test(x))).toBe(true);
    expect(r.newCustomers).toBeGreaterThan(0);
  });

  test('the training distribution can be stored beside the model, and is what is recomputed from the data', () => {
    const trained = fit(stable, 150);
    const stored = summarizeDistribution(trained.imputed, { asOf: trained.model.asOf, modelVersion: trained.model.version });
    expect(trainingDistributionOf(trained.model, stable)).toEqual(stored);
    const f = computeFeatures(stable, dayToTime(200));
    expect(modelCoordinates(trained.model, f).imputed.rows).toBe(f.values.rows);
    const r = runStabilityCheck(trained.model, stable, { asOf: dayToTime(160), training: JSON.parse(JSON.stringify(stored)) });
    expect(r.trainingDistribution).toBe('stored');
    expect(r.verdict).toBe('ok');
  });
});
