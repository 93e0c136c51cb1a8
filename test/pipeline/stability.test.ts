/**
 * The scheduled stability function against dynalite and s3rver, with the real EventBridge client whose
 * requests are captured before they leave the process (an SDK middleware): it records the check as
 * history, publishes "Segmentation drift detected" when the model is overdue or drifted, and starts a
 * retraining when enabled.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommandInput } from '@aws-sdk/client-eventbridge';
import { generateDataset } from '../../lambdas/core/generate/generator';
import { startLocalStack, LocalStack } from '../../lambdas/local/runtime';
import { createStabilityHandler } from '../../lambdas/handlers/stability';
import { awsRuntime } from '../../lambdas/handlers/runtime';
import { datasetPrefix } from '../../lambdas/pipeline/datasets';
import { silentLog } from '../../lambdas/pipeline/log';
import { readdirSync, statSync, createReadStream } from 'node:fs';

const work = mkdtempSync(join(tmpdir(), 'segments-stability-'));
const data = join(work, 'data');
let stack: LocalStack;
const sent: PutEventsCommandInput[] = [];

function capturedEventBridge(): EventBridgeClient {
  const client = new EventBridgeClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  client.middlewareStack.add(
    () => async (args) => {
      sent.push((args.input as PutEventsCommandInput));
      return { output: { FailedEntryCount: 0, Entries: [{ EventId: `e${sent.length}` }], $metadata: {} }, response: {} } as never;
    },
    { step: 'initialize', name: 'captureEvents' },
  );
  return client;
}

beforeAll(async () => {
  await generateDataset({ customers: 1200, seed: 9, outDir: data });
  stack = await startLocalStack({ dir: join(work, 'state'), inMemoryDynamo: true });
  for (const f of readdirSync(data)) await stack.runtime.stores.raw.putStream(datasetPrefix('weekly-1') + f, createReadStream(join(data, f)), { contentLength: statSync(join(data, f)).size });
  await stack.idle();
  expect((await stack.runtime.stores.segments.getRun('weekly-1'))!.status).toBe('succeeded');
}, 240_000);

afterAll(async () => {
  await stack?.stop();
});

function handlerWith(env: Record<string, string>, clock?: () => Date) {
  const rt = awsRuntime('stability', { ...stack.runtime.env, ...env }, { events: capturedEventBridge(), log: silentLog });
  return createStabilityHandler(() => ({ ...rt, startTraining: stack.runtime.startTraining }), clock);
}

test('a fresh model on the same data: history recorded, no event', async () => {
  const out = await handlerWith({ ARI_THRESHOLD: '0.0', CADENCE_DAYS: '365', EVENT_SOURCE: 'olist.segments' })({});
  expect(out.status).toBe('checked');
  if (out.status !== 'checked') return;
  expect(out.record.verdict).toBe('ok');
  expect(out.published).toBe(false);
  expect(sent).toHaveLength(0);
  const history = await stack.runtime.stores.segments.listStabilityChecks(5);
  expect(history[0].modelVersion).toBe((await stack.runtime.stores.segments.getActivePointer())!.version);
  expect(history[0].ari).toBeGreaterThan(0);
  expect(Object.keys(history[0].drift)).toContain('monetary');
  expect(history[0].details!.trainingDistribution).toBe('stored'); // written beside the model by training
}, 180_000);

test('an overdue model publishes "Segmentation drift detected" with the figures and retrains when enabled', async () => {
  const active = (await stack.runtime.stores.segments.getActiveModel())!;
  const before = active.pointer.version;
  const tenWeeksLater = () => new Date(Date.parse(active.record.model.createdAt) + 70 * 86_400_000);
  const out = await handlerWith({ ARI_THRESHOLD: '0.0', CADENCE_DAYS: '56', AUTO_RETRAIN: 'true', EVENT_SOURCE: 'olist.segments', EVENT_BUS_NAME: 'default' }, tenWeeksLater)({});
  await stack.idle();
  expect(stack.failures).toEqual([]);
  if (out.status !== 'checked') throw new Error(out.status);
  expect(out.record.verdict).toBe('overdue');
  expect(sent).toHaveLength(1);
  const entry = sent[0].Entries![0];
  expect(entry).toMatchObject({ Source: 'olist.segments', DetailType: 'Segmentation drift detected', EventBusName: 'default' });
  const detail = JSON.parse(entry.Detail!);
  expect(detail.verdict).toBe('overdue');
  expect(detail.modelVersion).toBe(before);
  expect(detail.reasons.join(' ')).toMatch(/model is 70 days old, beyond the 56-day cadence/);
  expect(typeof detail.ari).toBe('number');
  expect(detail.retraining).toMatch(/^weekly-1-retrain-/);
  expect((await stack.runtime.stores.segments.getRun(detail.retraining))!.status).toBe('succeeded');
  expect((await stack.runtime.stores.segments.getActivePointer())!.version).not.toBe(before);
  expect((await stack.runtime.stores.segments.listStabilityChecks(5))).toHaveLength(2);
}, 300_000);
