/**
 * IAM enforced in the local runtime from the synthesized stack (lambdas/local/iam/): a grant removed from a copy of the
 * stack's policies makes the local pipeline fail with the service's own AccessDenied naming the action and resource,
 * S3 answers 403 for a missing key to a role that may not list it, and the policy shapes the evaluator found wrong
 * stay fixed.
 */
import { createReadStream, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDataset } from '../../lambdas/core/generate/generator';
import { DEFAULT_LOCAL_NAMES } from '../../lambdas/local/emulators';
import { IamAuthorizer } from '../../lambdas/local/iam/authorizer';
import { iamRequestsFor } from '../../lambdas/local/iam/requests';
import { loadStackPolicies, LOCAL_ACCOUNT, LOCAL_REGION, type LocalPolicies, type PolicyStatement } from '../../lambdas/local/iam/stack-policies';
import { LocalStack, startLocalStack } from '../../lambdas/local/runtime';
import { datasetPrefix } from '../../lambdas/pipeline/datasets';
import { DETAIL_TYPES } from '../../lambdas/pipeline/events';

const work = mkdtempSync(join(tmpdir(), 'segments-iam-'));
const data = join(work, 'data');
let policies: LocalPolicies;
const target = { region: LOCAL_REGION, account: LOCAL_ACCOUNT };
/** Cheap trainings: the fixed k only, no comparison, no reports. */
const CHEAP = { FIXED_K: '3', TRAIN_SWEEP: 'false', TRAIN_COMPARE: 'false', TRAIN_REPORTS: 'false' };

beforeAll(async () => {
  await generateDataset({ customers: 300, seed: 21, outDir: data });
  policies = await loadStackPolicies(DEFAULT_LOCAL_NAMES);
}, 120_000);

async function upload(stack: LocalStack, datasetId: string): Promise<void> {
  // The tables only (a generated export also holds provenance.json): one complete-dataset event, as in AWS.
  for (const f of readdirSync(data).filter((name) => name.endsWith('.csv'))) {
    await stack.runtime.stores.raw.putStream(datasetPrefix(datasetId) + f, createReadStream(join(data, f)), { contentLength: statSync(join(data, f)).size });
  }
  await stack.idle();
}

/** A copy of the stack's policies with `action` on `resource` (a suffix of it) taken out of one function's statements. */
function withoutGrant(fn: 'ingest' | 'train', action: string, resourceSuffix: string): LocalPolicies {
  const copy = structuredClone(policies);
  let removed = 0;
  for (const doc of copy.functions[fn]!.policies) {
    doc.Statement = doc.Statement.flatMap((s: PolicyStatement): PolicyStatement[] => {
      const actions = [s.Action ?? []].flat();
      const resources = [s.Resource ?? []].flat();
      if (!actions.includes(action) || !resources.some((r) => r.endsWith(resourceSuffix))) return [s];
      removed++;
      // The rest of the statement stays: the other actions on this resource, this action on the other resources.
      const rest: PolicyStatement[] = [];
      if (actions.length > 1) rest.push({ ...s, Action: actions.filter((a) => a !== action) });
      const others = resources.filter((r) => !r.endsWith(resourceSuffix));
      if (others.length) rest.push({ ...s, Action: action, Resource: others });
      return rest;
    });
  }
  expect(removed).toBe(1);
  return copy;
}

describe('a grant removed from the stack', () => {
  test('train without s3:PutObject on models/: the run fails with AccessDenied naming it, nothing goes live', async () => {
    const stack = await startLocalStack({ dir: join(work, 'no-models-write'), inMemoryDynamo: true, env: CHEAP, iam: withoutGrant('train', 's3:PutObject', '/models/*') });
    try {
      await upload(stack, 'ds-denied');
      const run = (await stack.runtime.stores.segments.getRun('ds-denied'))!;
      expect(run.status).toBe('failed');
      expect(run.reasons[0]).toMatch(
        /^AccessDenied: User: arn:aws:sts::000000000000:assumed-role\/olist-segments-train-role\/olist-segments-train is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::olist-segments-artifacts\/models\/[^/]+\/model\.json" because no identity-based policy allows the s3:PutObject action$/,
      );
      // The error Lambda would report is the S3 client's own, as in AWS: AccessDenied, HTTP 403, not retried.
      expect(stack.failures).toHaveLength(1);
      expect(stack.failures[0].error).toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403, attempts: 1 } });
      expect(await stack.runtime.stores.segments.getActivePointer()).toBeUndefined();
      expect(stack.iam!.denials.map((d) => `${d.fn} ${d.action}`)).toEqual(['train s3:PutObject']);
      // The failure still reached the on-failure queue: train's sqs:SendMessage grant is intact.
      expect(stack.iam!.decided).toContainEqual(expect.objectContaining({ fn: 'train', action: 'sqs:SendMessage', allowed: true }));
    } finally {
      await stack.stop();
    }
  }, 120_000);

  test('ingest without dynamodb:UpdateItem: AccessDeniedException naming the table, the run never starts ingesting', async () => {
    const stack = await startLocalStack({ dir: join(work, 'no-update'), inMemoryDynamo: true, env: CHEAP, iam: withoutGrant('ingest', 'dynamodb:UpdateItem', ':table/olist-segments') });
    try {
      await upload(stack, 'ds-claimed');
      expect(stack.failures).toHaveLength(1);
      const error = stack.failures[0].error as Error & { $metadata: { httpStatusCode: number } };
      expect(error.name).toBe('AccessDeniedException');
      expect(error.$metadata.httpStatusCode).toBe(400);
      expect(error.message).toBe(
        'User: arn:aws:sts::000000000000:assumed-role/olist-segments-ingest-role/olist-segments-ingest is not authorized to perform: dynamodb:UpdateItem on resource: arn:aws:dynamodb:us-east-1:000000000000:table/olist-segments because no identity-based policy allows the dynamodb:UpdateItem action',
      );
      expect((await stack.runtime.stores.segments.getRun('ds-claimed'))!.status).toBe('claimed');
      expect(await stack.runtime.stores.artifacts.list('features/')).toEqual([]);
    } finally {
      await stack.stop();
    }
  }, 120_000);
});

