/**
 * The distributed segmentation path (tens of millions of customers): the steps the Step Functions state machine
 * of lib/constructs/distributed-pipeline.ts runs, each one a short, idempotent task over the BlobStore (and, for
 * the last ones, the segment table). Everything heavy is in lambdas/core/distributed; this file only decides
 * which objects each step reads and writes. Layout under the artifacts bucket, per run:
 *
 *   work/<run>/plan.json                             the run's parameters (plan)
 *   work/<run>/scatter/part/<p>/<table>/s-<id>.csv    customers rows routed to partition p by the scatter
 *   work/<run>/scatter/a/<q>/{routes,orders}/s-<id>.csv   pass A inputs (bucket q of customer_id)
 *   work/<run>/scatter/b/<q>/<table>/s-<id>.csv       pass B inputs (bucket q of order_id): items, payments, reviews
 *   work/<run>/scatter/dim/<table>/s-<id>.csv         dimension tables (read whole by every partition)
 *   work/<run>/a/part/<p>/orders/a-<q>.csv, work/<run>/a/routes/<q2>/a-<q>.csv, work/<run>/a/stats/a-<q>.json
 *   work/<run>/b/part/<p>/<table>/b-<q>.csv, work/<run>/b/stats/b-<q>.json
 *   work/<run>/features/p-<p>.bin                     the partition's feature table (features/serialize.ts format)
 *   work/<run>/fit/p-<p>.json                         its transform moments and sample
 *   work/<run>/kmeans/state.json                      transforms, k, tolerance (written by the fit)
 *   work/<run>/kmeans/it-<t>/centroids.json, .../partials/p-<p>.json
 *   work/<run>/written/p-<p>.json                     assignments written by partition p (counts per segment)
 *   work/<run>/assignments/p-<p>.csv                  its part of the model's assignments.csv (distributed-model-files.ts)
 *
 * `<id>` of a scatter output is derived from the input object's key, so a retried task overwrites its own
 * outputs instead of duplicating rows; every step is safe to retry. The state carries only keys and small numbers
 * (Step Functions payloads are limited to 256 KB): partials go through S3, which also keeps the map results out
 * of the execution history.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { calinskiHarabasz, daviesBouldin, silhouette } from '../core/cluster/metrics';
import { kmeans } from '../core/cluster/kmeans';
import { lloydUpdate, meanColumnVarianceOf, mergePartials, nearest, partialStep, type KMeansPartial } from '../core/distributed/lloyd';
import { fitFromPartial, mergeTransformPartials } from '../core/distributed/moments';
import { featuresOfPartition, fitContribution, gatherSample, type FitContribution } from '../core/distributed/partitionFeatures';
import { joinChildren, joinOrders, scatterByKey, scatterCustomers, tableOfKey, TABLE_FILES } from '../core/distributed/shuffle';
import { effectiveEndOfDays, emptyUncounted, type DailyPurchases, type FeatureTable } from '../core/features/customerFeatures';
import { decodeFeatures, encodeFeatures } from '../core/features/serialize';
import { applyTransforms, imputeReviews } from '../core/features/transforms';
import { trainOnFeatures } from '../core/model/train';
import { FEATURE_NAMES, type CustomerAssignment, type FeatureTransform, type FeatureVector, type SegmentDescription, type SegmentModel } from '../core/model/types';
import { labelSegments } from '../core/segments/naming';
import { membersOf, populationStats, profileSegments } from '../core/segments/profile';
import { fitTraitThresholds, traitSupport } from '../core/segments/traits';
import type { BlobStore } from '../store/blob-store';
import type { DynamoSegmentStore } from '../store/dynamo-segment-store';
import type { Matrix } from '../core/util/matrix';
import { publishActivation } from './activation-event';
import { artifactKeys, datasetPrefix } from './datasets';
import { writeAssignmentsPart, writeModelFiles } from './distributed-model-files';
import type { Log } from './log';

const D = FEATURE_NAMES.length;

export interface RunInput {
  datasetId: string;
  /** Defaults to `<datasetId>-<time>`. */
  runId?: string;
  partitions?: number;
  buckets?: number;
  /** Fixed k; unset = chosen by the k sweep on the sample. */
  k?: number;
  seed?: number;
  /** Share of the people kept as the sample (seeding, k choice, profiles). */
  sampleRate?: number;
  maxIter?: number;
  tol?: number;
}

