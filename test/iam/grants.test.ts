/**
 * Least privilege, checked: every code path of the functions runs under the stack's synthesized policies with IAM
 * enforced (lambdas/local/iam/), and each grant of each role (one action on one resource) must have allowed at least
 * one request, or be listed below with the reason nothing here exercises it. A grant nobody uses fails the test, and so
 * does a listed one that is used or gone (the list cannot go stale).
 *
 * The code paths: two datasets (the second reconciles with the first: previous assignments, transitions), a duplicate
 * S3 event, a rejected dataset, a malformed event and a corrupt features file (failed invocations: error reports, the
 * on-failure queue), the stability check with drift and auto-retraining and retention, a failed check, a training whose
 * write meets its time limit (train invokes its continuation), and the distributed path started by ingest (compute,
 * publish and the state machine's role: a run with a previous model and the team's simulation, and a failed run).
 * The state machine's own role is enforced but not audited here: most of its statements are the ones aws-cdk-lib
 * generates for the service (log delivery, X-Ray, child executions), which only AWS exercises.
 * Set GRANTS_REPORT=1 to print the table.
 */
import { createReadStream, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDataset } from '../../lambdas/core/generate/generator';
import { IamAuthorizer, type DecidedRequest } from '../../lambdas/local/iam/authorizer';
import type { FunctionKey, LocalPolicies, PolicyStatement } from '../../lambdas/local/iam/stack-policies';
import { ROUTE_ENV } from '../../lambdas/pipeline/route';
import { handStability } from '../report/fixtures';
import { LocalStack, startLocalStack } from '../../lambdas/local/runtime';
import { datasetPrefix } from '../../lambdas/pipeline/datasets';
import { DETAIL_TYPES } from '../../lambdas/pipeline/events';
import { handoffToken } from '../../lambdas/store/segment-store';

/** Grants that no request here exercises, with the reason they stay. */
const NOT_EXERCISED: { action: string; reason: string }[] = [
  {
    action: 's3:AbortMultipartUpload',
    reason: 'lib-storage aborts a multipart upload that failed (bodies over one 8 MiB part); only a failing upload of a large export calls it',
  },
];

interface Grant {
  fn: FunctionKey;
  action: string;
  resource: string;
  condition?: PolicyStatement['Condition'];
}

const work = mkdtempSync(join(tmpdir(), 'segments-grants-'));
const data = join(work, 'data');
let stack: LocalStack;
let pipelinePolicies: LocalPolicies;

async function upload(datasetId: string, dir = data): Promise<void> {
  for (const f of readdirSync(dir)) {
    await stack.runtime.stores.raw.putStream(datasetPrefix(datasetId) + f, createReadStream(join(dir, f)), { contentLength: statSync(join(dir, f)).size });
  }
  await stack.idle();
}