describe('S3 semantics under the deployed roles', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startLocalStack({ dir: join(work, 's3'), inMemoryDynamo: true, env: CHEAP });
  });
  afterAll(() => stack?.stop());

  test('a missing key is a 403 (not a 404) to a role that may list its prefix only; exists() lists instead', async () => {
    const train = stack.functionRuntime('train').stores.artifacts;
    await expect(train.get('models/stability.json')).rejects.toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    // HEAD: S3 sends the status alone, so the SDK names the error after it.
    await expect(train.head('models/stability.json')).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
    expect(await train.exists('models/stability.json')).toBe(false);
    await stack.runtime.stores.artifacts.putJson('models/stability.json', { ok: true });
    expect(await train.exists('models/stability.json')).toBe(true);
    expect(await train.getJson('models/stability.json')).toEqual({ ok: true });
    expect(await train.exists('models/stability')).toBe(false); // a prefix of a key is not the key
    // The operator (no role) gets the emulator's own answer for a missing key.
    await expect(stack.runtime.stores.artifacts.get('models/none.json')).rejects.toMatchObject({ name: 'BlobNotFoundError' });
  });

  test('listing outside the granted prefixes, and without a prefix, is denied', async () => {
    const ingest = stack.functionRuntime('ingest').stores;
    await expect(ingest.raw.list('incoming/x/')).resolves.toEqual([]);
    await expect(ingest.raw.list('')).rejects.toMatchObject({ name: 'AccessDenied' });
    await expect(ingest.artifacts.list('models/')).rejects.toMatchObject({ name: 'AccessDenied' });
    await expect(ingest.raw.putText('incoming/x/y.csv', 'a')).rejects.toMatchObject({ name: 'AccessDenied' }); // nothing writes raw
  });
});

describe('the events:PutEvents condition', () => {
  const putEvents = (source: string, detailType: string) =>
    iamRequestsFor('events', 'PutEvents', { Entries: [{ EventBusName: 'default', Source: source, DetailType: detailType, Detail: '{}' }] }, target)[0];

  test('allows each function its own detail types from olist.segments only', async () => {
    const iam = new IamAuthorizer(policies);
    expect((await iam.authorize('train', putEvents('olist.segments', DETAIL_TYPES.activated))).allowed).toBe(true);
    expect((await iam.authorize('stability', putEvents('olist.segments', DETAIL_TYPES.drift))).allowed).toBe(true);
    expect((await iam.authorize('train', putEvents('olist.segments', DETAIL_TYPES.drift))).allowed).toBe(false);
    expect((await iam.authorize('stability', putEvents('other.source', DETAIL_TYPES.drift))).allowed).toBe(false);
    expect((await iam.authorize('ingest', putEvents('olist.segments', DETAIL_TYPES.activated))).allowed).toBe(false);
  });

  test('StringEquals on events:source (a multivalued key), as the stack first had it, never matches', async () => {
    const copy = structuredClone(policies);
    for (const doc of copy.functions.stability!.policies) {
      for (const s of doc.Statement) if (s.Action === 'events:PutEvents') s.Condition = { StringEquals: { 'events:source': 'olist.segments' } };
    }
    const decision = await new IamAuthorizer(copy).authorize('stability', putEvents('olist.segments', DETAIL_TYPES.drift));
    expect(decision.allowed).toBe(false);
    expect(decision.message).toMatch(/is not authorized to perform: events:PutEvents on resource: arn:aws:events:us-east-1:000000000000:event-bus\/default/);
  });
});

