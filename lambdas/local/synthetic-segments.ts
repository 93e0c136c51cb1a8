/**
 * Synthetic models and assignments for the storage tests, the local demo and the write benchmark
 * (deterministic from a seed; customer ids look like Olist's 32-hex customer_unique_id).
 */
import { createHash } from 'node:crypto';
import { createRng } from '../core/util/random';
import { FEATURE_NAMES, type CustomerAssignment, type FeatureVector, type SegmentDescription, type SegmentModel } from '../core/domain/types';

export function syntheticCustomerId(i: number, salt = ''): string {
  return createHash('md5').update(`customer-${salt}${i}`).digest('hex');
}

export function syntheticModel(version: string, options: { k?: number; customers: number; createdAt?: string; seed?: number }): SegmentModel {
  const k = options.k ?? 5;
  const rng = createRng(options.seed ?? 1);
  const segments: SegmentDescription[] = Array.from({ length: k }, (_, id) => ({
    id,
    kind: 'cluster' as const,
    name: `Segment ${id}`,
    description: `Synthetic segment ${id} (seeded)`,
    action: `Action for segment ${id}`,
    traits: id % 2 ? ['high-value'] : [],
    size: 0,
    share: 0,
    profile: Object.fromEntries(
      FEATURE_NAMES.map((f) => [f, { mean: rng.normal(), median: rng.normal(), populationMean: rng.next(), populationMedian: rng.next(), zScore: rng.normal() }]),
    ) as SegmentDescription['profile'],
    fidelity: {},
  }));
  return {
    schemaVersion: 2,
    version,
    createdAt: options.createdAt ?? new Date().toISOString(),
    asOf: '2018-10-17T00:00:00.000Z',
    dataFingerprint: createHash('sha256').update(version).digest('hex'),
    algorithm: 'kmeans',
    k,
    seed: options.seed ?? 1,
    features: FEATURE_NAMES.map((name) => ({ name, log: name === 'monetary', lo: -rng.next() * 10, hi: rng.next() * 10 + 0.1, weight: 1 })),
    reviewImputation: { rule: 'late deliveries get the mean score of late orders', onTime: 4.2857142857142855, late: 2.5714285714285716 },
    centroids: Array.from({ length: k }, () => FEATURE_NAMES.map(() => rng.normal())),
    metrics: { silhouette: 0.1 + 0.2, daviesBouldin: 1 / 3, calinskiHarabasz: 12345.678901234567, inertia: 98765.4321 },
    segments,
    customers: options.customers,
    people: options.customers,
  };
}

/**
 * n assignments over k segments. Spends are 2-decimal amounts with deliberate ties (every 10th customer spends 99.90);
 * other features are full-precision doubles. `previous` assigns previousSegmentId from an earlier set. `why` adds
 * reasons, a runner-up and a margin (4 decimals, uniform in [0, 0.3]: about a sixth borderline, with ties), from their own
 * random stream so that the rest is the same with or without them.
 */
export function syntheticAssignments(
  n: number,
  options: { k?: number; seed?: number; salt?: string; previous?: Map<string, number>; why?: boolean } = {},
): CustomerAssignment[] {
  const k = options.k ?? 5;
  const rng = createRng(options.seed ?? 7);
  const whyRng = createRng((options.seed ?? 7) + 1_000_003);
  return Array.from({ length: n }, (_, i) => {
    const customerId = syntheticCustomerId(i, options.salt);
    const segmentId = rng.int(k);
    const monetary = i % 10 === 0 ? 99.9 : Math.round(Math.exp(3 + 1.2 * rng.normal()) * 100) / 100;
    const features = Object.fromEntries(FEATURE_NAMES.map((f) => [f, rng.normal() * 100])) as FeatureVector;
    features.monetary = monetary;
    features.frequency = 1 + rng.int(5);
    const a: CustomerAssignment = { customerId, segmentId, segmentName: `Segment ${segmentId}`, features };
    const prev = options.previous?.get(customerId);
    if (prev !== undefined) a.previousSegmentId = prev;
    if (options.why) {
      a.runnerUp = (segmentId + 1 + whyRng.int(k - 1)) % k;
      a.margin = i % 17 === 0 ? 0.0123 : Math.round(whyRng.next() * 0.3 * 1e4) / 1e4;
      a.reasons = [FEATURE_NAMES[whyRng.int(4)], 'installments'];
    }
    return a;
  });
}

/** Sets each segment's size/share from the assignments (as the trainer would). */
export function withSizes(model: SegmentModel, assignments: readonly CustomerAssignment[]): SegmentModel {
  const counts = new Map<number, number>();
  for (const a of assignments) counts.set(a.segmentId, (counts.get(a.segmentId) ?? 0) + 1);
  return {
    ...model,
    segments: model.segments.map((s) => ({ ...s, size: counts.get(s.id) ?? 0, share: (counts.get(s.id) ?? 0) / assignments.length })),
  };
}
