/**
 * Cloud faults against the event-driven pipeline on the emulators (s3rver + dynalite, real SDK clients, the
 * same handlers as in Lambda). Faults are injected into the functions' SDK clients (lambdas/local/faults.ts):
 * every other request really reaches the emulators. The local stack emulates Lambda around the handlers:
 * async retries after an error and crashed containers (a timed-out Lambda runs no catch block).
 *
 * After every case: the run record has the expected status; the ACTIVE pointer is the previous version
 * (failure) or the case's new version (recovery), and the active version is complete (its assignment items
 * counted in the index equal its customers); a sample of customers reads the same as before on failure;
 * every raw object uploaded so far is still there; and no version seen active at any time during the case
 * (polled every 25 ms) was ever incomplete.
 */
import { createReadStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { generateDataset } from '../../lambdas/core/generate/generator';
import { FaultInjector, FaultRule } from '../../lambdas/local/faults';
import { LocalStack, startLocalStack } from '../../lambdas/local/runtime';
import { artifactKeys, datasetPrefix } from '../../lambdas/pipeline/datasets';
import { encodeS3EventKey } from '../../lambdas/store/s3-event-key';
import { segmentShardPk } from '../../lambdas/store/keys';
import { GSI1_NAME } from '../../lambdas/store/table-schema';
import type { RunStatus, StoredAssignment } from '../../lambdas/store/segment-store';

const work = mkdtempSync(join(tmpdir(), 'segments-faults-'));
const data = join(work, 'data');
const older = join(work, 'older');
/** Lambda's async retry delay, emulated (Lambda: 1-2 min). Short: a retry no longer waits for a lease to expire. */
const RETRY_DELAY_MS = 200;
const faults = new FaultInjector();
let stack: LocalStack;
/** dataset id -> file -> size, for the "raw data stays" check. */
const uploaded = new Map<string, Map<string, number>>();

const tables = (dir = data) => readdirSync(dir).filter((f) => f.endsWith('.csv')).sort();
const segments = () => stack.runtime.stores.segments; // the observer's clients: no faults
const key = (datasetId: string, file: string) => datasetPrefix(datasetId) + file;
const s3Event = (k: string) => ({ Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: stack.emulators.rawBucket }, object: { key: encodeS3EventKey(k) } } }] });

async function upload(datasetId: string, dir = data, parallel = false): Promise<void> {
  const sizes = new Map<string, number>();
  uploaded.set(datasetId, sizes);
  const put = async (f: string) => {
    const size = statSync(join(dir, f)).size;
    await stack.runtime.stores.raw.putStream(key(datasetId, f), createReadStream(join(dir, f)), { contentLength: size });
    sizes.set(f, size);
  };
  if (parallel) await Promise.all(tables(dir).map(put));
  else for (const f of tables(dir)) await put(f);
}

