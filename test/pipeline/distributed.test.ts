/**
 * Local proof of the distributed path: the state machine's steps, run in-process through the real handlers over
 * s3rver + dynalite, on a generated export uploaded with a chunked orders table, P = 4 partitions and 3 shuffle
 * buckets. The result must be the single-process one: same transforms, same Lloyd fixed point from the same
 * starting centres (1e-9), same labels in the table, and an active model with every customer.
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
import { runDistributed, type DistributedRunResult } from '../../lambdas/local/distributed-runner';
import { startTestEnv, type TestEnv } from '../store/helpers';

let env: TestEnv;
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
  result = await runDistributed(env.stores, { datasetId: 'ds1', runId: 'run1', partitions: 4, buckets: 3, k: 4, sampleRate: 0.3, seed: 7 }, { env: { WRITE_RATE_PER_SECOND: '4000', WRITERS: '2' } });
}, 300_000);

afterAll(async () => {
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
