/**
 * From a fitted clustering to the model people read: segment ids ordered by value, profiles against the population,
 * names that rest on traits most members have, the rule segments of the people without a delivered order, coverage,
 * and the versioned SegmentModel. One function for both paths: the single training (train.ts) describes the fit on
 * every customer; the distributed path (lambdas/pipeline/distributed-publish.ts) describes its final centres on its
 * sample and passes the exact sizes counted while writing every assignment.
 */
import { createHash } from 'node:crypto';
import type { UncountedPeople } from '../features/customerFeatures';
import { labelSegments } from '../segments/naming';
import { Profile, PopulationStats, membersOf, profileSegments } from '../segments/profile';
import { describeRuleSegments, ruleLabels } from '../segments/ruleSegments';
import { Trait, TraitThresholds, traitSupport } from '../segments/traits';
import type { Matrix } from '../util/matrix';
import { Coverage, coverageOf } from './coverage';
import { ClusterMetrics, FEATURE_NAMES, FeatureTransform, SegmentDescription, SegmentModel } from '../domain/types';

/** A clustering of the customers with a delivered order, in the fit's own cluster numbering. */
export interface FittedClusters {
  k: number;
  /** k rows of model coordinates. */
  centroids: Float64Array;
  /** Cluster (0..k-1) of each customer row. */
  labels: Int32Array;
  /** Profiles and trait support per cluster when the caller computed them already (the sweep does). */
  profiles?: Profile[];
  support?: Record<Trait, number>[];
}

export interface DescribeInput {
  fit: FittedClusters;
  /** Raw features of the customer rows (NaN review when unknown), and the same with reviews imputed. */
  raw: Matrix;
  imputed: Matrix;
  /** The people without a delivered order (rule segments). */
  uncounted: UncountedPeople;
  pop: PopulationStats;
  thresholds: TraitThresholds;
  metrics: ClusterMetrics;
  transforms: FeatureTransform[];
  reviewImputation: SegmentModel['reviewImputation'];
  identity: { fingerprint: string; seed: number; nInit: number; asOf: number; createdAt: string };
  /**
   * Sizes and totals of everyone when the rows above are a sample (the distributed path): people per cluster of the
   * fit (its own numbering) and per rule segment id. Unset: counted from the rows.
   */
  exact?: { clusterSizes: number[]; ruleSizes: Record<number, number>; customers: number; people: number };
}

export interface DescribedModel {
  model: SegmentModel;
  /** Segment id of each customer row (value order). */
  labels: Int32Array;
  /** Segment id of each uncounted person. */
  ruleLabels: Int32Array;
  /** order[id] = the fit's cluster number of segment id. */
  order: number[];
  coverage: Coverage;
}

/** Segment ids in value order (spend x orders), so that id 0 is the most valuable group of a fresh model. */
function valueOrder(profiles: Profile[]): number[] {
  const value = (p: Profile) => p.monetary.mean * p.frequency.mean;
  return profiles.map((_, i) => i).sort((a, b) => value(profiles[b]) - value(profiles[a]));
}

export function describeFit(input: DescribeInput): DescribedModel {
  const { fit, imputed, pop, thresholds, uncounted } = input;
  const { k } = fit;
  const d = imputed.cols;
  const rawProfiles = fit.profiles ?? profileSegments(imputed, fit.labels, k, pop);
  const rawSupport = fit.support ?? traitSupport(imputed, membersOf(fit.labels, k), thresholds);
  const order = valueOrder(rawProfiles);
  const relabel = new Int32Array(k);
  order.forEach((old, id) => (relabel[old] = id));
  const labels = fit.labels.map((l) => relabel[l]);
  const profiles = order.map((old) => rawProfiles[old]);
  const names = labelSegments(
    profiles,
    order.map((old) => rawSupport[old]),
  );
  const counted = new Array<number>(k).fill(0);
  for (const l of labels) counted[l]++;
  const customers = input.exact?.customers ?? imputed.rows;
  const people = input.exact?.people ?? imputed.rows + uncounted.values.rows;
  const sizeOf = (id: number, fallback: number) => (input.exact ? (input.exact.clusterSizes[order[id]] ?? 0) : fallback);
  const clusters: SegmentDescription[] = profiles.map((profile, id) => ({
    id,
    kind: 'cluster',
    name: names[id].name,
    description: names[id].description,
    action: names[id].action,
    traits: names[id].traits,
    size: sizeOf(id, counted[id]),
    share: sizeOf(id, counted[id]) / people,
    profile,
    fidelity: names[id].fidelity,
  }));
  const rules = describeRuleSegments(uncounted, pop, thresholds, people).map((s) => {
    if (!input.exact) return s;
    const size = input.exact.ruleSizes[s.id] ?? 0;
    return { ...s, size, share: size / Math.max(1, people) };
  });
  const coverage = coverageOf(input.raw, imputed, labels, k, {
    unsatisfied: clusters.map((s) => s.traits.includes('unsatisfied')),
    repeat: clusters.map((s) => s.traits.includes('repeat')),
    meanReview: clusters.map((s) => s.profile.reviewScore.mean),
  });
  const { fingerprint, seed, nInit, asOf, createdAt } = input.identity;
  const params = JSON.stringify({ k, seed, nInit, asOf, features: FEATURE_NAMES, transforms: input.transforms });
  const hash = createHash('sha256').update(fingerprint).update(params).digest('hex').slice(0, 8);
  const model: SegmentModel = {
    schemaVersion: 2,
    version: `${createdAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${hash}`,
    createdAt,
    asOf: new Date(asOf).toISOString(),
    dataFingerprint: fingerprint,
    algorithm: 'kmeans',
    k,
    seed,
    features: input.transforms,
    reviewImputation: input.reviewImputation,
    centroids: order.map((old) => Array.from(fit.centroids.subarray(old * d, (old + 1) * d))),
    metrics: input.metrics,
    segments: [...clusters, ...rules],
    customers,
    people,
  };
  return { model, labels, ruleLabels: ruleLabels(uncounted), order, coverage };
}
