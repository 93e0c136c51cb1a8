import { createDynamoClient, loadStoreConfig } from '../../lambdas/store/config';
import { createSegmentStore } from '../../lambdas/store/dynamo-segment-store';
import { SegmentsClient } from '../../lambdas/store/client';
import type { StabilityCheckRecord } from '../../lambdas/store/segment-store';
import { startTestEnv, type TestEnv } from './helpers';

describe('run records and stability history', () => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await startTestEnv({ inMemoryDynamo: true });
  });
  afterAll(() => env?.close());

  test('claimRun succeeds exactly once under concurrent calls from separate clients', async () => {
    const clients = Array.from({ length: 4 }, () => createDynamoClient(loadStoreConfig(env.emulators.env)));
    const stores = clients.map((client) => createSegmentStore({ client, tableName: env.emulators.tableName }));
    for (const dataset of ['ds-2018-10', 'ds-2018-11', 'ds-2018-12']) {
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) => stores[i % stores.length].claimRun(dataset, { tablesPresent: [`table-${i}`] })),
      );
      const winners = results.filter((r) => r.claimed);
      expect(winners).toHaveLength(1);
      // losers see the winner's record
      const winnerTables = winners[0].run.tablesPresent;
      for (const r of results.filter((x) => !x.claimed)) expect(r.run.tablesPresent).toEqual(winnerTables);
      expect((await stores[0].getRun(dataset))!.tablesPresent).toEqual(winnerTables);
    }
    clients.forEach((c) => c.destroy());
  });

  test('updateRun: status, reasons replaced, counts and timings merged key by key', async () => {
    const store = env.stores.segments;
    const tables = ['customers', 'orders', 'order_items', 'order_payments', 'order_reviews', 'products'];
    const claim = await store.claimRun('ds-upd', { tablesPresent: tables });
    expect(claim).toMatchObject({ claimed: true, run: { datasetId: 'ds-upd', status: 'claimed', tablesPresent: tables, reasons: [], counts: {}, timings: {} } });

    await store.updateRun('ds-upd', 'ingesting', { counts: { orders: 99441, 'order items': 112650 }, timings: { read: 1234.5 } });
    const r = await store.updateRun('ds-upd', 'training', {
      counts: { customers: 96096 },
      timings: { features: 0.1 + 0.2 },
      reasons: ['k chosen by silhouette'],
      modelVersion: 'v-1',
    });
    expect(r).toMatchObject({
      status: 'training',
      counts: { orders: 99441, 'order items': 112650, customers: 96096 },
      timings: { read: 1234.5, features: 0.1 + 0.2 },
      reasons: ['k chosen by silhouette'],
      modelVersion: 'v-1',
      claimedAt: claim.run.claimedAt,
    });
    expect(r.updatedAt >= claim.run.updatedAt).toBe(true);
    const failed = await store.updateRun('ds-upd', 'failed', { reasons: ['orders.csv: column order_id missing'] });
    expect(failed.reasons).toEqual(['orders.csv: column order_id missing']);
    expect(await store.getRun('ds-upd')).toEqual(failed);

    await expect(store.updateRun('never-claimed', 'failed')).rejects.toThrow(/does not exist \(claimRun first\)/);
    expect(await store.getRun('never-claimed')).toBeUndefined();
    await expect(store.claimRun('bad#id', { tablesPresent: [] })).rejects.toThrow(/must not contain '#'/);
  });

  test('stability checks: newest first, limit, exact numbers', async () => {
    const store = env.stores.segments;
    const records: StabilityCheckRecord[] = Array.from({ length: 7 }, (_, i) => ({
      checkedAt: `2024-03-0${i + 1}T06:00:00.000Z`,
      modelVersion: 'v-1',
      ari: i === 3 ? null : 0.9 - i / 30,
      drift: { monetary: i * 0.1, recencyDays: 1 / (i + 3) },
      ageDays: i,
      verdict: i < 5 ? 'stable' : 'retrain',
      reasons: i < 5 ? [] : ['ARI below 0.75'],
      ...(i === 6 ? { details: { sample: 5000, nested: { ok: true, values: [1e-7, 2] } } } : {}),
    }));
    for (const r of [...records].reverse()) await store.putStabilityCheck(r);
    await store.putStabilityCheck(records[2]); // idempotent re-put

    const latest3 = await store.listStabilityChecks(3);
    expect(latest3).toEqual([records[6], records[5], records[4]]);
    const all = await store.listStabilityChecks(100);
    expect(all).toEqual([...records].reverse());
    expect(Object.is(all[6].drift.recencyDays, 1 / 3)).toBe(true);

    const client = new SegmentsClient(store);
    expect((await client.stabilityHistory(2)).map((r) => r.checkedAt)).toEqual([records[6].checkedAt, records[5].checkedAt]);
  });
});
