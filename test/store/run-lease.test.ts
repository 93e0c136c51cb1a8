/**
 * Run leases and the activation rule for concurrent datasets, on dynalite: who may take a run over (a failed
 * run, an expired lease, a hand-off, the lease's own owner: Lambda's retry of the same request id), that concurrent takeovers have one winner, that a holder whose lease
 * was taken is fenced off, and that a model of older data never replaces an active model of newer data.
 */
import { createDynamoClient, loadStoreConfig } from '../../lambdas/store/config';
import { createSegmentStore } from '../../lambdas/store/dynamo-segment-store';
import { LeaseLostError, StaleModelError } from '../../lambdas/store/errors';
import { handoffToken } from '../../lambdas/store/segment-store';
import { syntheticAssignments, syntheticModel } from '../../lambdas/local/synthetic-segments';
import { startTestEnv, type TestEnv } from './helpers';
import { DEFAULT_LEASE_TIMES, LEASE_MARGIN_MS, leaseTimesFromEnv } from '../../lambdas/pipeline/lease';

describe('run leases and takeover', () => {
  let env: TestEnv;
  let clock = Date.parse('2026-01-01T00:00:00Z');
  const clients: ReturnType<typeof createDynamoClient>[] = [];
  /** A store with its own client and the test's clock. */
  const store = () => {
    const client = createDynamoClient(loadStoreConfig(env.emulators.env));
    clients.push(client);
    return createSegmentStore({ client, tableName: env.emulators.tableName, now: () => new Date(clock) });
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

  test("Lambda's retry (same owner: the request id) takes its dead attempt's run over at once; another owner waits for expiry", async () => {
    const s = store();
    await s.claimRun('ds-same', { tablesPresent: ['orders'], owner: 'req-1', leaseMs: 11 * 60_000 });
    await s.updateRun('ds-same', 'ingesting', { ifOwner: 'req-1' });
    clock += 70_000; // req-1's attempt timed out; Lambda retries it (same request id) about a minute later
    expect(await s.claimRun('ds-same', { tablesPresent: ['orders'], owner: 'req-2', leaseMs: 11 * 60_000 })).toMatchObject({ claimed: false, run: { leaseOwner: 'req-1' } }); // an S3 duplicate
    const retry = await s.claimRun('ds-same', { tablesPresent: ['orders'], owner: 'req-1', leaseMs: 11 * 60_000 });
    expect(retry).toMatchObject({ claimed: true, takeover: true, run: { status: 'claimed', attempts: 2, previousStatus: 'ingesting', leaseOwner: 'req-1' } });
    // the retry's lease is new: the duplicate is still refused until it expires (retries exhausted: the failure destination)
    clock += 11 * 60_000 - 1_000;
    expect(await s.claimRun('ds-same', { tablesPresent: ['orders'], owner: 'req-2' })).toMatchObject({ claimed: false });
    clock += 2_000;
    expect(await s.claimRun('ds-same', { tablesPresent: ['orders'], owner: 'req-2' })).toMatchObject({ claimed: true, takeover: true, run: { attempts: 3, leaseOwner: 'req-2' } });
    // a final run is never re-claimed, not even by its own owner
    await s.updateRun('ds-same', 'succeeded', { ifOwner: 'req-2', lease: 'release' });
    expect(await s.claimRun('ds-same', { tablesPresent: ['orders'], owner: 'req-2' })).toMatchObject({ claimed: false, run: { status: 'succeeded' } });
  });

  test('ingest dying between the hand-off and starting training: its retry takes the run back; nobody else does', async () => {
    const s = store();
    await s.claimRun('ds-handoff', { tablesPresent: ['orders'], owner: 'ingest-req', leaseMs: 11 * 60_000 });
    await s.updateRun('ds-handoff', 'training', { ifOwner: 'ingest-req', lease: { owner: handoffToken('ingest-req'), ms: 6.5 * 3600_000 } });
    clock += 70_000; // the training event was never sent; Lambda retries ingest with the same request id
    expect(await s.claimRun('ds-handoff', { tablesPresent: ['orders'], owner: 'other-req' })).toMatchObject({ claimed: false });
    expect(await s.claimRun('ds-handoff', { tablesPresent: ['orders'], owner: 'ingest-req', leaseMs: 11 * 60_000 })).toMatchObject({ claimed: true, takeover: true, run: { attempts: 2, previousStatus: 'training', leaseOwner: 'ingest-req' } });
    // once training holds the run under its own id, ingest's token no longer opens it
    await s.updateRun('ds-handoff', 'training', { ifOwner: 'ingest-req', lease: { owner: handoffToken('ingest-req'), ms: 6.5 * 3600_000 } });
    const opts = { leaseMs: 16 * 60_000, status: 'training' as const, from: ['training' as const], handoff: handoffToken('ingest-req') };
    expect(await s.acquireRunLease('ds-handoff', { ...opts, owner: 'train-req' })).toMatchObject({ claimed: true });
    expect(await s.claimRun('ds-handoff', { tablesPresent: ['orders'], owner: 'ingest-req' })).toMatchObject({ claimed: false, run: { leaseOwner: 'train-req' } });
  });

  test("training: after the hand-off, train's own request id re-acquires at once; a duplicate delivery waits for expiry", async () => {
    const s = store();
    await s.claimRun('ds-same-train', { tablesPresent: ['orders'], owner: 'ingest-req' });
    await s.updateRun('ds-same-train', 'training', { ifOwner: 'ingest-req', lease: { owner: 'handoff-2', ms: 6 * 3600_000 } });
    const opts = { leaseMs: 16 * 60_000, status: 'training' as const, from: ['training' as const], handoff: 'handoff-2' };
    expect(await s.acquireRunLease('ds-same-train', { ...opts, owner: 'train-req' })).toMatchObject({ claimed: true, takeover: false, run: { leaseOwner: 'train-req' } });
    await s.updateRun('ds-same-train', 'training', { ifOwner: 'train-req', modelVersion: 'v-crashed' });
    clock += 60_000; // train-req crashed mid-write; its retry carries the same request id and the same hand-off token
    expect(await s.acquireRunLease('ds-same-train', { ...opts, owner: 'dup-req' })).toMatchObject({ claimed: false, run: { leaseOwner: 'train-req' } });
    const retry = await s.acquireRunLease('ds-same-train', { ...opts, owner: 'train-req' });
    // takeover: true, so the retry drops the crashed attempt's draft (train.ts)
    expect(retry).toMatchObject({ claimed: true, takeover: true, run: { leaseOwner: 'train-req', modelVersion: 'v-crashed', previousStatus: 'training' } });
    clock += 16 * 60_000 + 1_000; // retries exhausted, the lease expired: a later delivery takes the run over
    expect(await s.acquireRunLease('ds-same-train', { ...opts, owner: 'dup-req' })).toMatchObject({ claimed: true, takeover: true, run: { leaseOwner: 'dup-req' } });
    await expect(s.updateRun('ds-same-train', 'succeeded', { ifOwner: 'train-req' })).rejects.toBeInstanceOf(LeaseLostError);
  });
});

describe('lease length (lambdas/pipeline/lease.ts)', () => {
  test('the invocation: its remaining time + 1 min, not renewed; RUN_LEASE_MS: as set, renewed; neither: 16 min, renewed', () => {
    expect(leaseTimesFromEnv({}, 899_950)).toMatchObject({ leaseMs: 899_950 + LEASE_MARGIN_MS, renew: false });
    expect(leaseTimesFromEnv({ RUN_LEASE_MS: '1500' }, 899_950)).toMatchObject({ leaseMs: 1500, renew: true });
    expect(leaseTimesFromEnv({})).toEqual(DEFAULT_LEASE_TIMES);
    expect(DEFAULT_LEASE_TIMES).toMatchObject({ leaseMs: 16 * 60_000, renew: true });
    expect(() => leaseTimesFromEnv({ RUN_LEASE_MS: '-1' })).toThrow(/RUN_LEASE_MS=-1 must be a positive number/);
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