/** The same export minus its latest orders (and their items and payments): a dataset with an earlier as-of date. */
function writeOlderDataset(): void {
  mkdirSync(older);
  for (const f of tables()) writeFileSync(join(older, f), readFileSync(join(data, f)));
  const lines = readFileSync(join(data, 'olist_orders_dataset.csv'), 'utf8').split('\n');
  const rows = lines.slice(1).filter((l) => l.length > 0);
  const purchase = (l: string) => l.split(',')[3];
  const latest = [...rows].sort((a, b) => (purchase(a) < purchase(b) ? 1 : -1)).slice(0, 5);
  const dropped = new Set(latest.map((l) => l.split(',')[0].replace(/"/g, '')));
  const keep = (l: string) => !dropped.has(l.split(',')[0].replace(/"/g, ''));
  for (const f of ['olist_orders_dataset.csv', 'olist_order_items_dataset.csv', 'olist_order_payments_dataset.csv']) {
    const all = readFileSync(join(data, f), 'utf8').split('\n');
    writeFileSync(join(older, f), [all[0], ...all.slice(1).filter(keep)].join('\n'));
  }
}

/** Assignment items of a version, counted in GSI1 (every segment x shard), as readers find them. */
async function indexedAssignments(version: string): Promise<number> {
  const record = (await segments().getModel(version))!;
  let n = 0;
  for (const s of record.model.segments) {
    for (let shard = 0; shard < record.shards; shard++) {
      let start: any;
      do {
        const res = await stack.runtime.stores.dynamo.send(
          new QueryCommand({
            TableName: stack.emulators.tableName,
            IndexName: GSI1_NAME,
            KeyConditionExpression: 'GSI1PK = :pk',
            ExpressionAttributeValues: { ':pk': { S: segmentShardPk(version, s.id, shard) } },
            Select: 'COUNT',
            ExclusiveStartKey: start,
          }),
        );
        n += res.Count ?? 0;
        start = res.LastEvaluatedKey;
      } while (start);
    }
  }
  return n;
}

/** Polls the ACTIVE pointer in the background; returns the versions seen. */
function watchActive(): { stop(): Promise<Set<string>> } {
  const seen = new Set<string>();
  let running = true;
  const loop = (async () => {
    while (running) {
      const p = await segments().getActivePointer();
      if (p) seen.add(p.version);
      await new Promise((r) => setTimeout(r, 25));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return seen;
    },
  };
}

interface Case {
  name: string;
  /** The fault and how it is injected (also the table in the notes). */
  rules: (datasetId: string) => FaultRule[];
  /** Expected run status, and whether the case's dataset becomes the active model. */
  run: RunStatus;
  activates: boolean;
  /** Claims of the run (2: a retry took a failed or abandoned run over). */
  attempts?: number;
  /** Failures reported after Lambda's retries (the failure destination), by message pattern. */
  failures?: RegExp[];
  /** Something else to check about the case. */
  check?: (datasetId: string) => Promise<void>;
  /** Replaces the plain upload of the case's dataset. */
  act?: (datasetId: string) => Promise<void>;
}

/** When the current case started. */
let caseStartedAt = 0;

/** After a crash case: the retry took over the in-progress run (not a 'failed' one: the dead attempt recorded nothing)
 * well before the dead attempt's lease (the emulated timeout + 1 min, >= 11 min) could expire: only the same request
 * id lets it (store: claimRun / acquireRunLease). previousStatus: what claimRun records (acquireRunLease stores none). */
async function expectImmediateTakeover(ds: string, previousStatus?: RunStatus): Promise<void> {
  if (previousStatus) expect((await segments().getRun(ds))!.previousStatus).toBe(previousStatus);
  expect(Date.now() - caseStartedAt).toBeLessThan(60_000);
}

const objectKeyIs = (k: string) => (input: any) => input.Key === k;
const isActivation = (input: any) => typeof input.UpdateExpression === 'string' && input.UpdateExpression.includes('activatedAt = :now REMOVE');

const cases: Case[] = [
  {
    name: 'BatchWriteItem answers UnprocessedItems for half the items (calls 1-40)',
    rules: () => [{ name: 'half', service: 'dynamodb', operations: ['BatchWriteItem'], from: 1, to: 40, fault: { kind: 'unprocessed', fraction: 0.5 } }],
    run: 'succeeded',
    activates: true,
    attempts: 1,
  },
  {
    name: 'BatchWriteItem throttled: ThrottlingException (calls 1-8, beyond the SDK attempts)',
    rules: () => [{ name: 'throttle-batch', service: 'dynamodb', operations: ['BatchWriteItem'], from: 1, to: 8, fault: { kind: 'error', status: 400, code: 'ThrottlingException', message: 'Rate of requests exceeds the allowed throughput.' } }],
    run: 'succeeded',
    activates: true,
    attempts: 1,
  },
  {
    name: 'PutItem/UpdateItem throttled: ProvisionedThroughputExceededException (claim, run updates, draft, activation: calls 1-2 and 5-6)',
    rules: () => [
      { name: 'pte-a', service: 'dynamodb', operations: ['PutItem', 'UpdateItem'], from: 1, to: 2, fault: { kind: 'error', status: 400, code: 'ProvisionedThroughputExceededException', message: 'The level of configured provisioned throughput for the table was exceeded.' } },
      { name: 'pte-b', service: 'dynamodb', operations: ['UpdateItem'], when: isActivation, from: 1, to: 1, fault: { kind: 'error', status: 400, code: 'ProvisionedThroughputExceededException' } },
    ],
    run: 'succeeded',
    activates: true,
    attempts: 1,
  },
  {
    name: 'activation throttled on every attempt (SDK and Lambda retries exhausted)',
    rules: () => [{ name: 'throttle-activation', service: 'dynamodb', operations: ['UpdateItem'], when: isActivation, fault: { kind: 'error', status: 400, code: 'ProvisionedThroughputExceededException' } }],
    run: 'failed',
    activates: false,
    failures: [/ProvisionedThroughputExceededException|level of configured provisioned throughput|injected/],
  },
  {
    name: 'S3 GetObject body reset (ECONNRESET) after 40 kB of the orders table, once',
    rules: (ds) => [{ name: 'reset-once', service: 's3', operations: ['GetObject'], when: objectKeyIs(key(ds, 'olist_orders_dataset.csv')), from: 1, to: 1, fault: { kind: 'body-reset', afterBytes: 40_000 } }],
    run: 'succeeded',
    activates: true,
    attempts: 1, // resumed with a ranged GET inside the same invocation
  },
  {
    name: 'S3 GetObject body reset on every read of the orders table in the first invocation',
    // 6 breaks of 8 kB each: the 5 resumes of the first invocation run out before the end of the file
    rules: (ds) => [{ name: 'reset-all', service: 's3', operations: ['GetObject'], when: objectKeyIs(key(ds, 'olist_orders_dataset.csv')), from: 1, to: 6, fault: { kind: 'body-reset', afterBytes: 8_000 } }],
    run: 'succeeded',
    activates: true,
    attempts: 2, // the ingest failed, Lambda retried it, the retry took the 'failed' run over
  },
  {
    name: 'S3 PutObject 503 SlowDown and 500 InternalError once each (features, assignments.csv)',
    rules: (ds) => [
      { name: 'put-503', service: 's3', operations: ['PutObject'], when: (i) => i.Key === artifactKeys.features(ds), from: 1, to: 1, fault: { kind: 'error', status: 503, code: 'SlowDown', message: 'Please reduce your request rate.' } },
      { name: 'put-500', service: 's3', operations: ['PutObject'], when: (i) => String(i.Key).endsWith('/assignments.csv'), from: 1, to: 1, fault: { kind: 'error', status: 500, code: 'InternalError', message: 'We encountered an internal error. Please try again.' } },
    ],
    run: 'succeeded',
    activates: true,
    attempts: 1,
  },
  {
    name: 'ingest Lambda crashes (timeout) while reading the orders table',
    rules: (ds) => [{ name: 'crash-ingest', service: 's3', operations: ['GetObject'], when: objectKeyIs(key(ds, 'olist_orders_dataset.csv')), from: 1, to: 1, fault: { kind: 'crash', message: 'Task timed out after 600.00 seconds' } }],
    run: 'succeeded',
    activates: true,
    attempts: 2,
    // the retry carries the dead attempt's request id, so it took the run over at once: the lease (emulated timeout
    // 10 min + 1 min) is far from expired
    check: (ds) => expectImmediateTakeover(ds, 'ingesting'),
  },
  {
    name: 'train Lambda crashes (timeout) in the middle of writing assignments',
    rules: () => [{ name: 'crash-train', service: 'dynamodb', operations: ['BatchWriteItem'], from: 12, to: 12, fault: { kind: 'crash', message: 'Task timed out after 900.00 seconds' } }],
    run: 'succeeded',
    activates: true,
    attempts: 1,
    // the retry (same request id as the crashed attempt) took the abandoned 'training' run over at once, long before
    // its lease (15 min + 1 min) expired, and deleted the crashed attempt's draft: the model count grows by one
    // (checked for every case)
    check: (ds) => expectImmediateTakeover(ds),
  },
  {
    name: 'duplicated and concurrent S3 events: all tables at once, plus 3 redeliveries in parallel and 1 after',
    rules: () => [],
    act: async (ds) => {
      await Promise.all([upload(ds, data, true), ...[1, 2, 3].map(() => stack.invoke('ingest', s3Event(key(ds, 'olist_orders_dataset.csv'))))]);
      await stack.idle();
      await stack.invoke('ingest', s3Event(key(ds, 'olist_customers_dataset.csv')));
    },
    run: 'succeeded',
    activates: true,
    attempts: 1,
  },
];

beforeAll(async () => {
  await generateDataset({ customers: 600, seed: 11, outDir: data });
  writeOlderDataset();
  stack = await startLocalStack({
    dir: join(work, 'state'),
    inMemoryDynamo: true,
    faults,
    lambdaRetries: { ingest: 2, train: 1, delayMs: RETRY_DELAY_MS },
    // cheap training: the fixed k only (no sweep, no comparison, no HTML reports), few restarts, no worker threads.
    // No RUN_LEASE_MS: the lease is the emulated function timeout + 1 min, as in Lambda, so a crashed attempt's run
    // can only be recovered in time by its retry's same request id.
    env: { FIXED_K: '4', TRAIN_SWEEP: 'false', TRAIN_COMPARE: 'false', TRAIN_REPORTS: 'false', AWS_MAX_ATTEMPTS: '3' },
    trainOptions: { nInit: 2, threads: 1 },
    logs: process.env.FAULTS_LOGS === '1',
  });
  await upload('ds-base');
  await stack.idle();
  expect(stack.failures).toEqual([]);
  expect((await segments().getRun('ds-base'))!.status).toBe('succeeded');
}, 120_000);

afterAll(async () => {
  faults.clear();
  await stack?.stop();
});

async function sampleCustomers(): Promise<(StoredAssignment | undefined)[]> {
  const version = (await segments().getActivePointer())!.version;
  const csv = (await stack.runtime.stores.artifacts.getText(artifactKeys.assignments(version))).trim().split('\n').slice(1);
  const ids = csv.filter((_, i) => i % 97 === 3).map((l) => l.split(',')[0]);
  return Promise.all(ids.map((id) => segments().getCustomer(id)));
}

async function expectRawDataIntact(): Promise<void> {
  for (const [ds, sizes] of uploaded) {
    const listed = await stack.runtime.stores.raw.list(datasetPrefix(ds));
    expect(Object.fromEntries(listed.map((o) => [o.key.slice(datasetPrefix(ds).length), o.size]))).toEqual(Object.fromEntries(sizes));
  }
}

describe('faults: the pipeline loses nothing and never activates a half-written model', () => {
  test.each(cases.map((c, i) => [c.name, c, `ds-fault-${i + 1}`] as const))('%s', async (_name, c, ds) => {
    const before = (await segments().getActivePointer())!;
    const sample = await sampleCustomers();
    const models = (await segments().listModels()).length;
    caseStartedAt = Date.now();
    faults.set(c.rules(ds));
    const watch = watchActive();
    try {
      if (c.act) await c.act(ds);
      else await upload(ds);
      await stack.idle();
    } finally {
      faults.clear();
    }
    const seen = await watch.stop();

    const run = (await segments().getRun(ds))!;
    expect({ status: run.status, reasons: run.status === c.run ? [] : run.reasons }).toEqual({ status: c.run, reasons: [] });
    if (c.attempts !== undefined) expect(run.attempts).toBe(c.attempts);
    for (const rule of c.rules(ds)) expect(`${rule.name}: ${faults.hits(rule.name)}`).not.toBe(`${rule.name}: 0`);
    const failures = stack.failures.splice(0).map((f) => `${f.source}: ${(f.error as Error).message}`);
    expect(failures).toHaveLength(c.failures?.length ?? 0);
    c.failures?.forEach((pattern, i) => expect(failures[i]).toMatch(pattern));

    const after = (await segments().getActivePointer())!;
    if (c.activates) {
      expect(after.version).toBe(run.modelVersion);
      expect(after.version).not.toBe(before.version);
      expect((await segments().listModels()).length).toBe(models + 1); // one model for the run, however many attempts
    } else {
      expect(after).toEqual(before);
      expect(await sampleCustomers()).toEqual(sample);
    }
    // complete: every version seen active had all its assignments, and readers find them all in the index
    seen.add(after.version);
    for (const version of seen) {
      const record = (await segments().getModel(version))!;
      expect({ version, written: record.assignmentsWritten }).toEqual({ version, written: record.model.people });
      expect({ version, indexed: await indexedAssignments(version) }).toEqual({ version, indexed: record.model.people });
    }
    await expectRawDataIntact();
    await c.check?.(ds);
    if (process.env.FAULTS_TIMINGS) console.log(c.name, JSON.stringify(run.timings));
  }, 180_000);

  test('a second dataset with older data, finishing after a newer one, does not replace it (superseded)', async () => {
    const before = (await segments().getActivePointer())!;
    // the older dataset's orders table is read slowly, so the newer one (uploaded at the same time) activates first
    faults.set([{ name: 'slow-old', service: 's3', operations: ['GetObject'], when: objectKeyIs(key('ds-old', 'olist_orders_dataset.csv')), fault: { kind: 'delay', ms: 3000 } }]);
    const watch = watchActive();
    await Promise.all([upload('ds-old', older), upload('ds-new', data)]);
    await stack.idle();
    faults.clear();
    const seen = await watch.stop();
    expect(stack.failures.splice(0)).toEqual([]);
    const newRun = (await segments().getRun('ds-new'))!;
    const oldRun = (await segments().getRun('ds-old'))!;
    expect(newRun.status).toBe('succeeded');
    expect(oldRun.status).toBe('superseded');
    expect(oldRun.reasons[0]).toMatch(/has newer data/);
    const after = (await segments().getActivePointer())!;
    expect(after.version).toBe(newRun.modelVersion);
    expect(seen.has(oldRun.modelVersion!)).toBe(false); // never active, not even for a moment
    expect(seen.has(before.version) || seen.size >= 1).toBe(true);
    const oldModel = (await segments().getModel(oldRun.modelVersion!))!;
    expect(oldModel.status).toBe('superseded');
    expect(oldModel.model.asOf < (await segments().getModel(after.version))!.model.asOf).toBe(true);
    await expectRawDataIntact();
  }, 180_000);
});

test('no request of the functions was denied by their deployed roles, faults or not', () => {
  expect(stack.iam!.decided.length).toBeGreaterThan(0);
  expect(stack.iam!.denials).toEqual([]);
});
