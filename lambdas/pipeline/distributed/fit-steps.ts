/**
 * Features per partition, the fit (the exact feature space from merged moments; k, the sweep, stability and the
 * comparisons from the single path's own training on the sample), and the Lloyd iterations over every partition.
 */
import { Readable } from 'node:stream';
import { fitPca } from '../../core/cluster/pca';
import { inSample } from '../../core/distributed/hashing';
import { lloydUpdate, meanColumnVarianceOf, mergePartials, partialStep, type KMeansPartial } from '../../core/distributed/lloyd';
import { fitFromPartial, mergeTransformPartials } from '../../core/distributed/moments';
import { featuresOfPartition, fitContribution, gatherSample, type FitContribution } from '../../core/distributed/partitionFeatures';
import { ORDINAL_HEADER, TABLE_FILES } from '../../core/distributed/shuffle';
import { effectiveEndOfDays, type DailyPurchases, type FeatureTable } from '../../core/features/customerFeatures';
import { withoutPeople } from '../../core/features/withoutPeople';
import { decodeFeatures, encodeFeatures } from '../../core/features/serialize';
import { featureSpace } from '../../core/features/transforms';
import { mergeFeatureCounts, type FeatureCounts } from '../../core/model/summary';
import { trainOnFeatures, type TrainResult } from '../../core/model/train';
import { FEATURE_NAMES, type FeatureTransform, type SegmentModel } from '../../core/domain/types';
import type { LoadIssues, TableReport } from '../../core/olist/load';
import type { ExplorationStats } from '../../core/report/exploration';
import type { Matrix } from '../../core/util/matrix';
import { EMPTY_SUPPRESSION } from '../../store/personal-data';
import { expectObjects, keyedNumbers, pad, readAll, runKeys, type DistributedDeps } from './common';
import type { Plan } from './plan';

const D = FEATURE_NAMES.length;
/** Seeding and the k sweep on more sampled customers than this cost more than they add (train.ts SWEEP_SAMPLE). */
export const MAX_SAMPLE = 200_000;

/** A partition's contribution to the last step's files: its exploration statistics and load reports. */
export interface PartitionStats {
  exploration?: ExplorationStats;
  tables: TableReport[];
  issues: LoadIssues;
  /** People of the partition left out because they are on the suppression list (absent in runs before it was read). */
  suppressed?: number;
}

/** The default as-of date (features/customerFeatures.ts effectiveEnd) from the buckets' daily purchase counts. */
export async function globalAsOf(deps: DistributedDeps, plan: Plan): Promise<number> {
  const statKeys = await expectObjects(deps.artifacts, `${plan.work}a/stats/`, plan.buckets, 'as-of date');
  const days: DailyPurchases = new Map();
  for (const key of statKeys) {
    const s = await deps.artifacts.getJson<{ days: [number, number, number][] }>(key);
    for (const [day, count, last] of s.days) {
      const d = days.get(day);
      if (d) {
        d.count += count;
        if (last > d.last) d.last = last;
      } else days.set(day, { count, last });
    }
  }
  if (!days.size) throw new Error(`run ${plan.runId}: the export has no order`);
  return effectiveEndOfDays(days);
}

