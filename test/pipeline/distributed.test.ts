/**
 * Local proof of the distributed path: the state machine's steps, run in-process through the real handlers over
 * s3rver + dynalite, under the compute and publish roles of the distributed stack (IAM enforced), on a generated export
 * uploaded with a chunked orders table, P = 4 partitions and 3 shuffle buckets. The result must be the single-process
 * one: same transforms, same Lloyd fixed point from the same starting centres (1e-9), same labels in the table, and an
 * active model with every customer, with the files the weekly check and the next training read (assignments.csv,
 * distribution.json), announced on the (local) event bus.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { meanColumnVariance } from '../../lambdas/core/cluster/distance';
import { distributedLloyd, nearest } from '../../lambdas/core/distributed/lloyd';
import { parseCsvText } from '../../lambdas/core/distributed/shuffle';
import { computeFeatures, type FeatureTable } from '../../lambdas/core/features/customerFeatures';
import { applyTransforms, fitReviewImputation, fitTransforms, imputeReviews } from '../../lambdas/core/features/transforms';
import { FILES, generateDataset } from '../../lambdas/core/generate/generator';
import type { SegmentModel } from '../../lambdas/core/model/types';
import { loadOlist } from '../../lambdas/core/olist/load';
import { directorySource } from '../../lambdas/core/olist/source';
import { distributedFunctions, runDistributed, type DistributedRunResult } from '../../lambdas/local/distributed-runner';
import { startEventBus, type LocalEventBus } from '../../lambdas/local/event-bus';
import { IamAuthorizer } from '../../lambdas/local/iam/authorizer';
import { loadStackPolicies, LOCAL_ACCOUNT, LOCAL_REGION } from '../../lambdas/local/iam/stack-policies';
import type { TrainingDistribution } from '../../lambdas/core/stability/drift';
import type { ModelActivatedDetail } from '../../lambdas/pipeline/events';
import { ENV } from '../../lambdas/store/config';
import { startTestEnv, type TestEnv } from '../store/helpers';

let env: TestEnv;
let bus: LocalEventBus;
let iam: IamAuthorizer;
let dir: string;
let result: DistributedRunResult;
let whole: FeatureTable;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'segments-distributed-'));
  await generateDataset({ customers: 1500, seed: 31, outDir: dir });
  whole = computeFeatures(await loadOlist(directorySource(dir)));
  env = await startTestEnv({ inMemoryDynamo: true });
  const raw = env.stores.raw;
  for (const file of Object.values(FILES)) {
    if (file === FILES.orders) {
      // The orders table arrives in two chunks (a chunked export), the others whole.
      const csv = parseCsvText(await readFile(path.join(dir, file), 'utf8'), file);
      const half = csv.records.length >> 1;
      for (const [i, part] of [csv.records.slice(0, half), csv.records.slice(half)].entries()) {
        await raw.putText(`incoming/ds1/olist_orders_dataset/part-${i}.csv`, `${csv.header}\n${part.map((r) => r.raw).join('\n')}\n`);
      }
    } else {
      const size = (await stat(path.join(dir, file))).size;
      await raw.putStream(`incoming/ds1/${file}`, createReadStream(path.join(dir, file)), { contentLength: size });
    }
  }
  bus = await startEventBus({ account: LOCAL_ACCOUNT, region: LOCAL_REGION });
  const { rawBucket, artifactsBucket, tableName } = env.emulators;
  iam = new IamAuthorizer(await loadStackPolicies({ rawBucket, artifactsBucket, tableName }, { distributed: true }));
  const functions = distributedFunctions({ ...env.emulators.env, [ENV.eventsEndpoint]: bus.endpoint, WRITE_RATE_PER_SECOND: '4000', WRITERS: '2' }, { authorizer: iam });
  result = await runDistributed(env.stores, { datasetId: 'ds1', runId: 'run1', partitions: 4, buckets: 3, k: 4, sampleRate: 0.3, seed: 7 }, { functions });
}, 300_000);

afterAll(async () => {
  await bus?.stop();
  await env?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('every customer is assigned and the model is active', async () => {
  expect(result.activated.customers).toBe(whole.customerIds.length);
  expect(result.loop.done).toBe(true);
  const active = await env.stores.segments.getActiveModel();
  expect(active?.record.model.version).toBe(result.model.version);
  expect(active?.record.assignmentsWritten).toBe(whole.customerIds.length);
  expect(active?.record.model.segments.reduce((a, s) => a + s.size, 0)).toBe(whole.customerIds.length);
  expect(await env.stores.artifacts.exists(`models/${result.model.version}/model.json`)).toBe(true);
});

test('transforms, centroids (1e-9) and labels equal the single-process fit from the same starting centres', async () => {
  const model = (await env.stores.artifacts.getJson<SegmentModel>(`models/${result.model.version}/model.json`))!;
  const imputation = fitReviewImputation(whole.values);
  const imputed = imputeReviews(whole.values, imputation);
  const transforms = fitTransforms(imputed);
  expect(model.features.map((t) => t.log)).toEqual(transforms.map((t) => t.log));
  model.features.forEach((t, j) => {
    expect(t.lo).toBeCloseTo(transforms[j].lo, 9);
    expect(t.hi).toBeCloseTo(transforms[j].hi, 9);
    expect(t.weight).toBe(transforms[j].weight);
  });
  const X = applyTransforms(imputed, transforms);
  const start = await env.stores.artifacts.getJson<number[]>('work/run1/kmeans/it-00000/centroids.json');
  const reference = distributedLloyd([X], start, 4, { maxIter: 100, tolAbs: 1e-4 * meanColumnVariance(X.data, X.rows, X.cols) });
  expect(result.loop.iteration).toBe(reference.iterations);
  const final = await env.stores.artifacts.getJson<number[]>(`work/run1/kmeans/it-${String(result.loop.iteration).padStart(5, '0')}/centroids.json`);
  final.forEach((v, i) => expect(Math.abs(v - reference.centroids[i])).toBeLessThan(1e-9));
  // The model's centroids are the final ones, reordered by segment value: map reference labels through that order.
  const order = model.centroids.map((c) => final.findIndex((_, r) => r % 9 === 0 && c.every((v, t) => v === final[r + t])) / 9);
  expect([...order].sort()).toEqual([0, 1, 2, 3]);
  const labels = nearest(X, reference.centroids, 4);
  const counts = [0, 0, 0, 0];
  for (const l of labels) counts[order.indexOf(l)]++;
  const record = (await env.stores.segments.getActiveModel())!.record;
  expect(record.segmentCounts).toEqual(Object.fromEntries(counts.map((n, id) => [String(id), n]).filter(([, n]) => n)));
  for (let i = 0; i < whole.customerIds.length; i += 97) {
    const stored = await env.stores.segments.getCustomer(whole.customerIds[i]);
    expect(stored?.segmentId).toBe(order.indexOf(labels[i]));
  }
});

test('the model has the files of a single training: assignments.csv with every customer, distribution.json', async () => {
  const version = result.model.version;
  const csv = (await env.stores.artifacts.getText(`models/${version}/assignments.csv`)).trimEnd().split('\n');
  expect(csv[0]).toMatch(/^customer_unique_id,segment_id,segment_name,/);
  expect(csv.filter((l) => l.startsWith('customer_unique_id,'))).toHaveLength(1); // one header, the parts' dropped
  const rows = csv.slice(1).map((l) => l.split(','));
  expect(new Set(rows.map((r) => r[0]))).toEqual(new Set(whole.customerIds));
  for (let i = 0; i < rows.length; i += 53) expect((await env.stores.segments.getCustomer(rows[i][0]))?.segmentId).toBe(Number(rows[i][1]));
  const distribution = await env.stores.artifacts.getJson<TrainingDistribution>(`models/${version}/distribution.json`);
  expect(distribution.modelVersion).toBe(version);
  expect(distribution.features.map((f) => f.name)).toContain('monetary');
  expect(distribution.customers).toBeGreaterThan(0.2 * whole.customerIds.length); // the sample (30%)
});

test('"Segmentation model activated" is published with the segments and where the files are', () => {
  expect(bus.events.map((e) => e['detail-type'])).toEqual(['Segmentation model activated']);
  const event = bus.events[0];
  expect(event.source).toBe('olist.segments');
  const detail = event.detail as unknown as ModelActivatedDetail;
  expect(detail).toMatchObject({ version: result.model.version, previousVersion: null, datasetId: 'ds1', k: 4, customers: whole.customerIds.length, customersChangedSegment: null });
  expect(detail.segments.reduce((a, s) => a + s.size, 0)).toBe(whole.customerIds.length);
  expect(detail.artifacts.assignments).toBe(`s3://${env.emulators.artifactsBucket}/models/${result.model.version}/assignments.csv`);
  expect(detail.artifacts.table).toBe(env.emulators.tableName);
});

test('every request of compute and publish was allowed by their deployed roles', () => {
  expect(iam.decided.map((d) => d.fn)).toEqual(expect.arrayContaining(['compute', 'publish']));
  expect(iam.denials).toEqual([]);
});
