/**
 * summary.json: what a run produced, for people (the CLI prints a table from it) and programs (--json).
 */
import { LoadIssues, OlistData, TableReport } from '../olist/load';
import { FEATURE_NAMES, FeatureName, SegmentModel, SweepPoint } from './types';
import { TrainResult } from './train';
import { AlternativeScore } from './alternatives';
import { KChoice } from './selectK';
import { TRAIT_RULES } from '../segments/naming';
import { loadWarnings } from '../olist/warnings';

export const ORDER_STATUS_RULE =
  'an order counts once it reached the customer: status delivered and delivered on or before the as-of date (delivered orders without a delivery date count from their purchase)';

export interface SegmentSummary {
  id: number;
  name: string;
  description: string;
  action: string;
  traits: string[];
  size: number;
  share: number;
  /** Mean of each feature in the segment. */
  profile: Record<FeatureName, number>;
  median: Record<FeatureName, number>;
  /** (segment mean - population mean) / population standard deviation. */
  zScore: Record<FeatureName, number>;
}

export interface RunSummary {
  modelVersion: string;
  asOf: string;
  dataFingerprint: string;
  customers: number;
  counts: { customersInExport: number; customersWithOrders: number; customersSegmented: number; customersWithoutCountedOrder: number; orders?: number };
  orderStatusRule: string;
  reviewImputation: SegmentModel['reviewImputation'] & { customersImputed: number };
  features: SegmentModel['features'];
  k: number;
  kChoice?: KChoice;
  metrics: SegmentModel['metrics'];
  sweep: SweepPoint[];
  /** Present when the sweep (and the choice of k) ran on a seeded sample of the customers (train.ts SWEEP_SAMPLE). */
  sweepSample?: TrainResult['sweepSample'];
  initStability: TrainResult['initStability'];
  alternatives: AlternativeScore[];
  pca?: { explainedVariance: number[] };
  population: { mean: Record<FeatureName, number>; median: Record<FeatureName, number> };
  segments: SegmentSummary[];
  namingRules: { trait: string; rule: string }[];
  /** The input files (absent when training from a stored feature table). */
  tables?: TableReport[];
  loadIssues?: LoadIssues;
  /** What the load tolerated (rows skipped, orphans), in sentences (olist/warnings.ts); empty when nothing. */
  warnings?: string[];
  timings: Record<string, number>;
}

const byFeature = (f: (name: FeatureName) => number) => Object.fromEntries(FEATURE_NAMES.map((n) => [n, f(n)])) as Record<FeatureName, number>;

type Extra = { timings: Record<string, number>; pca?: { explainedVariance: number[] } };

export function buildSummary(data: OlistData, result: TrainResult, extra: Extra): RunSummary {
  const s = buildSummaryFromFeatures(result, extra);
  s.counts.customersInExport = data.customerIds.length;
  s.counts.orders = data.orders.count;
  return { ...s, tables: data.tables, loadIssues: data.issues, warnings: loadWarnings(data.tables, data.issues) };
}

/** The summary of a training on a stored feature table (the stack's train function). */
export function buildSummaryFromFeatures(result: TrainResult, extra: Extra): RunSummary {
  const { model, features } = result;
  let imputedCount = 0;
  const ri = FEATURE_NAMES.indexOf('reviewScore');
  for (let i = 0; i < features.values.rows; i++) if (Number.isNaN(features.values.data[i * features.values.cols + ri])) imputedCount++;
  const first = model.segments[0]?.profile;
  return {
    modelVersion: model.version,
    asOf: model.asOf,
    dataFingerprint: model.dataFingerprint,
    customers: model.customers,
    counts: {
      customersInExport: features.customersWithOrders,
      customersWithOrders: features.customersWithOrders,
      customersSegmented: features.values.rows,
      customersWithoutCountedOrder: features.notCounted,
    },
    orderStatusRule: ORDER_STATUS_RULE,
    reviewImputation: { ...model.reviewImputation, customersImputed: imputedCount },
    features: model.features,
    k: model.k,
    kChoice: result.choice,
    metrics: model.metrics,
    sweep: result.sweep,
    ...(result.sweepSample ? { sweepSample: result.sweepSample } : {}),
    initStability: result.initStability,
    alternatives: result.alternatives,
    pca: extra.pca,
    population: { mean: byFeature((n) => first?.[n].populationMean ?? NaN), median: byFeature((n) => first?.[n].populationMedian ?? NaN) },
    segments: model.segments.map((s) => ({
      id: s.id,
      name: s.name,
      description: s.description,
      action: s.action,
      traits: s.traits,
      size: s.size,
      share: s.share,
      profile: byFeature((n) => s.profile[n].mean),
      median: byFeature((n) => s.profile[n].median),
      zScore: byFeature((n) => s.profile[n].zScore),
    })),
    namingRules: TRAIT_RULES.map((r) => ({ trait: r.trait, rule: r.rule })),
    timings: Object.fromEntries(Object.entries(extra.timings).map(([k, v]) => [k, Math.round(v * 1000) / 1000])),
  };
}
