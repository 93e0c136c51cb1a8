/** The simulation's curve: per horizon, the median and quartiles over origins x seeds of the origins' points. */
import { DAY_MS, FeatureTable } from '../features/customerFeatures';
import { FEATURE_NAMES, FeatureName } from '../domain/types';
import { AGING_FEATURES } from './drift';
import type { OriginCurve, StabilityPoint } from './simulationTypes';
import { round, spreadOf } from './stats';

/** Median and quartiles per horizon over origins x seeds. */
export function aggregate(curves: readonly OriginCurve[]): StabilityPoint[] {
  const byDays = new Map<number, OriginCurve['points']>();
  for (const c of curves) for (const p of c.points) byDays.set(p.days, [...(byDays.get(p.days) ?? []), p]);
  return [...byDays.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([days, ps]) => {
      const a = spreadOf(ps.flatMap((p) => p.ari));
      const kn = spreadOf(ps.flatMap((p) => p.ariKnown));
      return {
        days,
        ariMedian: round(a.median, 4),
        ariQ1: round(a.q1, 4),
        ariQ3: round(a.q3, 4),
        ariMin: round(a.min, 4),
        ariKnownMedian: round(kn.median, 4),
        ariKnownQ1: round(kn.q1, 4),
        ariKnownQ3: round(kn.q3, 4),
        customers: Math.round(spreadOf(ps.map((p) => p.customers)).median),
        newCustomers: Math.round(spreadOf(ps.map((p) => p.newCustomers)).median),
        origins: ps.length,
        samples: a.n,
        psiRecency: round(spreadOf(ps.map((p) => p.psi.recencyDays ?? NaN)).median, 3),
        psiOtherMax: round(spreadOf(ps.map((p) => Math.max(0, ...Object.entries(p.psi).filter(([name]) => !AGING_FEATURES.includes(name as FeatureName)).map(([, v]) => v ?? 0)))).median, 3),
        drift: Object.fromEntries(FEATURE_NAMES.map((f) => [f, round(spreadOf(ps.map((p) => p.psi[f] ?? NaN)).median, 3)])) as Record<FeatureName, number>,
      };
    });
}

/** New customers (first delivered purchase) per week over the last 26 weeks of the data. */
export function newCustomersPerWeek(features: FeatureTable, end: number): number {
  const window = 182 * DAY_MS;
  let n = 0;
  for (const t of features.firstPurchase) if (t > end - window && t <= end) n++;
  return n / 26;
}