export interface Plan {
  runId: string;
  datasetId: string;
  rawPrefix: string;
  work: string;
  partitions: number;
  buckets: number;
  k: number | null;
  seed: number;
  sampleRate: number;
  maxIter: number;
  tol: number;
  /** SHA-256 over the input objects' keys and ETags: names the data the model is fitted on. */
  fingerprint: string;
  createdAt: string;
  /** Items of the Distributed Map states (indexes), so the state needs no arithmetic. */
  partitionItems: { p: number }[];
  bucketItems: { q: number }[];
}

export interface DistributedDeps {
  raw: BlobStore;
  artifacts: BlobStore;
  log: Log;
  now?: () => Date;
}

export const DEFAULTS = { partitions: 16, buckets: 16, seed: 20181017, sampleRate: 0.05, maxIter: 100, tol: 1e-4, nInit: 10 } as const;
/** Seeding and the k sweep on more than this many sampled people cost more than they add. */
export const MAX_SAMPLE = 200_000;

const pad = (n: number) => String(n).padStart(5, '0');
const keys = (plan: Pick<Plan, 'work'>) => ({
  plan: `${plan.work}plan.json`,
  scatterPart: (p: number, file: string, id: string) => `${plan.work}scatter/part/${pad(p)}/${file}/s-${id}.csv`,
  scatterA: (q: number, kind: 'routes' | 'orders', id: string) => `${plan.work}scatter/a/${pad(q)}/${kind}/s-${id}.csv`,
  scatterB: (q: number, file: string, id: string) => `${plan.work}scatter/b/${pad(q)}/${file}/s-${id}.csv`,
  dim: (file: string, id: string) => `${plan.work}scatter/dim/${file}/s-${id}.csv`,
  aPart: (p: number, q: number) => `${plan.work}a/part/${pad(p)}/${TABLE_FILES.orders}/a-${pad(q)}.csv`,
  aRoutes: (q2: number, q: number) => `${plan.work}a/routes/${pad(q2)}/a-${pad(q)}.csv`,
  aStats: (q: number) => `${plan.work}a/stats/a-${pad(q)}.json`,
  bPart: (p: number, file: string, q: number) => `${plan.work}b/part/${pad(p)}/${file}/b-${pad(q)}.csv`,
  bStats: (q: number) => `${plan.work}b/stats/b-${pad(q)}.json`,
  features: (p: number) => `${plan.work}features/p-${pad(p)}.bin`,
  fit: (p: number) => `${plan.work}fit/p-${pad(p)}.json`,
  state: `${plan.work}kmeans/state.json`,
  centroids: (t: number) => `${plan.work}kmeans/it-${pad(t)}/centroids.json`,
  partial: (t: number, p: number) => `${plan.work}kmeans/it-${pad(t)}/partials/p-${pad(p)}.json`,
  written: (p: number) => `${plan.work}written/p-${pad(p)}.json`,
  assignmentsPart: (p: number) => `${plan.work}assignments/p-${pad(p)}.csv`,
});

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

async function texts(store: BlobStore, prefix: string): Promise<string[]> {
  const objects = await store.list(prefix);
  return Promise.all(objects.map((o) => store.getText(o.key)));
}

/** Exactly `count` objects under prefix, else a clear error (a missing partial must never be silently ignored). */
async function expectObjects(store: BlobStore, prefix: string, count: number, what: string): Promise<string[]> {
  const objects = await store.list(prefix);
  if (objects.length !== count) throw new Error(`${what}: expected ${count} objects under s3://${store.bucket}/${prefix}, found ${objects.length}`);
  return objects.map((o) => o.key);
}

function checkInt(name: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) throw new Error(`${name} must be an integer in [${min}, ${max}], got ${v}`);
  return v;
}

// ------------------------------------------------------------------------------------------------------------
// plan

