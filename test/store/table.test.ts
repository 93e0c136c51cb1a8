/**
 * What the aggregate stores share (lambdas/store/table.ts), on dynalite: `conditionally` turns exactly a failed
 * condition into the caller's outcome and lets every other error through; each aggregate store works on its own over a
 * Table, and createSegmentStore's composite hands out methods that keep working when taken off the object.
 */
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { createSegmentStore } from '../../lambdas/store/dynamo-segment-store';
import { ModelStateError } from '../../lambdas/store/errors';
import { DynamoAssignmentStore } from '../../lambdas/store/assignments/dynamo-assignment-store';
import { DynamoModelStore } from '../../lambdas/store/models/dynamo-model-store';
import { VersionMeta } from '../../lambdas/store/models/meta';
import { DynamoRunStore } from '../../lambdas/store/runs/dynamo-run-store';
import { DynamoStabilityStore } from '../../lambdas/store/stability/dynamo-stability-store';
import { Clock, conditionally, itemKey, S, Table, type TableContext } from '../../lambdas/store/table';
import { syntheticAssignments, syntheticModel } from '../../lambdas/local/synthetic-segments';
import { startTestEnv, type TestEnv } from './helpers';

let env: TestEnv;
let table: Table;
beforeAll(async () => {
  env = await startTestEnv({ inMemoryDynamo: true });
  table = new Table(env.stores.dynamo, env.emulators.tableName);
});
afterAll(() => env?.close());

describe('conditionally', () => {
  const putOnce = (t: Table, sk: string) =>
    t.put({ Item: { ...itemKey('TEST', sk), n: S('x') }, ConditionExpression: 'attribute_not_exists(PK)' }).then(() => 'written' as const);

  test('the write succeeds: its value; the condition fails: the handler decides (a value, or the domain error)', async () => {
    expect(await conditionally(() => putOnce(table, 'a'), () => 'taken' as const)).toBe('written');
    let cause: Error | undefined;
    expect(await conditionally(() => putOnce(table, 'a'), (err) => ((cause = err), 'taken' as const))).toBe('taken');
    expect(cause?.name).toBe('ConditionalCheckFailedException');
    await expect(
      conditionally(
        () => putOnce(table, 'a'),
        () => {
          throw new ModelStateError('v', 'refused');
        },
      ),
    ).rejects.toBeInstanceOf(ModelStateError);
  });

  test('any other error propagates unchanged and the handler is not called', async () => {
    const missing = new Table(env.stores.dynamo, 'no-such-table');
    const handler = jest.fn();
    await expect(conditionally(() => putOnce(missing, 'b'), handler)).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    // A client-side validation error (an unmarshallable item) is not a condition failure either.
    await expect(conditionally(() => env.stores.dynamo.send(new PutItemCommand({ TableName: env.emulators.tableName, Item: {} })), handler)).rejects.toThrow();
    expect(handler).not.toHaveBeenCalled();
  });
});

describe('the aggregate stores', () => {
  const ctx = (): TableContext => ({ table, clock: new Clock(), retry: {} });

  test('each works on its own over the table; models and assignments meet only through META', async () => {
    const meta = new VersionMeta(table);
    const models = new DynamoModelStore(ctx(), meta, { shards: 2, activePointerCacheMs: 0 });
    const assignments = new DynamoAssignmentStore(ctx(), meta, models);
    const model = syntheticModel('agg-v1', { k: 3, customers: 60 });
    await models.putModelDraft(model);
    const written = await assignments.writeAssignments('agg-v1', syntheticAssignments(60, { k: 3, seed: 4 }));
    expect(written).toMatchObject({ complete: true, written: 60 });
    expect(await models.activateModel('agg-v1')).toMatchObject({ version: 'agg-v1' });
    expect((await assignments.listSegmentMembers(0, { limit: 1000 })).version).toBe('agg-v1');

    const runs = new DynamoRunStore(ctx());
    expect((await runs.claimRun('agg-ds', { tablesPresent: ['customers'] })).claimed).toBe(true);
    expect((await runs.claimRun('agg-ds', { tablesPresent: ['customers'] })).claimed).toBe(false);

    const stability = new DynamoStabilityStore(ctx());
    await stability.putStabilityCheck({ checkedAt: '2026-01-01T00:00:00.000Z', modelVersion: 'agg-v1', ari: 0.9, drift: {}, ageDays: 1, verdict: 'stable', reasons: [] });
    expect((await stability.listStabilityChecks(1))[0]).toMatchObject({ modelVersion: 'agg-v1', verdict: 'stable' });
  });

  test("the composite's methods are the aggregates' own, bound: they work taken off the object", async () => {
    const { claimRun, getRun, putModelDraft, getModel } = createSegmentStore({ client: env.stores.dynamo, tableName: env.emulators.tableName });
    await claimRun('agg-bound', { tablesPresent: [] });
    expect(await getRun('agg-bound')).toMatchObject({ datasetId: 'agg-bound', status: 'claimed' });
    await putModelDraft(syntheticModel('agg-bound-v', { k: 2, customers: 10 }));
    expect(await getModel('agg-bound-v')).toMatchObject({ status: 'writing', expectedAssignments: 10, assignmentsWritten: 0 });
  });
});
