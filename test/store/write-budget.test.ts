/**
 * The write budget against dynalite: writeAssignments with itemsPerSecond stays at or below the budget (a behaviour
 * test with a generous tolerance, not a performance test), and the partitioned writer (one part per feature
 * partition, counts recorded once at the end) gives a version that activates and reads like writeAssignments'.
 */
import { batchWrite } from '../../lambdas/store/batch-writer';
import { syntheticAssignments, syntheticModel, withSizes } from '../../lambdas/local/synthetic-segments';
import { createSegmentStore } from '../../lambdas/store/dynamo-segment-store';
import type { SegmentStore } from '../../lambdas/store/segment-store';
import { ActivationRefusedError } from '../../lambdas/store/errors';
import { startTestEnv, type TestEnv } from './helpers';

let env: TestEnv;
let store: SegmentStore;

beforeAll(async () => {
  env = await startTestEnv({ inMemoryDynamo: true });
  store = env.stores.segments;
});
afterAll(() => env?.close());

test('writeAssignments honours a budget of 200 items/s over 600 items', async () => {
  const assignments = syntheticAssignments(600, { seed: 4 });
  const model = withSizes(syntheticModel('budget-200', { customers: 600 }), assignments);
  await store.putModelDraft(model);
  const started = performance.now();
  const res = await store.writeAssignments(model.version, assignments, { concurrency: 8, itemsPerSecond: 200 });
  const seconds = (performance.now() - started) / 1000;
  expect(res.written).toBe(600);
  // The first batch (the bucket's burst of 25) is free; the other 575 items need at least 2.875 s at 200/s.
  expect(seconds).toBeGreaterThanOrEqual(2.8);
  expect(600 / seconds).toBeLessThanOrEqual(200 * 1.1);
  await store.activateModel(model.version);
});

test('parts written by parallel writers, then completed once, activate and read back', async () => {
  const assignments = syntheticAssignments(300, { seed: 5, salt: 'parts' });
  const model = withSizes(syntheticModel('parts-v1', { customers: 300 }), assignments);
  await store.putModelDraft(model);
  const parts = [assignments.slice(0, 120), assignments.slice(120, 200), assignments.slice(200)];
  const results = await Promise.all(parts.map((p) => store.writeAssignmentPart(model.version, p, { concurrency: 2, itemsPerSecond: 2000 })));
  // Not complete until the counts are recorded: activation is refused.
  await expect(store.activateModel(model.version, { verifyIndex: false })).rejects.toBeInstanceOf(ActivationRefusedError);
  const segmentCounts: Record<string, number> = {};
  for (const r of results) for (const [s, n] of Object.entries(r.segmentCounts)) segmentCounts[s] = (segmentCounts[s] ?? 0) + n;
  await store.completeAssignmentParts(model.version, { written: results.reduce((a, r) => a + r.written, 0), segmentCounts });
  await store.activateModel(model.version);
  const a = assignments[250];
  expect(await store.getCustomer(a.customerId)).toMatchObject({ customerId: a.customerId, segmentId: a.segmentId, version: model.version });
  const members = await store.listSegmentMembers(a.segmentId, { limit: 1000 });
  expect(members.items.length).toBe(segmentCounts[a.segmentId]);
});

test('batchWrite charges every send to the limiter, retried UnprocessedItems included', async () => {
  // UnprocessedItems is a fault dynalite cannot produce: a stub client returns half of the first call unprocessed.
  const charged: number[] = [];
  let calls = 0;
  const client = {
    send: async (cmd: { input: { RequestItems: Record<string, unknown[]> } }) => {
      const items = cmd.input.RequestItems.t;
      return calls++ === 0 ? { UnprocessedItems: { t: items.slice(10) } } : { UnprocessedItems: {} };
    },
  };
  const requests = Array.from({ length: 30 }, (_, i) => ({ PutRequest: { Item: { PK: { S: `k${i}` } } } }));
  const res = await batchWrite(client as never, 't', requests, {
    concurrency: 1,
    limiter: { acquire: async (n) => void charged.push(n) },
    sleep: async () => undefined,
  });
  expect(res.written).toBe(30);
  // 25 + the 15 unprocessed re-sent + the last 5
  expect(charged).toEqual([25, 15, 5]);
});