export async function partitionFeaturesStep(deps: DistributedDeps, plan: Plan, p: number): Promise<{ p: number; customers: number; people: number; sampled: number; suppressed: number }> {
  const asOf = await globalAsOf(deps, plan);
  const keys = runKeys(plan.work);
  const tables: Record<string, string[]> = {};
  const add = async (prefix: string) => {
    for (const o of await deps.artifacts.list(prefix)) {
      const what = o.key.slice(prefix.length).split('/')[0];
      (tables[what] ??= []).push(await deps.artifacts.getText(o.key));
    }
  };
  await add(keys.partPrefix(p));
  await add(`${plan.work}a/part/${pad(p)}/`);
  await add(`${plan.work}b/part/${pad(p)}/`);
  await add(`${plan.work}scatter/dim/`);
  const ordinals = keyedNumbers(tables.ordinals ?? [], ORDINAL_HEADER, Math.min);
  const tableTexts = Object.fromEntries(Object.entries(tables).filter(([what]) => Object.values(TABLE_FILES).includes(what as never)));
  const computed = await featuresOfPartition(`${plan.runId} partition ${p}`, tableTexts, asOf, D);
  // People forgotten on request never reach the features, as at ingest and train on the single path: not the fit's
  // moments or sample, not the writers' assignments, files or campaign lists (every later step reads this table).
  // Read per partition: a person forgotten while the run scatters is still left out wherever the list is read after.
  const { table, dropped: suppressed } = withoutPeople(computed.table, (deps.suppression ? await deps.suppression() : EMPTY_SUPPRESSION).has);
  if (suppressed) deps.log.info('people on the suppression list left out', { runId: plan.runId, p, people: suppressed });
  const { issues, tables: reports, exploration } = computed;
  const contribution = fitContribution(table, plan.sampleRate, ordinals);
  const encoded = encodeFeatures(table, plan.fingerprint);
  await deps.artifacts.putStream(keys.features(p), Readable.from([encoded]), { contentType: 'application/octet-stream', contentLength: encoded.length });
  await deps.artifacts.putJson(keys.fit(p), contribution);
  await deps.artifacts.putJson(keys.stats(p), { exploration, tables: reports, issues, suppressed } satisfies PartitionStats);
  return { p, customers: table.values.rows, people: table.values.rows + table.uncounted.values.rows, sampled: contribution.sample.ids.length, suppressed };
}

export async function readFeatures(deps: DistributedDeps, plan: Plan, p: number): Promise<FeatureTable> {
  const key = runKeys(plan.work).features(p);
  return decodeFeatures(await readAll(await deps.artifacts.get(key)), key).table;
}

/** The run's sample as one feature table (export order), capped at MAX_SAMPLE customers by a lower hash rate. */
export async function readSample(deps: DistributedDeps, plan: Plan, asOf: number): Promise<{ sample: FeatureTable; parts: FitContribution[] }> {
  const fitKeys = await expectObjects(deps.artifacts, `${plan.work}fit/p-`, plan.partitions, 'fit contributions');
  const parts = await Promise.all(fitKeys.map((key) => deps.artifacts.getJson<FitContribution>(key)));
  const n = parts.reduce((a, c) => a + c.sample.ids.length, 0);
  // More than the cap (the estimate of people was low): the same hash sample at a lower rate.
  const rate = (plan.sampleRate * MAX_SAMPLE) / n;
  const kept = n <= MAX_SAMPLE ? parts : parts.map((c) => ({ ...c, sample: keepSampled(c.sample, rate), uncounted: keepSampled(c.uncounted, rate) }));
  return { sample: gatherSample(kept, D, asOf), parts: kept };
}

function keepSampled<T extends FitContribution['sample'] & { group?: number[] }>(rows: T, rate: number): T {
  const keep = rows.ids.map((id) => inSample(id, rate));
  const pick = <V>(a: V[]) => a.filter((_, i) => keep[i]);
  return { ...rows, ids: pick(rows.ids), ordinals: pick(rows.ordinals), values: pick(rows.values), ...(rows.group ? { group: pick(rows.group) } : {}) };
}

export interface KMeansState {
  k: number;
  transforms: FeatureTransform[];
  reviewImputation: SegmentModel['reviewImputation'];
  /** tol * mean column variance of the model coordinates (from the first Lloyd pass's column moments). */
  tolAbs?: number;
  /** Everyone: clustered customers and people (with the uncounted), exact. */
  customers: number;
  people: number;
  sampleSize: number;
}

export interface LoopState {
  iteration: number;
  done: boolean;
  shift?: number;
  inertia?: number;
}

/** What the fit keeps of the single path's training on the sample, for the summary and the reports. */
export interface SampleTraining extends Pick<TrainResult, 'sweep' | 'choice' | 'alternatives' | 'baseline' | 'initStability' | 'modelStability' | 'thresholds' | 'timings'> {
  /** The sample's own model (its metrics are the model's: silhouette and the others on the sample). */
  model: SegmentModel;
  counts: FeatureCounts;
  asOf: number;
  pca: { mean: number[]; components: number[][]; explainedVariance: number[] };
  sampleCustomers: number;
}