export async function planRun(deps: DistributedDeps, input: RunInput): Promise<Plan> {
  if (!input?.datasetId) throw new Error(`the distributed run expects {datasetId, ...}, got ${JSON.stringify(input)}`);
  const now = (deps.now ?? (() => new Date()))();
  const rawPrefix = datasetPrefix(input.datasetId);
  const objects = (await deps.raw.list(rawPrefix)).filter((o) => tableOfKey(o.key).role !== 'ignored');
  const roles = new Set(objects.map((o) => tableOfKey(o.key).role));
  const missing = ['customers', 'orders', 'items', 'payments', 'reviews', 'dimension'].filter((r) => !roles.has(r as never));
  if (missing.length) throw new Error(`s3://${deps.raw.bucket}/${rawPrefix}: no object for table(s) ${missing.join(', ')}`);
  const fingerprint = createHash('sha256');
  for (const o of objects) fingerprint.update(`${o.key.slice(rawPrefix.length)}:${o.etag}\n`);
  const runId = input.runId ?? `${input.datasetId}-${now.toISOString().replace(/[-:.]/g, '')}`;
  const partitions = checkInt('partitions', input.partitions ?? DEFAULTS.partitions, 1, 10_000);
  const buckets = checkInt('buckets', input.buckets ?? input.partitions ?? DEFAULTS.buckets, 1, 10_000);
  const plan: Plan = {
    runId,
    datasetId: input.datasetId,
    rawPrefix,
    work: `work/${runId}/`,
    partitions,
    buckets,
    k: input.k === undefined || input.k === null ? null : checkInt('k', input.k, 2, 50),
    seed: input.seed ?? DEFAULTS.seed,
    sampleRate: input.sampleRate ?? DEFAULTS.sampleRate,
    maxIter: checkInt('maxIter', input.maxIter ?? DEFAULTS.maxIter, 1, 1000),
    tol: input.tol ?? DEFAULTS.tol,
    fingerprint: fingerprint.digest('hex'),
    createdAt: now.toISOString(),
    partitionItems: Array.from({ length: partitions }, (_, p) => ({ p })),
    bucketItems: Array.from({ length: buckets }, (_, q) => ({ q })),
  };
  await deps.artifacts.putJson(keys(plan).plan, plan);
  deps.log.info('distributed run planned', { runId, objects: objects.length, partitions, buckets });
  return plan;
}

// ------------------------------------------------------------------------------------------------------------
// shuffle

/** One input object (a table or a chunk of one) -> routed pieces. */
export async function scatter(deps: DistributedDeps, plan: Plan, key: string): Promise<{ key: string; role: string; outputs: number }> {
  const { role, file } = tableOfKey(key);
  if (role === 'ignored' || !file) return { key, role, outputs: 0 };
  const id = createHash('sha256').update(key).digest('hex').slice(0, 16);
  const text = await deps.raw.getText(key);
  const k = keys(plan);
  const shape = { partitions: plan.partitions, buckets: plan.buckets };
  const source = `s3://${deps.raw.bucket}/${key}`;
  const puts: [string, string][] = [];
  if (role === 'customers') {
    const out = scatterCustomers(text, shape, source);
    out.partitions.forEach((t, p) => puts.push([k.scatterPart(p, file, id), t]));
    out.routes.forEach((t, q) => puts.push([k.scatterA(q, 'routes', id), t]));
  } else if (role === 'orders') {
    scatterByKey(text, 'customer_id', shape, source).forEach((t, q) => puts.push([k.scatterA(q, 'orders', id), t]));
  } else if (role === 'dimension') {
    puts.push([k.dim(file, id), text]);
  } else {
    scatterByKey(text, 'order_id', shape, source).forEach((t, q) => puts.push([k.scatterB(q, file, id), t]));
  }
  await putAll(deps.artifacts, puts);
  return { key, role, outputs: puts.length };
}

async function putAll(store: BlobStore, puts: [string, string][], parallel = 8): Promise<void> {
  for (let i = 0; i < puts.length; i += parallel) {
    await Promise.all(puts.slice(i, i + parallel).map(([key, text]) => store.putText(key, text, { contentType: 'text/csv' })));
  }
}

/** Pass A for bucket q: customer routes x orders. */
export async function joinOrdersStep(deps: DistributedDeps, plan: Plan, q: number): Promise<{ q: number; orders: number }> {
  const k = keys(plan);
  const base = `${plan.work}scatter/a/${pad(q)}/`;
  const out = joinOrders(await texts(deps.artifacts, `${base}routes/`), await texts(deps.artifacts, `${base}orders/`), plan, `s3://${deps.artifacts.bucket}/${base}`);
  const puts: [string, string][] = [];
  out.partitions.forEach((t, p) => puts.push([k.aPart(p, q), t]));
  out.routes.forEach((t, q2) => puts.push([k.aRoutes(q2, q), t]));
  await putAll(deps.artifacts, puts);
  await deps.artifacts.putJson(k.aStats(q), { lastPurchase: Number.isFinite(out.lastPurchase) ? out.lastPurchase : null, orders: out.orders, days: out.days });
  return { q, orders: out.orders };
}