beforeAll(async () => {
  await generateDataset({ customers: 400, seed: 41, outDir: data });
  const bad = join(work, 'bad');
  await generateDataset({ customers: 60, seed: 42, outDir: bad });
  writeFileSync(join(bad, 'olist_order_payments_dataset.csv'), 'not,a,payments,header\n1,2,3,4\n');

  stack = await startLocalStack({
    dir: join(work, 'state'),
    inMemoryDynamo: true,
    stack: { autoRetrain: true },
    // Reports on (train writes reports/); the fixed k, few restarts and one thread keep it short.
    env: { FIXED_K: '3', TRAIN_SWEEP: 'false', TRAIN_COMPARE: 'false' },
    trainOptions: { nInit: 2, threads: 1 },
  });
  pipelinePolicies = stack.iam!.policies;
  const segments = stack.runtime.stores.segments;

  await upload('ds-a');
  await upload('ds-b'); // reconciles with ds-a's model
  expect((await segments.getRun('ds-b'))!.status).toBe('succeeded');
  await stack.invoke('ingest', { Records: [{ s3: { bucket: { name: stack.emulators.rawBucket }, object: { key: datasetPrefix('ds-b') + 'olist_orders_dataset.csv' } } }] }); // duplicate
  await upload('ds-rejected', bad);
  expect((await segments.getRun('ds-rejected'))!.status).toBe('rejected');
  await expect(stack.invoke('ingest', { Records: [{ s3: { bucket: { name: stack.emulators.rawBucket }, object: { key: 'incoming/%E0%A4%A' } } }] })).rejects.toThrow(URIError);
  // A training whose features cannot be read: the run fails, train writes its error report.
  const claim = await segments.claimRun('ds-broken', { tablesPresent: [], owner: 'operator', leaseMs: 60_000 });
  await segments.updateRun('ds-broken', 'training', { ifOwner: claim.run.leaseOwner, lease: { owner: handoffToken('operator'), ms: 60_000 } });
  await stack.runtime.stores.artifacts.putText('features/ds-broken/features.bin', 'not features');
  await expect(stack.invoke('train', { datasetId: 'ds-broken', featuresKey: 'features/ds-broken/features.bin', lease: handoffToken('operator') })).rejects.toThrow();
  expect(await stack.runtime.stores.artifacts.exists('errors/ds-broken/error.json')).toBe(true);

  // The weekly check, overdue: drift event, retraining (invokes train), then retention down to one kept version.
  const active = (await segments.getActiveModel())!.record.model;
  const later = () => new Date(Date.parse(active.createdAt) + 90 * 86_400_000);
  await stack.invoke('stability', {}, { env: { ARI_THRESHOLD: '0.0', CADENCE_DAYS: '28', AUTO_RETRAIN: 'true', KEEP_VERSIONS: '1' }, clock: later });
  await stack.idle();
  await stack.invoke('stability', {}, { env: { ARI_THRESHOLD: '0.0', CADENCE_DAYS: '365', KEEP_VERSIONS: '1' } }); // retention of the retrained state
  await expect(stack.invoke('stability', {}, { env: { ARI_THRESHOLD: 'not-a-number' } })).rejects.toThrow(/ARI_THRESHOLD/);
  expect(stack.events.map((e) => e.detailType)).toContain(DETAIL_TYPES.drift);

  // A write that meets its time limit (a margin longer than the timeout: one batch per invocation) continues in train.
  stack.updateFunctionEnv({ WRITE_STOP_MARGIN_MS: '3600000' });
  await upload('ds-continued');
  expect((await segments.getRun('ds-continued'))!.status).toBe('succeeded');
  stack.updateFunctionEnv({ WRITE_STOP_MARGIN_MS: undefined });

  // The distributed path, started by ingest (with a previous model and the team's simulation), and a failed run.
  await stack.runtime.stores.artifacts.putJson('models/stability.json', handStability());
  stack.updateFunctionEnv({ [ROUTE_ENV.above]: '100', [ROUTE_ENV.partitionPeople]: '250' });
  await upload('ds-dist');
  expect((await segments.getRun('ds-dist'))!).toMatchObject({ status: 'succeeded', route: { path: 'distributed' } });
  stack.updateFunctionEnv({ [ROUTE_ENV.above]: '10' });
  await upload('ds-dist-bad', bad);
  expect((await segments.getRun('ds-dist-bad'))!.status).toBe('failed');
  expect(await stack.runtime.stores.artifacts.exists('errors/ds-dist-bad/error.json')).toBe(true);
  // Direct invocations reject (asserted above); of what events started, only the bad distributed run failed.
  expect(stack.failures.map((f) => f.source)).toEqual(['distributed']);
}, 600_000);

afterAll(async () => {
  await stack?.stop();
});

/**
 * A condition with one key and several values under a plain operator (e.g. StringLike s3:prefix [features/*, models/*])
 * grants each value separately: one condition per value, so that each listed prefix must be used.
 */
function conditionsOf(condition: PolicyStatement['Condition']): (PolicyStatement['Condition'] | undefined)[] {
  const blocks = Object.entries(condition ?? {});
  if (blocks.length !== 1) return [condition];
  const [operator, keys] = blocks[0];
  const entries = Object.entries(keys);
  if (entries.length !== 1 || operator.includes(':') || !Array.isArray(entries[0][1]) || entries[0][1].length < 2) return [condition];
  const [key, values] = entries[0] as [string, string[]];
  return values.map((value) => ({ [operator]: { [key]: value } }));
}

