/**
 * Run leases and the activation rule for concurrent datasets, on dynalite: who may take a run over (a failed
 * run, an expired lease, a hand-off), that concurrent takeovers have one winner, that a holder whose lease
 * was taken is fenced off, and that a model of older data never replaces an active model of newer data.
 */
import { createDynamoClient, loadStoreConfig } from '../../lambdas/store/config';
import { DynamoSegmentStore } from '../../lambdas/store/dynamo-segment-store';
import { LeaseLostError, StaleModelError } from '../../lambdas/store/errors';
import { syntheticAssignments, syntheticModel } from '../../lambdas/local/synthetic-segments';
import { startTestEnv, type TestEnv } from './helpers';

describe('run leases and takeover', () => {
  let env: TestEnv;
  let clock = Date.parse('2026-01-01T00:00:00Z');
  const clients: ReturnType<typeof createDynamoClient>[] = [];
  /** A store with its own client and the test's clock. */
  const store = () => {
    const client = createDynamoClient(loadStoreConfig(env.emulators.env));
    clients.push(client);
    return new DynamoSegmentStore({ client, tableName: env.emulators.tableName, now: () => new Date(clock) });
  };
  beforeAll(async () => {
    env = await startTestEnv({ inMemoryDynamo: true });
  });
  afterAll(async () => {
    clients.forEach((c) => c.destroy());
    await env?.close();
  });

  test('a live lease refuses; an expired one is taken over by exactly one of many concurrent claimers', async () => {
    const a = store();
    const first = await a.claimRun('ds-lease', { tablesPresent: ['orders'], owner: 'A', leaseMs: 60_000 });
    expect(first).toMatchObject({ claimed: true, run: { status: 'claimed', attempts: 1, leaseOwner: 'A' } });
    await a.updateRun('ds-lease', 'ingesting', { ifOwner: 'A' });
    clock += 59_000;
    expect(await a.claimRun('ds-lease', { tablesPresent: ['orders'], owner: 'B' })).toMatchObject({ claimed: false, run: { status: 'ingesting', leaseOwner: 'A' } });
    clock += 2_000; // A stopped renewing (crashed): its lease expired
    const stores = Array.from({ length: 4 }, store);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => stores[i % 4].claimRun('ds-lease', { tablesPresent: ['orders'], owner: `T${i}` })));
    const winners = results.filter((r) => r.claimed);
    expect(winners).toHaveLength(1);
    expect(winners[0]).toMatchObject({ takeover: true, run: { status: 'claimed', attempts: 2, previousStatus: 'ingesting' } });
    // A wakes up: fenced off, its updates and renewals no longer apply
    await expect(a.updateRun('ds-lease', 'training', { ifOwner: 'A' })).rejects.toBeInstanceOf(LeaseLostError);
    expect(await a.renewRunLease('ds-lease', 'A', 60_000)).toBe(false);
    expect((await a.getRun('ds-lease'))!.status).toBe('claimed');
  });

  test('a failed run is taken over at once (Lambda retry); a succeeded one never', async () => {
    const s = store();
    await s.claimRun('ds-retry', { tablesPresent: ['orders'], owner: 'A' });
    await s.updateRun('ds-retry', 'failed', { reasons: ['read ECONNRESET'], ifOwner: 'A', lease: 'release' });
    const retry = await s.claimRun('ds-retry', { tablesPresent: ['orders'], owner: 'B' });
    expect(retry).toMatchObject({ claimed: true, takeover: true, run: { attempts: 2, previousStatus: 'failed', previousReasons: ['read ECONNRESET'], reasons: [] } });
    await s.updateRun('ds-retry', 'succeeded', { ifOwner: 'B', lease: 'release' });
    clock += 3600_000;
    expect(await s.claimRun('ds-retry', { tablesPresent: ['orders'], owner: 'C' })).toMatchObject({ claimed: false, run: { status: 'succeeded' } });
    expect(await s.acquireRunLease('ds-retry', { owner: 'C', leaseMs: 1000, status: 'training', from: ['training'] })).toMatchObject({ claimed: false });
  });

  test('training: the hand-off token acquires a run under a valid lease, once; a duplicate delivery does not', async () => {
    const s = store();
    await s.claimRun('ds-train', { tablesPresent: ['orders'], owner: 'ingest' });
    await s.updateRun('ds-train', 'training', { ifOwner: 'ingest', lease: { owner: 'handoff-1', ms: 6 * 3600_000 } });
    const opts = { leaseMs: 60_000, status: 'training' as const, from: ['training' as const], handoff: 'handoff-1' };
    expect(await s.acquireRunLease('ds-train', { ...opts, owner: 'T1' })).toMatchObject({ claimed: true, takeover: false, run: { leaseOwner: 'T1' } });
    expect(await s.acquireRunLease('ds-train', { ...opts, owner: 'T2' })).toMatchObject({ claimed: false }); // duplicate event
    await s.updateRun('ds-train', 'training', { ifOwner: 'T1', modelVersion: 'v-draft' });
    clock += 61_000; // T1 timed out
    expect(await s.acquireRunLease('ds-train', { ...opts, owner: 'T3' })).toMatchObject({ claimed: true, takeover: true, run: { leaseOwner: 'T3', modelVersion: 'v-draft', previousStatus: 'training' } });
  });
});

describe('activation when datasets finish out of order (ifNotOlder)', () => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await startTestEnv({ inMemoryDynamo: true });
  });
  afterAll(() => env?.close());

  async function complete(version: string, asOf: string) {
    const store = env.stores.segments;
    const model = { ...syntheticModel(version, { k: 3, customers: 40 }), asOf };
    await store.putModelDraft(model);
    await store.writeAssignments(version, syntheticAssignments(40, { k: 3, salt: version }));
  }

  test('older data finishing later is kept but not activated; same or newer data is', async () => {
    const store = env.stores.segments;
    await complete('v-new', '2018-09-01T00:00:00.000Z');
    await complete('v-old', '2018-06-01T00:00:00.000Z');
    await complete('v-same', '2018-09-01T00:00:00.000Z');
    await store.activateModel('v-new', { ifNotOlder: true });
    const err = await store.activateModel('v-old', { ifNotOlder: true }).catch((e) => e);
    expect(err).toBeInstanceOf(StaleModelError);
    expect(err.message).toMatch(/v-old \(data as of 2018-06-01.*the active version v-new has newer data/);
    expect((await store.getActivePointer())!.version).toBe('v-new');
    expect((await store.getModel('v-old'))!).toMatchObject({ status: 'superseded', supersededBy: 'v-new' });
    expect((await store.activateModel('v-same', { ifNotOlder: true })).version).toBe('v-same');
    // an operator's rollback (no ifNotOlder) may still activate the older, complete version on purpose
    expect((await store.activateModel('v-old')).version).toBe('v-old');
  });
});
