/**
 * Retention of model versions against dynalite: lambdas/pipeline/retention.ts with the real SegmentStore.
 * Several activated versions, drafts of several ages and runs; exactly the expected versions and every one of their
 * items go, the active version and the rollback target stay, and readers keep answering while it runs.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { syntheticAssignments, syntheticModel, withSizes } from '../../lambdas/local/synthetic-segments';
import { applyRetention } from '../../lambdas/pipeline/retention';
import { createStabilityHandler } from '../../lambdas/handlers/stability';
import { silentLog } from '../../lambdas/pipeline/log';
import { SegmentsClient } from '../../lambdas/store/client';
import { createSegmentStore } from '../../lambdas/store/dynamo-segment-store';
import type { SegmentStore } from '../../lambdas/store/segment-store';
import { startTestEnv, type TestEnv } from './helpers';

const CUSTOMERS = 60;
const K = 3;
const DAY = 86_400_000;

let env: TestEnv;
let store: SegmentStore;
/** The same table through a store whose clock is 3 days behind: its drafts look abandoned. */
let pastStore: SegmentStore;

beforeAll(async () => {
  env = await startTestEnv({ inMemoryDynamo: true });
  store = env.stores.segments;
  pastStore = createSegmentStore({ client: env.stores.dynamo, tableName: env.emulators.tableName, now: () => new Date(Date.now() - 3 * DAY) });
}, 60_000);
afterAll(() => env?.close());

/** Drafts and fully writes a version (the same customers in every version, as retrainings have). */
async function writeVersion(version: string, createdAt: string, options: { via?: SegmentStore; runId?: string; seed?: number; complete?: boolean } = {}) {
  const via = options.via ?? store;
  const assignments = syntheticAssignments(CUSTOMERS, { k: K, seed: options.seed ?? version.length + version.charCodeAt(version.length - 1) });
  await via.putModelDraft(withSizes(syntheticModel(version, { k: K, customers: CUSTOMERS, createdAt }), assignments), { runId: options.runId });
  // An incomplete draft: its writer died after some batches (writeAssignments would record a complete count).
  if (options.complete === false) await via.writeAssignmentPart(version, assignments.slice(0, 30));
  else await via.writeAssignments(version, assignments);
  return assignments;
}