/** Each (action, resource, condition value) of each Allow statement of a function's policies. */
function grantsOf(policies: LocalPolicies, fns: FunctionKey[]): Grant[] {
  return fns.flatMap((fn) =>
    policies.functions[fn]!.policies.flatMap((doc) =>
      doc.Statement.filter((s) => s.Effect === 'Allow').flatMap((s) =>
        [s.Action ?? []].flat().flatMap((action) =>
          [s.Resource ?? []].flat().flatMap((resource) => conditionsOf(s.Condition).map((condition) => ({ fn, action, resource, condition }))),
        ),
      ),
    ),
  );
}

/** Whether a grant alone allows one of the requests its function made: evaluated by the same IAM evaluator. */
async function exercised(policies: LocalPolicies, grant: Grant, requests: DecidedRequest[]): Promise<boolean> {
  const alone = structuredClone(policies);
  alone.functions[grant.fn]!.policies = [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: grant.action, Resource: grant.resource, ...(grant.condition ? { Condition: grant.condition } : {}) }] }];
  alone.bucketPolicies = {};
  const iam = new IamAuthorizer(alone);
  for (const r of requests) {
    if (r.fn === grant.fn && r.allowed && r.action === grant.action && (await iam.authorize(r.fn, r)).allowed) return true;
  }
  return false;
}

test('no request of any code path was denied', () => {
  expect(stack.iam!.denials).toEqual([]);
});

test('every grant of every role is exercised by some code path, or listed with its reason', async () => {
  const checks = [{ policies: pipelinePolicies, fns: ['ingest', 'train', 'stability', 'compute', 'publish'] as FunctionKey[], requests: stack.iam!.decided }];
  const table: { role: string; granted: string; resource: string; exercised: boolean; reason?: string }[] = [];
  for (const { policies, fns, requests } of checks) {
    for (const grant of grantsOf(policies, fns)) {
      const used = await exercised(policies, grant, requests);
      const resource = grant.condition ? `${grant.resource} ${JSON.stringify(grant.condition)}` : grant.resource;
      table.push({ role: grant.fn, granted: grant.action, resource, exercised: used, reason: NOT_EXERCISED.find((n) => n.action === grant.action)?.reason });
    }
  }
  if (process.env.GRANTS_REPORT) {
    for (const row of table) process.stdout.write(`${row.role.padEnd(10)} ${row.exercised ? 'used  ' : 'UNUSED'} ${row.granted.padEnd(26)} ${row.resource}${row.reason ? `  (${row.reason})` : ''}\n`);
  }
  const unused = table.filter((r) => !r.exercised && !r.reason).map((r) => `${r.role} ${r.granted} ${r.resource}`);
  expect(unused).toEqual([]);
  // The list of exceptions is exact: each listed action is granted somewhere and never exercised.
  for (const n of NOT_EXERCISED) {
    const rows = table.filter((r) => r.granted === n.action);
    expect({ action: n.action, granted: rows.length > 0, used: rows.filter((r) => r.exercised).map((r) => `${r.role} ${r.resource}`) }).toEqual({ action: n.action, granted: true, used: [] });
  }
  // The roles as they now stand (a summary the README's role table follows).
  const actions = (role: string) => [...new Set(table.filter((r) => r.role === role).map((r) => r.granted))].sort();
  expect(actions('ingest')).toEqual([
    'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'lambda:InvokeFunction', 'logs:CreateLogStream', 'logs:PutLogEvents',
    's3:AbortMultipartUpload', 's3:GetObject', 's3:ListBucket', 's3:PutObject', 'sqs:SendMessage', 'states:StartExecution', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments',
  ]);
  expect(actions('train')).toContain('lambda:InvokeFunction');
  expect(actions('stability')).not.toContain('s3:PutObject');
  for (const role of ['ingest', 'train', 'stability', 'compute', 'publish']) expect(actions(role)).not.toContain('cloudwatch:PutMetricData');
}, 300_000);