export async function fitStep(deps: DistributedDeps, plan: Plan): Promise<LoopState> {
  const keys = runKeys(plan.work);
  const asOf = await globalAsOf(deps, plan);
  const { sample, parts } = await readSample(deps, plan, asOf);
  const fitted = fitFromPartial(mergeTransformPartials(parts.map((c) => c.transform)));
  const counts = mergeFeatureCounts(parts.map((c) => c.counts));
  if (fitted.rows < 10) throw new Error(`run ${plan.runId}: only ${fitted.rows} customers have a delivered order: too few to segment`);
  const k = plan.k ?? deps.fixedK;
  if (sample.values.rows < Math.max(10, (k ?? 2) * 10)) throw new Error(`run ${plan.runId}: the sample has ${sample.values.rows} customers, too few (raise sampleRate)`);
  // The single path's training, on the sample, in the exact feature space of everyone: k by the same rule, seeding.
  const result = trainOnFeatures(sample, plan.fingerprint, { seed: plan.seed, ...deps.trainOptions, k, space: fitted, now: new Date(plan.createdAt) });
  const pca = fitPca(result.X);
  const training: SampleTraining = {
    model: result.model,
    sweep: result.sweep,
    choice: result.choice,
    alternatives: result.alternatives,
    baseline: result.baseline,
    initStability: result.initStability,
    modelStability: result.modelStability,
    thresholds: result.thresholds,
    timings: result.timings,
    counts,
    asOf,
    pca: { mean: pca.mean, components: pca.components, explainedVariance: pca.explainedVariance },
    sampleCustomers: sample.values.rows,
  };
  const state: KMeansState = {
    k: result.model.k,
    transforms: fitted.transforms,
    reviewImputation: fitted.reviewImputation,
    customers: counts.customersSegmented,
    people: counts.customersSegmented + Object.values(counts.peopleInRuleSegments).reduce((a, b) => a + b, 0),
    sampleSize: sample.values.rows,
  };
  await deps.artifacts.putJson(keys.train, training);
  await deps.artifacts.putJson(keys.state, state);
  // Lloyd over everyone starts from the sample's model (its centres, in value order).
  await deps.artifacts.putJson(keys.centroids(0), result.model.centroids.flat());
  deps.log.info('distributed fit', { runId: plan.runId, k: state.k, customers: state.customers, sample: sample.values.rows, seconds: result.timings });
  return { iteration: 0, done: false };
}

export async function readState(deps: DistributedDeps, plan: Plan): Promise<KMeansState> {
  return deps.artifacts.getJson<KMeansState>(runKeys(plan.work).state);
}

export async function partialStepOf(deps: DistributedDeps, plan: Plan, p: number, iteration: number): Promise<{ p: number; rows: number }> {
  const keys = runKeys(plan.work);
  const state = await readState(deps, plan);
  const centroids = await deps.artifacts.getJson<number[]>(keys.centroids(iteration));
  const { X } = featureSpace((await readFeatures(deps, plan, p)).values, state);
  await deps.artifacts.putJson(keys.partial(iteration, p), partialStep(X, centroids, state.k, { columns: state.tolAbs === undefined }));
  return { p, rows: X.rows };
}

export async function reduceStep(deps: DistributedDeps, plan: Plan, iteration: number): Promise<LoopState> {
  const keys = runKeys(plan.work);
  const state = await readState(deps, plan);
  const partialKeys = await expectObjects(deps.artifacts, `${plan.work}kmeans/it-${pad(iteration)}/partials/`, plan.partitions, `k-means iteration ${iteration}`);
  const partials = await Promise.all(partialKeys.map((key) => deps.artifacts.getJson<KMeansPartial>(key)));
  const previous = await deps.artifacts.getJson<number[]>(keys.centroids(iteration));
  const merged = mergePartials(partials);
  if (state.tolAbs === undefined) {
    // First pass: the tolerance's scale from the exact column variances of the model coordinates.
    if (!merged.columns) throw new Error(`run ${plan.runId}: the first k-means pass carries no column moments`);
    state.tolAbs = plan.tol * meanColumnVarianceOf(merged.columns);
    await deps.artifacts.putJson(keys.state, state);
  }
  const update = lloydUpdate(merged, previous);
  const next = iteration + 1;
  await deps.artifacts.putJson(keys.centroids(next), Array.from(update.centroids));
  const done = update.shift <= state.tolAbs || next >= plan.maxIter;
  deps.log.info('k-means iteration', { runId: plan.runId, iteration: next, shift: update.shift, inertia: update.inertia, reseeded: update.reseeded.length, done });
  return { iteration: next, done, shift: update.shift, inertia: update.inertia };
}