test('decisions are cached per (function, action, resource, condition keys)', async () => {
  const iam = new IamAuthorizer(policies);
  const batch = iamRequestsFor('dynamodb', 'BatchWriteItem', { RequestItems: { 'olist-segments': [{}] } }, target)[0];
  for (let i = 0; i < 500; i++) expect((await iam.authorize('train', batch)).allowed).toBe(true);
  expect(iam.decided).toHaveLength(1);
  // A condition key no policy uses does not split the cache; one that is used does.
  const list = (prefix: string) => iamRequestsFor('s3', 'ListObjects', { Bucket: 'olist-segments-artifacts', Prefix: prefix, MaxKeys: 1 }, target)[0];
  await iam.authorize('train', list('models/a'));
  await iam.authorize('train', list('models/a'));
  await iam.authorize('train', list('models/b'));
  expect(iam.decided).toHaveLength(3);
});

test('requests classed together get what their own evaluations give, request by request', async () => {
  // The stack's policies, with the stability function's replaced by grants whose patterns and values read differently
  // literally (StringEquals) and as wildcards (StringLike, resources), and in either case: a class must keep apart
  // what any reading keeps apart.
  const copy = structuredClone(policies);
  copy.functions.stability!.policies = [
    {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'dynamodb:Query', Resource: '*', Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['RUN#*'] } } },
        { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::olist-segments-raw/incoming/ds-?/Tables*' },
        { Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::olist-segments-raw', Condition: { StringLike: { 's3:prefix': ['incoming/ds-?/*'] } } },
      ],
    },
  ];
  const get = (bucket: string, key: string) => iamRequestsFor('s3', 'GetObject', { Bucket: bucket, Key: key }, target)[0];
  const put = (bucket: string, key: string) => iamRequestsFor('s3', 'PutObject', { Bucket: bucket, Key: key }, target)[0];
  const query = (pk: string, index?: string) =>
    iamRequestsFor('dynamodb', 'Query', { TableName: 'olist-segments', IndexName: index, KeyConditionExpression: 'PK = :pk', ExpressionAttributeValues: { ':pk': { S: pk } } }, target)[0];
  const list = (bucket: string, prefix: string) => iamRequestsFor('s3', 'ListObjects', { Bucket: bucket, Prefix: prefix }, target)[0];
  const events = (...entries: [string, string][]) =>
    iamRequestsFor('events', 'PutEvents', { Entries: entries.map(([source, type]) => ({ EventBusName: 'default', Source: source, DetailType: type, Detail: '{}' })) }, target)[0];
  const keys = ['incoming/ds-1/olist_orders_dataset.csv', 'incoming/ds-2/Tables.csv', 'incoming/ds-22/Tables.csv', 'incoming/ds-3/tables.csv', 'features/ds-1/features.bin', 'models/v1/model.json', 'exports/v1/segment-0.csv', 'errors/ds-1/error.json', 'x'];
  const requests = [
    ...keys.flatMap((k) => [get('olist-segments-raw', k), get('olist-segments-artifacts', k), put('olist-segments-artifacts', k), put('olist-segments-raw', k)]),
    ...['SUPPRESSION', 'suppression', 'MODEL', 'RUN#*', 'RUN#ds-1', 'run#*', 'SEG#v1#0#3'].flatMap((pk) => [query(pk), query(pk, 'GSI1')]),
    ...['incoming/', 'incoming/ds-1/', 'incoming/ds-12/', 'INCOMING/ds-1/', 'models/', 'features/x', 'work/', ''].flatMap((p) => [list('olist-segments-raw', p), list('olist-segments-artifacts', p)]),
    // multivalued keys: one value, two values of the same class and of different classes
    events(['olist.segments', DETAIL_TYPES.activated]),
    events(['olist.segments', DETAIL_TYPES.drift]),
    events(['olist.segments', DETAIL_TYPES.activated], ['olist.segments', DETAIL_TYPES.drift]),
    events(['olist.segments', DETAIL_TYPES.activated], ['olist.other', DETAIL_TYPES.activated]),
    events(['olist.other', DETAIL_TYPES.activated]),
  ];
  const shared = new IamAuthorizer(copy);
  const got: string[] = [];
  const want: string[] = [];
  for (const fn of ['ingest', 'train', 'stability'] as const)
    for (const r of requests) {
      const line = (d: { allowed: boolean; explicit: boolean; message: string }) => `${fn} ${r.action} ${r.resource} ${JSON.stringify(r.context ?? {})}: ${d.allowed} ${d.explicit} ${d.message}`;
      got.push(line(await shared.authorize(fn, r)));
      want.push(line(await new IamAuthorizer(copy).authorize(fn, r)));
    }
  expect(got).toEqual(want);
  // Both outcomes occur for each kind of request (the check above is not all allowed or all denied).
  for (const action of ['s3:GetObject', 's3:PutObject', 'dynamodb:Query', 's3:ListBucket', 'events:PutEvents']) {
    expect(want.filter((l) => l.includes(` ${action} `) && l.includes(': true ')).length).toBeGreaterThan(0);
    expect(want.filter((l) => l.includes(` ${action} `) && l.includes(': false ')).length).toBeGreaterThan(0);
  }
  // Every distinct request is still listed (what grants.test.ts compares with the roles).
  expect(shared.decided).toHaveLength(new Set(got.map((l) => l.slice(0, l.indexOf(': ')))).size);
}, 120_000);
