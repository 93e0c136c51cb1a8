/**
 * summary.json: what a run produced, for people (the CLI prints a table from it) and programs (--json).
 */
import { borderlineSummary, explainPeople, type BorderlineSummary, type PeopleWhy } from './explain';
import { LoadIssues, OlistData, TableReport } from '../olist/load';
import { FEATURE_NAMES, FeatureName, SegmentDescription, SegmentModel, SweepPoint } from '../domain/types';
import { ModelStability, SweepCandidate, TrainResult } from './train';
import { AlternativeScore } from './alternatives';
import { KChoice } from './selectK';
import { Coverage } from './coverage';
import { BaselineComparison } from './baseline';
import { TRAIT_RULES, TRAIT_RULE_TEXT, TRAIT_SUPPORT, TraitThresholds, describeTrait } from '../segments/traits';
import { RULE_SEGMENTS, RULE_SEGMENT_IDS } from '../segments/ruleSegments';
import { SERVICE_GROUPS } from '../features/customerFeatures';
import { FEATURE_SPACE, FEATURE_SPACE_RULE } from '../features/transforms';
import { loadWarnings } from '../olist/warnings';

export const ORDER_STATUS_RULE =
  'an order counts once it reached the customer: status delivered and delivered on or before the as-of date (delivered orders without a delivery date count from their purchase); people without such an order are not clustered but placed in rule-based segments by the state of their orders';

export const AS_OF_RULE =
  'default as-of date: where the data effectively ends, the last purchase of the last day which, with the 7 days before it, holds at least 10% of the median weekly purchase count';

/** A segment as summary.json gives it: its description, with per-feature means, medians and z-scores. */
export interface SegmentSummary extends Pick<SegmentDescription, 'id' | 'kind' | 'name' | 'description' | 'action' | 'traits' | 'size' | 'share' | 'fidelity'> {
  /** Mean of each feature in the segment (over the members with a value: rule segments have no delivery features). */
  profile: Record<FeatureName, number>;
  median: Record<FeatureName, number>;
  /** (segment mean - population mean) / population standard deviation. */
  zScore: Record<FeatureName, number>;
}

export interface RunSummary {
  modelVersion: string;
  asOf: string;
  asOfRule: string;
  dataFingerprint: string;
  /** People clustered (a delivered order as of asOf). */
  customers: number;
  /** Everyone in the export with a segment, clustered and rule-based: the sizes of all segments add up to it. */
  people: number;
  counts: {
    customersInExport: number;
    customersWithOrders: number;
    customersSegmented: number;
    customersWithoutCountedOrder: number;
    /** People in rule segments (no delivered order), per service group. */
    peopleInRuleSegments: Record<string, number>;
    orders?: number;
  };
  orderStatusRule: string;
  reviewImputation: SegmentModel['reviewImputation'] & { customersImputed: number };
  featureSpace: { rule: string; features: { name: FeatureName; log: boolean; lo: number; hi: number; weight: number; why: string }[] };
  features: SegmentModel['features'];
  /** Clustered segments (k-means). */
  k: number;
  kChoice?: KChoice;
  metrics: SegmentModel['metrics'];
  sweep: (SweepPoint & Pick<SweepCandidate, 'silhouetteSE' | 'smallestShare' | 'coverage' | 'modelStability'>)[];
  /** Present when the sweep (and the choice of k) ran on a seeded sample of the customers (train.ts SWEEP_SAMPLE). */
  sweepSample?: TrainResult['sweepSample'];
  initStability: TrainResult['initStability'];
  modelStability: ModelStability;
  /** Coverage of the chosen partition over the clustered customers (coverage.ts). */
  coverage: Coverage;
  alternatives: AlternativeScore[];
  baseline?: BaselineComparison;
  pca?: { explainedVariance: number[] };
  population: { mean: Record<FeatureName, number>; median: Record<FeatureName, number> };
  segments: SegmentSummary[];
  namingRules: { trait: string; rule: string }[];
  traitSupport: { rule: string; minShare: number; thresholds: TraitThresholds };
  ruleSegments: { id: number; group: string; name: string; rule: string }[];
  /** Per cluster segment, its borderline customers (margin below the threshold) and their next nearest segments (model/explain.ts). */
  borderline?: BorderlineSummary;
  /** The input files (absent when training from a stored feature table). */
  tables?: TableReport[];
  loadIssues?: LoadIssues;
  /** What the load tolerated (rows skipped, orphans), in sentences (olist/warnings.ts); empty when nothing. */
  warnings?: string[];
  timings: Record<string, number>;
}

const byFeature = (f: (name: FeatureName) => number) => Object.fromEntries(FEATURE_NAMES.map((n) => [n, f(n)])) as Record<FeatureName, number>;

/**
 * The counts of a feature table the summary reports, mergeable (sums): the distributed path adds up its partitions'
 * instead of holding every person's features in one place.
 */
export interface FeatureCounts {
  customersWithOrders: number;
  customersSegmented: number;
  customersWithoutCountedOrder: number;
  /** Clustered customers whose review score was imputed (no known review). */
  customersImputed: number;
  peopleInRuleSegments: Record<string, number>;
}