/** Every item of the table that belongs to a model version (META, segments, assignments), counted per version. */
async function itemsByVersion(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  let ExclusiveStartKey: Record<string, any> | undefined;
  do {
    const page = await env.stores.dynamo.send(new ScanCommand({ TableName: env.emulators.tableName, ExclusiveStartKey, ProjectionExpression: 'PK, SK' }));
    for (const item of page.Items ?? []) {
      const pk = item.PK.S!;
      const sk = item.SK.S!;
      const version = pk.startsWith('MODEL#') ? pk.slice(6) : sk.startsWith('MODEL#') ? sk.slice(6) : undefined;
      if (version) counts[version] = (counts[version] ?? 0) + 1;
    }
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return counts;
}

/** Per complete version: META + K segment items + one assignment per customer. */
const FULL = 1 + K + CUSTOMERS;

/** Readers (the marketing apps' client) in a loop until stopped: every answer must come from an allowed version. */
function readersDuring(allowed: readonly string[], customerIds: string[]) {
  const client = new SegmentsClient(store);
  let stop = false;
  let reads = 0;
  const errors: string[] = [];
  const loop = (async () => {
    while (!stop) {
      const id = customerIds[reads % customerIds.length];
      const [c, page] = await Promise.all([client.getCustomerSegment(id), client.listSegmentCustomers(reads % K, { limit: 5 })]);
      if (!allowed.includes(c?.modelVersion ?? 'none')) errors.push(`read ${reads}: customer ${id} from ${c?.modelVersion}, expected one of ${allowed}`);
      if (!allowed.includes(page.modelVersion ?? 'none') || page.customers.length === 0) errors.push(`read ${reads}: segment page from ${page.modelVersion} with ${page.customers.length} customers`);
      reads++;
    }
  })();
  return {
    async finish() {
      stop = true;
      await loop;
      return { reads, errors };
    },
  };
}

test('deletes old superseded versions and abandoned drafts, keeps the active one, the rollback target, the recent ones and live drafts', async () => {
  const day = (n: number) => new Date(Date.UTC(2026, 0, n)).toISOString();
  let customers: string[] = [];
  for (const [i, v] of ['v1', 'v2', 'v3', 'v4', 'v5'].entries()) {
    customers = (await writeVersion(v, day(i + 1))).map((a) => a.customerId);
    await store.activateModel(v);
  }
  // An abandoned draft (no run record), a draft of a run that died (lease expired long ago), a draft whose run still
  // holds its lease, all last written 3 days ago; and a young draft (within the grace period).
  await writeVersion('d-stale', day(10), { via: pastStore, complete: false });
  await writeVersion('d-dead', day(11), { via: pastStore, runId: 'run-dead', complete: false });
  await writeVersion('d-live', day(12), { via: pastStore, runId: 'run-live', complete: false });
  await writeVersion('d-young', day(13), { complete: false });
  await pastStore.claimRun('run-dead', { tablesPresent: ['orders'], leaseMs: 60_000 });
  await pastStore.updateRun('run-dead', 'training', { modelVersion: 'd-dead' });
  await store.claimRun('run-live', { tablesPresent: ['orders'], leaseMs: 3_600_000 });
  await store.updateRun('run-live', 'training', { modelVersion: 'd-live' });

  const before = await itemsByVersion();
  expect(before).toEqual({ v1: FULL, v2: FULL, v3: FULL, v4: FULL, v5: FULL, 'd-stale': 1 + K + 30, 'd-dead': 1 + K + 30, 'd-live': 1 + K + 30, 'd-young': 1 + K + 30 });

  // A dry run decides the same and deletes nothing.
  const dry = await applyRetention({ segments: store, log: silentLog }, { keepVersions: 3, dryRun: true });
  expect(dry.deleted).toEqual([]);
  expect(await itemsByVersion()).toEqual(before);

  const readers = readersDuring(['v5'], customers);
  const out = await applyRetention({ segments: store, log: silentLog }, { keepVersions: 3 });
  const { reads, errors } = await readers.finish();

  expect(Object.fromEntries(out.plan.keep.map((d) => [d.version, d.code]))).toEqual({
    v5: 'active',
    v4: 'rollback-target',
    v3: 'recent',
    'd-live': 'run-in-progress',
    'd-young': 'draft-in-grace',
  });
  expect(out.deleted.map((d) => [d.version, d.deletedAssignments]).sort()).toEqual([['d-dead', 30], ['d-stale', 30], ['v1', CUSTOMERS], ['v2', CUSTOMERS]]);
  expect({ skipped: out.skipped, deferred: out.deferred, failed: out.failed }).toEqual({ skipped: [], deferred: [], failed: [] });

  // Exactly those versions are gone, every item of them (META, segments, assignments); the others are untouched.
  expect(await itemsByVersion()).toEqual({ v3: FULL, v4: FULL, v5: FULL, 'd-live': 1 + K + 30, 'd-young': 1 + K + 30 });
  expect((await store.listModels()).map((m) => m.version).sort()).toEqual(['d-live', 'd-young', 'v3', 'v4', 'v5']);
  expect(await store.getCustomer(customers[0], { version: 'v1' })).toBeUndefined();
  expect((await store.getCustomer(customers[0], { version: 'v4' }))?.version).toBe('v4');

  // Readers answered throughout, always from the active version.
  expect(errors).toEqual([]);
  expect(reads).toBeGreaterThan(0);
  expect(await store.getActivePointer()).toMatchObject({ version: 'v5', previousVersion: 'v4' });
  // The rollback target is still a working rollback.
  await store.activateModel('v4');
  expect((await new SegmentsClient(store).getCustomerSegment(customers[1]))?.modelVersion).toBe('v4');
  await store.activateModel('v5');

  // A second run finds nothing more to do.
  const again = await applyRetention({ segments: store, log: silentLog }, { keepVersions: 3 });
  expect(again.plan.delete).toEqual([]);
}, 120_000);

test('a version activated after the listing (an operator rollback) is not deleted; the others still are', async () => {
  // State from the test above: v5 active (previous v4), v3 superseded. Two more trainings: v7 active, v6 rollback target.
  const day = (n: number) => new Date(Date.UTC(2026, 1, n)).toISOString();
  const customers = (await writeVersion('v6', day(1))).map((a) => a.customerId);
  await store.activateModel('v6');
  await writeVersion('v7', day(2));
  await store.activateModel('v7');

  // With keepVersions 1 the plan deletes v5, v4 and v3; right before v4's deletion an operator rolls back to v4.
  const racing: SegmentStore = Object.create(store);
  racing.deleteModelVersion = async (version, options) => {
    if (version === 'v4') await store.activateModel('v4');
    return store.deleteModelVersion(version, options);
  };
  const readers = readersDuring(['v7', 'v4'], customers) // v7, then v4 once the rollback flips the pointer;
  const out = await applyRetention({ segments: racing, log: silentLog }, { keepVersions: 1 });
  const { errors } = await readers.finish();

  expect(out.plan.delete.map((d) => d.version)).toEqual(['v5', 'v4', 'v3']);
  expect(out.deleted.map((d) => d.version)).toEqual(['v5', 'v3']);
  expect(out.skipped).toEqual([{ version: 'v4', reason: expect.stringMatching(/cannot delete the active version/) }]);
  expect(await store.getActivePointer()).toMatchObject({ version: 'v4', previousVersion: 'v7' });
  const left = await itemsByVersion();
  expect([left.v4, left.v6, left.v7, left.v5, left.v3]).toEqual([FULL, FULL, FULL, undefined, undefined]);
  expect(errors).toEqual([]);
}, 120_000);

describe('the scheduled stability function prunes after its check', () => {
  // The real stores; no features in the artifacts bucket, so the check itself ends with 'no-data'.
  const handlerWith = (vars: Record<string, string>) =>
    createStabilityHandler(() => ({ stores: env.stores, log: silentLog, env: vars, startTraining: async () => undefined, startDistributed: async () => undefined, publishEvent: async () => undefined }));

  test('KEEP_VERSIONS from the environment; the check outcome is returned unchanged', async () => {
    // State from the tests above: v4 active (rollback target v7), v6 complete; drafts d-live (run in progress), d-young.
    const out = await handlerWith({ KEEP_VERSIONS: '1' })({}, { getRemainingTimeInMillis: () => 600_000 });
    expect(out).toMatchObject({ status: 'no-data', retention: { deleted: ['v6'], skipped: [], deferred: [], failed: [] } });
    expect((await store.listModels()).map((m) => m.version).sort()).toEqual(['d-live', 'd-young', 'v4', 'v7']);
  }, 60_000);

  test('a retention error is logged and returned, never thrown (the check already happened); too little time defers deletions', async () => {
    const bad = await handlerWith({ KEEP_VERSIONS: 'all' })({});
    expect(bad).toMatchObject({ status: 'no-data', retention: { deleted: [], error: expect.stringMatching(/KEEP_VERSIONS=all must be an integer >= 1/) } });
    // Less time left than the reserve: the plan is made, nothing is started.
    await writeVersion('v8', new Date(Date.UTC(2026, 2, 1)).toISOString());
    await store.activateModel('v8');
    const late = await handlerWith({ KEEP_VERSIONS: '1' })({}, { getRemainingTimeInMillis: () => 30_000 });
    // v8 active, v4 its rollback target: v7 is due, but deferred to the next run.
    expect(late.retention).toEqual({ deleted: [], skipped: [], deferred: ['v7'], failed: [] });
    expect((await store.listModels()).map((m) => m.version)).toContain('v7');
  }, 60_000);
});
