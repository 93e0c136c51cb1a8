/**
 * Faults dynalite cannot produce (UnprocessedItems, throttling) are injected with an SDK middleware
 * in the initialize step (before the SDK's own retry middleware, so only the store's retry loop sees them).
 * Everything else is real: the items that do get through are written to dynalite and checked there.
 */
import {
  type BatchWriteItemCommandInput,
  type BatchWriteItemCommandOutput,
  type DynamoDBClient,
  ProvisionedThroughputExceededException,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import type { CustomerAssignment } from '../../lambdas/core/domain/types';
import { syntheticAssignments, syntheticModel } from '../../lambdas/local/synthetic-segments';
import { backoffDelay, batchWrite } from '../../lambdas/store/batch-writer';
import { createDynamoClient, loadStoreConfig } from '../../lambdas/store/config';
import { createSegmentStore } from '../../lambdas/store/dynamo-segment-store';
import type { SegmentStore } from '../../lambdas/store/segment-store';
import { BatchWriteError } from '../../lambdas/store/errors';
import { startTestEnv, type TestEnv } from './helpers';

type Fault = (input: BatchWriteItemCommandInput, call: number) => 'throttle' | 'throttling-exception' | 'validation' | 'half' | 'pass';

/** Installs a fault injector on BatchWriteItem; returns the call log. */
function injectFaults(client: DynamoDBClient, table: string, fault: Fault) {
  const calls: number[] = []; // items per call
  client.middlewareStack.add(
    (next, context) => async (args: any) => {
      if (context.commandName !== 'BatchWriteItemCommand') return next(args);
      const input = args.input as BatchWriteItemCommandInput;
      const requests = input.RequestItems![table];
      calls.push(requests.length);
      switch (fault(input, calls.length)) {
        case 'throttle':
          throw new ProvisionedThroughputExceededException({ message: 'injected: rate of requests exceeds the allowed throughput', $metadata: {} });
        case 'throttling-exception': {
          const err = new Error('injected: Rate exceeded');
          err.name = 'ThrottlingException';
          throw err;
        }
        case 'validation': {
          const err = new Error('injected: validation failed');
          err.name = 'ValidationException';
          throw err;
        }
        case 'half': {
          // really write the first half; report the rest as unprocessed (what DynamoDB does under load)
          const keep = Math.ceil(requests.length / 2);
          const result: any = await next({ ...args, input: { ...input, RequestItems: { [table]: requests.slice(0, keep) } } });
          const output = result.output as BatchWriteItemCommandOutput;
          output.UnprocessedItems = requests.length > keep ? { [table]: requests.slice(keep) } : {};
          return result;
        }
        default:
          return next(args);
      }
    },
    { step: 'initialize', name: 'faultInjector' },
  );
  return calls;
}

describe('batch write retries (injected faults, real dynalite)', () => {
  let env: TestEnv;
  const table = () => env.emulators.tableName;

  beforeAll(async () => {
    env = await startTestEnv({ inMemoryDynamo: true });
  });
  afterAll(() => env?.close());

  /** A fresh client + store, so that each test's middleware stays local to it. */
  function freshStore() {
    const client = createDynamoClient(loadStoreConfig(env.emulators.env));
    const store = createSegmentStore({ client, tableName: table() });
    return { client, store };
  }

  async function draft(store: SegmentStore, version: string, assignments: CustomerAssignment[]) {
    await store.putModelDraft(syntheticModel(version, { k: 5, customers: assignments.length }));
  }

  async function countIndexed(version: string): Promise<number> {
    let n = 0;
    for (let seg = 0; seg < 5; seg++) {
      for (let shard = 0; shard < 8; shard++) {
        const r = await env.stores.dynamo.send(
          new QueryCommand({
            TableName: table(),
            IndexName: 'GSI1',
            KeyConditionExpression: 'GSI1PK = :pk',
            ExpressionAttributeValues: { ':pk': { S: `SEG#${version}#${seg}#${shard}` } },
            Select: 'COUNT',
          }),
        );
        n += r.Count ?? 0;
      }
    }
    return n;
  }

  test('UnprocessedItems are re-sent until everything is written', async () => {
    const { client, store } = freshStore();
    const a = syntheticAssignments(500, { seed: 1, salt: 'u-' });
    await draft(store, 'v-unprocessed', a);
    // every call for the first 30 calls writes only half of what it gets
    const calls = injectFaults(client, table(), (_, call) => (call <= 30 ? 'half' : 'pass'));
    const res = await store.writeAssignments('v-unprocessed', a, { concurrency: 4, retry: { baseDelayMs: 1, maxDelayMs: 4 } });
    expect(res.written).toBe(500);
    expect(res.batches).toBe(20);
    expect(res.retries).toBeGreaterThan(0);
    // 20 batches of 25 + one call per retry
    expect(calls.length).toBe(20 + res.retries);
    // re-sends carry only the unprocessed remainder
    expect(calls.some((n) => n < 25)).toBe(true);
    expect(await countIndexed('v-unprocessed')).toBe(500);
    expect((await store.activateModel('v-unprocessed')).version).toBe('v-unprocessed');
    client.destroy();
  });

  test('ProvisionedThroughputExceededException and ThrottlingException are retried with backoff', async () => {
    const { client, store } = freshStore();
    const a = syntheticAssignments(100, { seed: 2, salt: 't-' });
    await draft(store, 'v-throttled', a);
    const calls = injectFaults(client, table(), (_, call) => (call <= 3 ? 'throttle' : call <= 5 ? 'throttling-exception' : 'pass'));
    const res = await store.writeAssignments('v-throttled', a, { concurrency: 1, retry: { baseDelayMs: 1, maxDelayMs: 4 } });
    expect(res).toMatchObject({ written: 100, batches: 4, retries: 5 });
    expect(calls).toHaveLength(4 + 5);
    expect(await countIndexed('v-throttled')).toBe(100);
    client.destroy();
  });

  test('after maxAttempts a clear BatchWriteError; the version cannot be activated', async () => {
    const { client, store } = freshStore();
    const a = syntheticAssignments(60, { seed: 3, salt: 'x-' });
    await draft(store, 'v-exhausted', a);
    // batch 1 and 2 pass, every call of batch 3 is throttled
    const calls = injectFaults(client, table(), (input, call) => (call <= 2 ? 'pass' : 'throttle'));
    const err: BatchWriteError = await store
      .writeAssignments('v-exhausted', a, { concurrency: 1, retry: { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 2 } })
      .catch((e) => e);
    expect(err).toBeInstanceOf(BatchWriteError);
    expect(err.message).toBe(
      'writeAssignments(v-exhausted): a batch still had 10 unwritten item(s) after 4 attempts ' +
        '(last: ProvisionedThroughputExceededException: injected: rate of requests exceeds the allowed throughput); ' +
        '50 of 60 items written. Re-running is safe (puts are idempotent).',
    );
    expect(err.details).toEqual({ attempts: 4, pendingItems: 10, writtenItems: 50, totalItems: 60 });
    expect((err.cause as Error).name).toBe('ProvisionedThroughputExceededException');
    expect(calls).toHaveLength(2 + 4);
    expect((await store.getModel('v-exhausted'))!.assignmentsWritten).toBe(0);
    await expect(store.activateModel('v-exhausted')).rejects.toThrow(/assignments written 0 of 60/);

    // the fault clears: re-running completes and activation succeeds
    client.middlewareStack.remove('faultInjector');
    await store.writeAssignments('v-exhausted', a);
    expect((await store.activateModel('v-exhausted')).version).toBe('v-exhausted');
    client.destroy();
  });

  test('non-retryable errors are not retried', async () => {
    const { client, store } = freshStore();
    const a = syntheticAssignments(30, { seed: 4, salt: 'n-' });
    await draft(store, 'v-invalid', a);
    const calls = injectFaults(client, table(), () => 'validation');
    await expect(store.writeAssignments('v-invalid', a, { concurrency: 1 })).rejects.toThrow('injected: validation failed');
    expect(calls).toHaveLength(1);
    client.destroy();
  });

  test('bounded parallelism: never more than `concurrency` calls in flight', async () => {
    const { client } = freshStore();
    let inFlight = 0;
    let maxInFlight = 0;
    client.middlewareStack.add(
      (next) => async (args) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        try {
          return await next(args);
        } finally {
          inFlight--;
        }
      },
      { step: 'initialize' },
    );
    const requests = Array.from({ length: 400 }, (_, i) => ({
      PutRequest: { Item: { PK: { S: `TEST#${i}` }, SK: { S: 'X' } } },
    }));
    const res = await batchWrite(client, table(), requests, { concurrency: 3 });
    expect(res).toEqual({ written: 400, batches: 16, retries: 0, next: 400 });
    expect(maxInFlight).toBe(3);
    client.destroy();
  });

  test('backoff: full jitter, exponential, capped', async () => {
    const { client } = freshStore();
    const sleeps: number[] = [];
    injectFaults(client, table(), (_, call) => (call <= 6 ? 'throttle' : 'pass'));
    await batchWrite(client, table(), [{ PutRequest: { Item: { PK: { S: 'TEST#b' }, SK: { S: 'X' } } } }], {
      retry: { baseDelayMs: 10, maxDelayMs: 200 },
      random: () => 0.9999,
      sleep: async (ms) => void sleeps.push(ms),
    });
    expect(sleeps).toEqual([19, 39, 79, 159, 199, 199]);
    expect(backoffDelay(3, { baseDelayMs: 10 }, () => 0)).toBe(0);
    client.destroy();
  });
});