/** Pass B for bucket q: order routes x items, payments, reviews. */
export async function joinChildrenStep(deps: DistributedDeps, plan: Plan, q: number): Promise<{ q: number; orphans: Record<string, number> }> {
  const k = keys(plan);
  const routes = await texts(deps.artifacts, `${plan.work}a/routes/${pad(q)}/`);
  const orphans: Record<string, number> = {};
  const puts: [string, string][] = [];
  for (const file of [TABLE_FILES.items, TABLE_FILES.payments, TABLE_FILES.reviews]) {
    const prefix = `${plan.work}scatter/b/${pad(q)}/${file}/`;
    const out = joinChildren(routes, await texts(deps.artifacts, prefix), `s3://${deps.artifacts.bucket}/${prefix}`);
    out.partitions.forEach((t, p) => puts.push([k.bPart(p, file, q), t]));
    orphans[file] = out.orphans;
  }
  await putAll(deps.artifacts, puts);
  await deps.artifacts.putJson(k.bStats(q), { orphans });
  return { q, orphans };
}

// ------------------------------------------------------------------------------------------------------------
// features

/** The global as-of date: the latest purchase over every bucket of pass A. */
/** The default as-of date (features/customerFeatures.ts effectiveEnd) from the buckets' daily purchase counts. */
async function globalAsOf(deps: DistributedDeps, plan: Plan): Promise<number> {
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

export async function partitionFeaturesStep(deps: DistributedDeps, plan: Plan, p: number): Promise<{ p: number; customers: number; sampled: number }> {
  const asOf = await globalAsOf(deps, plan);
  const tables: Record<string, string[]> = {};
  const add = async (prefix: string) => {
    for (const o of await deps.artifacts.list(prefix)) {
      const file = o.key.slice(prefix.length).split('/')[0];
      (tables[file] ??= []).push(await deps.artifacts.getText(o.key));
    }
  };
  await add(`${plan.work}scatter/part/${pad(p)}/`);
  await add(`${plan.work}a/part/${pad(p)}/`);
  await add(`${plan.work}b/part/${pad(p)}/`);
  await add(`${plan.work}scatter/dim/`);
  const { table } = await featuresOfPartition(`${plan.runId} partition ${p}`, tables, asOf, D);
  const contribution = fitContribution(table, plan.sampleRate);
  const k = keys(plan);
  await deps.artifacts.putStream(k.features(p), Readable.from([encodeFeatures(table, plan.fingerprint)]), { contentType: 'application/octet-stream' });
  await deps.artifacts.putJson(k.fit(p), contribution);
  return { p, customers: table.values.rows, sampled: contribution.sample.ids.length };
}

async function readFeatures(deps: DistributedDeps, plan: Plan, p: number): Promise<FeatureTable> {
  const key = keys(plan).features(p);
  return decodeFeatures(await readAll(await deps.artifacts.get(key)), key).table;
}

// ------------------------------------------------------------------------------------------------------------
// fit: transforms over all partitions, k and the starting centres from the sample

export interface KMeansState {
  k: number;
  transforms: FeatureTransform[];
  reviewImputation: SegmentModel['reviewImputation'];
  /** tol * mean column variance of the model coordinates (from the first Lloyd pass's column moments). */
  tolAbs?: number;
  customers: number;
  sampleSize: number;
}

export interface LoopState {
  iteration: number;
  done: boolean;
  shift?: number;
  inertia?: number;
}

export async function fitStep(deps: DistributedDeps, plan: Plan): Promise<LoopState> {
  const k = keys(plan);
  const fitKeys = await expectObjects(deps.artifacts, `${plan.work}fit/`, plan.partitions, 'fit contributions');
  const parts = await Promise.all(fitKeys.map((key) => deps.artifacts.getJson<FitContribution>(key)));
  const fitted = fitFromPartial(mergeTransformPartials(parts.map((c) => c.transform)));
  if (fitted.rows < 10) throw new Error(`run ${plan.runId}: only ${fitted.rows} customers have a delivered order: too few to segment`);
  let sample = gatherSample(parts, D);
  if (sample.ids.length > MAX_SAMPLE) sample = { ids: sample.ids.slice(0, MAX_SAMPLE), values: { rows: MAX_SAMPLE, cols: D, data: sample.values.data.subarray(0, MAX_SAMPLE * D) } };
  const chosenK = plan.k ?? chooseKOnSample(sample, plan);
  if (sample.ids.length < chosenK * 10) throw new Error(`run ${plan.runId}: the sample has ${sample.ids.length} people, too few to seed k=${chosenK} (raise sampleRate)`);
  const Xs = applyTransforms(imputeReviews(sample.values, fitted.reviewImputation), fitted.transforms);
  // Seeding: a full k-means (k-means++ x nInit) on the sample; Lloyd over everyone then only refines it.
  const start = kmeans(Xs, chosenK, { seed: plan.seed, nInit: DEFAULTS.nInit, threads: 1 });
  const state: KMeansState = {
    k: chosenK,
    transforms: fitted.transforms,
    reviewImputation: fitted.reviewImputation,
    customers: fitted.rows,
    sampleSize: sample.ids.length,
  };
  await deps.artifacts.putJson(k.state, state);
  await deps.artifacts.putJson(k.centroids(0), Array.from(start.centroids));
  deps.log.info('distributed fit seeded', { runId: plan.runId, k: chosenK, customers: fitted.rows, sample: sample.ids.length });
  return { iteration: 0, done: false };
}

/** k chosen by the product's rules (sweep, metrics, chooseK) on the sample only. */
function chooseKOnSample(sample: { ids: string[]; values: FeatureTable['values'] }, plan: Plan): number {
  const table: FeatureTable = {
    asOf: 0,
    customerIds: sample.ids,
    customerIndex: Int32Array.from(sample.ids, (_, i) => i),
    values: sample.values,
    firstPurchase: new Float64Array(sample.ids.length),
    notCounted: 0,
    customersWithOrders: sample.ids.length,
    uncounted: emptyUncounted(),
  };
  return trainOnFeatures(table, plan.fingerprint, { seed: plan.seed, compare: false }).model.k;
}

async function readState(deps: DistributedDeps, plan: Plan): Promise<KMeansState> {
  return deps.artifacts.getJson<KMeansState>(keys(plan).state);
}

function coordinates(table: FeatureTable, state: Pick<KMeansState, 'transforms' | 'reviewImputation'>) {
  const imputed = imputeReviews(table.values, state.reviewImputation);
  return { imputed, X: applyTransforms(imputed, state.transforms) };
}

// ------------------------------------------------------------------------------------------------------------
// Lloyd iterations

export async function partialStepOf(deps: DistributedDeps, plan: Plan, p: number, iteration: number): Promise<{ p: number; rows: number }> {
  const k = keys(plan);
  const state = await readState(deps, plan);
  const centroids = await deps.artifacts.getJson<number[]>(k.centroids(iteration));
  const { X } = coordinates(await readFeatures(deps, plan, p), state);
  await deps.artifacts.putJson(k.partial(iteration, p), partialStep(X, centroids, state.k, { columns: state.tolAbs === undefined }));
  return { p, rows: X.rows };
}

export async function reduceStep(deps: DistributedDeps, plan: Plan, iteration: number): Promise<LoopState> {
  const k = keys(plan);
  const state = await readState(deps, plan);
  const partialKeys = await expectObjects(deps.artifacts, `${plan.work}kmeans/it-${pad(iteration)}/partials/`, plan.partitions, `k-means iteration ${iteration}`);
  const partials = await Promise.all(partialKeys.map((key) => deps.artifacts.getJson<KMeansPartial>(key)));
  const previous = await deps.artifacts.getJson<number[]>(k.centroids(iteration));
  const merged = mergePartials(partials);
  if (state.tolAbs === undefined) {
    // First pass: the tolerance's scale from the exact column variances of the model coordinates.
    if (!merged.columns) throw new Error(`run ${plan.runId}: the first k-means pass carries no column moments`);
    state.tolAbs = plan.tol * meanColumnVarianceOf(merged.columns);
    await deps.artifacts.putJson(k.state, state);
  }
  const update = lloydUpdate(merged, previous);
  const next = iteration + 1;
  await deps.artifacts.putJson(k.centroids(next), Array.from(update.centroids));
  const done = update.shift <= state.tolAbs || next >= plan.maxIter;
  deps.log.info('k-means iteration', { runId: plan.runId, iteration: next, shift: update.shift, inertia: update.inertia, reseeded: update.reseeded.length, done });
  return { iteration: next, done, shift: update.shift, inertia: update.inertia };
}

// ------------------------------------------------------------------------------------------------------------
// publish: the model, the assignments (parallel, budgeted), activation

export interface ModelRef {
  version: string;
  iteration: number;
}

/** Segments from the sample (profiles, names, value order) with the final centres; the sample's features too. */
async function describeModel(deps: DistributedDeps, plan: Plan, loop: LoopState, sizes?: number[]): Promise<{ model: SegmentModel; order: number[]; sampleImputed: Matrix }> {
  const state = await readState(deps, plan);
  const centroids = Float64Array.from(await deps.artifacts.getJson<number[]>(keys(plan).centroids(loop.iteration)));
  const parts = await Promise.all((await deps.artifacts.list(`${plan.work}fit/`)).map((o) => deps.artifacts.getJson<FitContribution>(o.key)));
  const sample = gatherSample(parts, D);
  const { imputed, X } = coordinates({ values: sample.values } as FeatureTable, state);
  const { k } = state;
  const labels = nearest(X, centroids, k);
  const pop = populationStats(imputed);
  const rawProfiles = profileSegments(imputed, labels, k, pop);
  const order = Array.from({ length: k }, (_, i) => i).sort(
    (a, b) => rawProfiles[b].monetary.mean * rawProfiles[b].frequency.mean - rawProfiles[a].monetary.mean * rawProfiles[a].frequency.mean,
  );
  const profiles = order.map((old) => rawProfiles[old]);
  const thresholds = fitTraitThresholds(imputed);
  const members = membersOf(labels, k);
  const support = order.map((old) => traitSupport(imputed, members, thresholds)[old]);
  const names = labelSegments(profiles, support);
  const sampleSizes = new Array<number>(k).fill(0);
  for (const l of labels) sampleSizes[l]++;
  // Exact sizes once the assignments are written; before that, estimated from the sample.
  const size = (id: number) => (sizes ? sizes[id] : Math.round((sampleSizes[order[id]] / Math.max(1, labels.length)) * state.customers));
  // Rule segments (people without a delivered order) are not produced by this path yet: its people are its customers.
  const segments: SegmentDescription[] = profiles.map((profile, id) => ({
    id,
    kind: 'cluster',
    name: names[id].name,
    description: names[id].description,
    action: names[id].action,
    traits: names[id].traits,
    size: size(id),
    share: size(id) / state.customers,
    profile,
    fidelity: names[id].fidelity,
  }));
  const relabel = new Int32Array(k);
  order.forEach((old, id) => (relabel[old] = id));
  const sampleLabels = labels.map((l) => relabel[l]);
  const hash = createHash('sha256').update(plan.fingerprint).update(JSON.stringify({ k, seed: plan.seed, runId: plan.runId })).digest('hex').slice(0, 8);
  const model: SegmentModel = {
    schemaVersion: 2,
    version: `${plan.createdAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${hash}`,
    createdAt: plan.createdAt,
    asOf: new Date(await globalAsOf(deps, plan)).toISOString(),
    dataFingerprint: plan.fingerprint,
    algorithm: 'kmeans',
    k,
    seed: plan.seed,
    features: state.transforms,
    reviewImputation: state.reviewImputation,
    centroids: order.map((old) => Array.from(centroids.subarray(old * D, (old + 1) * D))),
    metrics: {
      // Measured on the sample (silhouette is quadratic; the others would need another pass), inertia over everyone.
      silhouette: silhouette(X, sampleLabels, k, { sampleSize: 10_000, seed: plan.seed }),
      daviesBouldin: daviesBouldin(X, sampleLabels, k),
      calinskiHarabasz: calinskiHarabasz(X, sampleLabels, k),
      inertia: loop.inertia ?? NaN,
    },
    segments,
    customers: state.customers,
    people: state.customers,
  };
  return { model, order, sampleImputed: imputed };
}

export interface PublishDeps extends DistributedDeps {
  segments: DynamoSegmentStore;
  /** "Segmentation model activated" after the activation (activation-event.ts); unset: no event. */
  publishEvent?: (detailType: string, detail: Record<string, unknown>) => Promise<void>;
  tableName?: string;
  /** Items per second for ONE writer (the state machine divides the table budget by the writers' MaxConcurrency). */
  writeRatePerWriter?: number;
  writeConcurrency?: number;
}

export async function draftStep(deps: PublishDeps, plan: Plan, loop: LoopState): Promise<ModelRef> {
  const { model } = await describeModel(deps, plan, loop);
  await deps.segments.putModelDraft(model);
  deps.log.info('distributed model drafted', { runId: plan.runId, version: model.version, k: model.k });
  return { version: model.version, iteration: loop.iteration };
}

export async function writePartitionStep(deps: PublishDeps, plan: Plan, ref: ModelRef, p: number): Promise<{ p: number; written: number }> {
  const record = await deps.segments.getModel(ref.version);
  if (!record) throw new Error(`model ${ref.version} is not drafted`);
  const model = record.model as SegmentModel;
  const table = await readFeatures(deps, plan, p);
  const { imputed, X } = coordinates(table, { transforms: model.features, reviewImputation: model.reviewImputation });
  const labels = nearest(X, Float64Array.from(model.centroids.flat()), model.k);
  const names = new Map((await deps.segments.listSegments(ref.version)).map((s) => [s.id, s.name]));
  const assignments: CustomerAssignment[] = new Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const f = {} as FeatureVector;
    for (let j = 0; j < D; j++) f[FEATURE_NAMES[j]] = Math.round(imputed.data[i * D + j] * 1e4) / 1e4;
    assignments[i] = { customerId: table.customerIds[i], segmentId: labels[i], segmentName: names.get(labels[i])!, features: f };
  }
  const res = await deps.segments.writeAssignmentPart(ref.version, assignments, { itemsPerSecond: deps.writeRatePerWriter, concurrency: deps.writeConcurrency });
  await writeAssignmentsPart(deps.artifacts, keys(plan).assignmentsPart(p), model, table, labels);
  await deps.artifacts.putJson(keys(plan).written(p), { written: res.written, segmentCounts: res.segmentCounts });
  return { p, written: res.written };
}

