import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CreateTableCommand, DeleteTableCommand, DescribeTableCommand, ListTablesCommand, waitUntilTableExists, waitUntilTableNotExists } from '@aws-sdk/client-dynamodb';
import { startEmulators } from '../../lambdas/local/emulators';
import { syntheticAssignments, syntheticModel } from '../../lambdas/local/synthetic-segments';
import { createStores } from '../../lambdas/store/config';
import { createTableInput, GSI1_NAME, GSI2_NAME } from '../../lambdas/store/table-schema';

describe('local emulators', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'segments-emulators-test-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test('a restart on the same folder (and the same given ports) reuses buckets, table and data', async () => {
    const first = await startEmulators({ dir });
    expect(first.s3Endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(first.dynamoEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const ports = { s3Port: Number(new URL(first.s3Endpoint).port), dynamoPort: Number(new URL(first.dynamoEndpoint).port) };
    let stores = createStores(first.env);
    const table = await stores.dynamo.send(new DescribeTableCommand({ TableName: first.tableName }));
    expect(table.Table?.KeySchema).toEqual([
      { AttributeName: 'PK', KeyType: 'HASH' },
      { AttributeName: 'SK', KeyType: 'RANGE' },
    ]);
    expect(table.Table?.GlobalSecondaryIndexes?.map((g) => [g.IndexName, g.KeySchema, g.Projection?.ProjectionType])).toEqual([
      [GSI1_NAME, [{ AttributeName: 'GSI1PK', KeyType: 'HASH' }, { AttributeName: 'GSI1SK', KeyType: 'RANGE' }], 'ALL'],
      [GSI2_NAME, [{ AttributeName: 'GSI2PK', KeyType: 'HASH' }, { AttributeName: 'GSI2SK', KeyType: 'RANGE' }], 'ALL'],
    ]);

    await stores.raw.putText('incoming/ds/orders.csv', 'order_id\n1\n');
    await stores.artifacts.putJson('models/v1/model.json', { k: 4 });
    const a = syntheticAssignments(120, { seed: 5 });
    await stores.segments.putModelDraft(syntheticModel('v-restart', { customers: 120 }));
    await stores.segments.writeAssignments('v-restart', a);
    await stores.segments.activateModel('v-restart');
    await stores.segments.claimRun('ds', { tablesPresent: ['orders'] });
    stores.s3.destroy();
    stores.dynamo.destroy();
    await first.stop();
    await first.stop(); // idempotent
    expect((await readdir(dir)).sort()).toEqual(['dynamodb', 's3']); // lock released

    const second = await startEmulators({ dir, ...ports });
    expect(second.s3Endpoint).toBe(first.s3Endpoint);
    expect(second.dynamoEndpoint).toBe(first.dynamoEndpoint);
    stores = createStores(second.env);
    try {
      expect(await stores.raw.getText('incoming/ds/orders.csv')).toBe('order_id\n1\n');
      expect(await stores.artifacts.getJson('models/v1/model.json')).toEqual({ k: 4 });
      expect((await stores.segments.getActivePointer())!.version).toBe('v-restart');
      expect(await stores.segments.getCustomer(a[17].customerId)).toEqual({ ...a[17], version: 'v-restart', spend: a[17].features.monetary });
      const page = await stores.segments.listSegmentMembers(a[17].segmentId, { limit: 1000 });
      expect(page.items).toHaveLength(a.filter((x) => x.segmentId === a[17].segmentId).length);
      expect(await stores.segments.claimRun('ds', { tablesPresent: ['orders'] })).toMatchObject({ claimed: false });
    } finally {
      stores.s3.destroy();
      stores.dynamo.destroy();
      await second.stop();
    }
  });

  test('a table made before the borderline index (GSI1 only) gets it on the next start, every item kept', async () => {
    const oldDir = path.join(dir, 'before-gsi2');
    const first = await startEmulators({ dir: oldDir });
    let stores = createStores(first.env);
    // The table as the previous schema made it: GSI1 only.
    // dynalite changes a table's state on a timer (CREATING -> ACTIVE, DELETING -> gone): under load a request made at
    // once can find the table in the previous state (ResourceInUseException), so each step waits for the state.
    await waitUntilTableExists({ client: stores.dynamo, maxWaitTime: 30, minDelay: 0.1 }, { TableName: first.tableName });
    await stores.dynamo.send(new DeleteTableCommand({ TableName: first.tableName }));
    await waitUntilTableNotExists({ client: stores.dynamo, maxWaitTime: 30, minDelay: 0.1 }, { TableName: first.tableName });
    const input = createTableInput(first.tableName);
    await stores.dynamo.send(
      new CreateTableCommand({
        ...input,
        AttributeDefinitions: input.AttributeDefinitions!.filter((a) => !a.AttributeName!.startsWith('GSI2')),
        GlobalSecondaryIndexes: input.GlobalSecondaryIndexes!.filter((g) => g.IndexName === GSI1_NAME),
      }),
    );
    await waitUntilTableExists({ client: stores.dynamo, maxWaitTime: 30, minDelay: 0.1 }, { TableName: first.tableName });
    const a = syntheticAssignments(300, { seed: 9 });
    await stores.segments.putModelDraft(syntheticModel('v-before', { customers: 300 }));
    await stores.segments.writeAssignments('v-before', a);
    await stores.segments.activateModel('v-before');
    stores.s3.destroy();
    stores.dynamo.destroy();
    await first.stop();

    const second = await startEmulators({ dir: oldDir });
    stores = createStores(second.env);
    try {
      const table = await stores.dynamo.send(new DescribeTableCommand({ TableName: second.tableName }));
      expect(table.Table?.GlobalSecondaryIndexes?.map((g) => g.IndexName).sort()).toEqual([GSI1_NAME, GSI2_NAME]);
      expect((await stores.segments.getActivePointer())!.version).toBe('v-before');
      expect(await stores.segments.getCustomer(a[42].customerId)).toEqual({ ...a[42], version: 'v-before', spend: a[42].features.monetary });
      const page = await stores.segments.listSegmentMembers(a[42].segmentId, { limit: 1000 });
      expect(page.items).toHaveLength(a.filter((x) => x.segmentId === a[42].segmentId).length);
      const tables = await stores.dynamo.send(new ListTablesCommand({}));
      expect(tables.TableNames).toEqual([second.tableName]); // the copy is gone
    } finally {
      stores.s3.destroy();
      stores.dynamo.destroy();
      await second.stop();
    }
  });

  test('a second emulator on a folder in use fails clearly and leaves the first one working', async () => {
    const lockDir = path.join(dir, 'locked');
    const first = await startEmulators({ dir: lockDir });
    try {
      await expect(startEmulators({ dir: lockDir })).rejects.toThrow(/locked: is another emulator running on this folder/);
      const stores = createStores(first.env);
      await stores.segments.claimRun('still-works', { tablesPresent: [] });
      expect(await stores.segments.getRun('still-works')).toBeDefined();
      stores.dynamo.destroy();
      stores.s3.destroy();
    } finally {
      await first.stop();
    }
  });

  test('a stale lock of a process that is gone is taken over', async () => {
    const staleDir = path.join(dir, 'stale');
    await mkdir(staleDir, { recursive: true });
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!; // exited already
    await writeFile(path.join(staleDir, 'emulators.lock'), `${dead} 0 0`);
    const emulators = await startEmulators({ dir: staleDir, inMemoryDynamo: true });
    await emulators.stop();
    expect(await readdir(staleDir)).not.toContain('emulators.lock');
  });

  test('in-memory DynamoDB keeps nothing across restarts', async () => {
    const memDir = path.join(dir, 'mem');
    const first = await startEmulators({ dir: memDir, inMemoryDynamo: true });
    let stores = createStores(first.env);
    await stores.segments.claimRun('mem', { tablesPresent: [] });
    stores.dynamo.destroy();
    stores.s3.destroy();
    await first.stop();
    const second = await startEmulators({ dir: memDir, inMemoryDynamo: true });
    stores = createStores(second.env);
    expect(await stores.segments.getRun('mem')).toBeUndefined();
    stores.dynamo.destroy();
    stores.s3.destroy();
    await second.stop();
  });
});