export function featureCounts(features: TrainResult['features']): FeatureCounts {
  let imputed = 0;
  const ri = FEATURE_NAMES.indexOf('reviewScore');
  for (let i = 0; i < features.values.rows; i++) if (Number.isNaN(features.values.data[i * features.values.cols + ri])) imputed++;
  const inRules = Object.fromEntries(SERVICE_GROUPS.map((g) => [g, 0]));
  for (const g of features.uncounted.group) inRules[SERVICE_GROUPS[g]]++;
  return {
    customersWithOrders: features.customersWithOrders,
    customersSegmented: features.values.rows,
    customersWithoutCountedOrder: features.notCounted,
    customersImputed: imputed,
    peopleInRuleSegments: inRules,
  };
}

export function mergeFeatureCounts(parts: readonly FeatureCounts[]): FeatureCounts {
  const out: FeatureCounts = { customersWithOrders: 0, customersSegmented: 0, customersWithoutCountedOrder: 0, customersImputed: 0, peopleInRuleSegments: Object.fromEntries(SERVICE_GROUPS.map((g) => [g, 0])) };
  for (const p of parts) {
    out.customersWithOrders += p.customersWithOrders;
    out.customersSegmented += p.customersSegmented;
    out.customersWithoutCountedOrder += p.customersWithoutCountedOrder;
    out.customersImputed += p.customersImputed;
    for (const [g, n] of Object.entries(p.peopleInRuleSegments)) out.peopleInRuleSegments[g] = (out.peopleInRuleSegments[g] ?? 0) + n;
  }
  return out;
}

/**
 * counts: when the result's feature table is a sample (the distributed path), the exact counts of everyone;
 * borderline likewise (summed from the partitions). `why`: the explanation pass over the customers when the caller
 * has it (train.ts), else computed here.
 */
type Extra = { timings: Record<string, number>; pca?: { explainedVariance: number[] }; why?: PeopleWhy; counts?: FeatureCounts; borderline?: BorderlineSummary };

export function buildSummary(data: OlistData, result: TrainResult, extra: Extra): RunSummary {
  const s = buildSummaryFromFeatures(result, extra);
  s.counts.customersInExport = data.customerIds.length;
  s.counts.orders = data.orders.count;
  return { ...s, tables: data.tables, loadIssues: data.issues, warnings: loadWarnings(data.tables, data.issues) };
}

/** The summary of a training on a stored feature table (the stack's train function). */
export function buildSummaryFromFeatures(result: TrainResult, extra: Extra): RunSummary {
  const { model, features } = result;
  const counts = extra.counts ?? featureCounts(result.features);
  const first = model.segments[0]?.profile;
  return {
    modelVersion: model.version,
    asOf: model.asOf,
    asOfRule: AS_OF_RULE,
    dataFingerprint: model.dataFingerprint,
    customers: model.customers,
    people: model.people,
    counts: {
      customersInExport: model.people,
      customersWithOrders: counts.customersWithOrders,
      customersSegmented: counts.customersSegmented,
      customersWithoutCountedOrder: counts.customersWithoutCountedOrder,
      peopleInRuleSegments: counts.peopleInRuleSegments,
    },
    orderStatusRule: ORDER_STATUS_RULE,
    reviewImputation: { ...model.reviewImputation, customersImputed: counts.customersImputed },
    featureSpace: { rule: FEATURE_SPACE_RULE, features: model.features.map((t) => ({ ...t, why: FEATURE_SPACE[t.name].why })) },
    features: model.features,
    k: model.k,
    kChoice: result.choice,
    metrics: model.metrics,
    sweep: result.sweep.map(({ traits: _traits, ...p }) => p),
    ...(result.sweepSample ? { sweepSample: result.sweepSample } : {}),
    initStability: result.initStability,
    modelStability: result.modelStability,
    coverage: result.coverage,
    alternatives: result.alternatives,
    ...(result.baseline ? { baseline: result.baseline } : {}),
    pca: extra.pca,
    population: { mean: byFeature((n) => first?.[n].populationMean ?? NaN), median: byFeature((n) => first?.[n].populationMedian ?? NaN) },
    segments: model.segments.map((s) => ({
      id: s.id,
      kind: s.kind,
      name: s.name,
      description: s.description,
      action: s.action,
      traits: s.traits,
      size: s.size,
      share: s.share,
      profile: byFeature((n) => s.profile[n].mean),
      median: byFeature((n) => s.profile[n].median),
      zScore: byFeature((n) => s.profile[n].zScore),
      fidelity: s.fidelity,
    })),
    namingRules: TRAIT_RULES.map((r) => ({ trait: r.trait, rule: describeTrait(r, result.thresholds) })),
    traitSupport: { rule: TRAIT_RULE_TEXT, minShare: TRAIT_SUPPORT, thresholds: result.thresholds },
    ruleSegments: SERVICE_GROUPS.map((g) => ({ id: RULE_SEGMENT_IDS[g], group: g, name: RULE_SEGMENTS[g].name, rule: RULE_SEGMENTS[g].rule })),
    borderline: extra.borderline ?? borderlineSummary(model, extra.why ?? explainPeople(model, features, result.labels), result.labels),
    timings: Object.fromEntries(Object.entries(extra.timings).map(([k, v]) => [k, Math.round(v * 1000) / 1000])),
  };
}