export async function activateStep(deps: PublishDeps, plan: Plan, ref: ModelRef): Promise<{ version: string; previousVersion?: string; customers: number; k: number }> {
  const writtenKeys = await expectObjects(deps.artifacts, `${plan.work}written/`, plan.partitions, 'written assignments');
  const totals = { written: 0, segmentCounts: {} as Record<string, number> };
  for (const key of writtenKeys) {
    const w = await deps.artifacts.getJson<{ written: number; segmentCounts: Record<string, number> }>(key);
    totals.written += w.written;
    for (const [s, n] of Object.entries(w.segmentCounts)) totals.segmentCounts[s] = (totals.segmentCounts[s] ?? 0) + n;
  }
  const draft = (await deps.segments.getModel(ref.version))?.model as SegmentModel | undefined;
  if (!draft) throw new Error(`model ${ref.version} is not drafted`);
  // Exact sizes now that every customer is assigned; re-drafting resets the counters, completing sets them.
  const sizes = Array.from({ length: draft.k }, (_, id) => totals.segmentCounts[id] ?? 0);
  const { model, sampleImputed } = await describeModel(deps, plan, { iteration: ref.iteration, done: true, inertia: draft.metrics.inertia }, sizes);
  if (model.version !== ref.version) throw new Error(`run ${plan.runId}: re-described model ${model.version} differs from the draft ${ref.version}`);
  await deps.segments.putModelDraft(model);
  await deps.segments.completeAssignmentParts(model.version, totals);
  await deps.artifacts.putJson(artifactKeys.model(model.version), model);
  await deps.artifacts.putJson(artifactKeys.segments(model.version), { modelVersion: model.version, segments: model.segments });
  const parts = await expectObjects(deps.artifacts, `${plan.work}assignments/`, plan.partitions, 'assignments.csv parts');
  await writeModelFiles(deps.artifacts, model, parts, sampleImputed);
  const pointer = await deps.segments.activateModel(model.version);
  deps.log.info('distributed model activated', { runId: plan.runId, version: model.version, customers: totals.written });
  // This path does not read the previous assignments, so moves between segments are not measured (null).
  const written = { summary: false, transitions: false, reports: false };
  await publishActivation(deps, { datasetId: plan.datasetId, model, pointer, artifactsBucket: deps.artifacts.bucket, tableName: deps.tableName ?? '', changes: null, written });
  return { version: model.version, previousVersion: pointer.previousVersion, customers: totals.written, k: model.k };
}
