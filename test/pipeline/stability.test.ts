/**
 * The scheduled stability function against dynalite and s3rver, under its deployed role (IAM enforced, with autoRetrain
 * so that it may invoke train), with the real EventBridge client whose requests arrive at the local event bus
 * (an HTTP endpoint that captures them): it records the check as history, publishes "Segmentation drift detected" when
 * the model is overdue or drifted, and starts a retraining when enabled.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PutEventsCommandInput } from '@aws-sdk/client-eventbridge';
import { generateDataset } from '../../lambdas/core/generate/generator';
import { startLocalStack, LocalStack } from '../../lambdas/local/runtime';
import type { StabilityOutcome } from '../../lambdas/pipeline/stability';
import { datasetPrefix } from '../../lambdas/pipeline/datasets';
import { readdirSync, statSync, createReadStream } from 'node:fs';

const work = mkdtempSync(join(tmpdir(), 'segments-stability-'));
const data = join(work, 'data');
let stack: LocalStack;
/** The drift events' PutEvents requests as they arrived on the wire (the pipeline also announces activations). */
const sent = () => (stack.bus.requests as PutEventsCommandInput[]).filter((r) => r.Entries?.some((e) => e.DetailType === 'Segmentation drift detected'));

beforeAll(async () => {
  await generateDataset({ customers: 1200, seed: 9, outDir: data });
  stack = await startLocalStack({ dir: join(work, 'state'), inMemoryDynamo: true, stack: { autoRetrain: true } });
  for (const f of readdirSync(data)) await stack.runtime.stores.raw.putStream(datasetPrefix('weekly-1') + f, createReadStream(join(data, f)), { contentLength: statSync(join(data, f)).size });
  await stack.idle();
  expect((await stack.runtime.stores.segments.getRun('weekly-1'))!.status).toBe('succeeded');
}, 240_000);

afterAll(async () => {
  await stack?.stop();
});

const check = (env: Record<string, string>, clock?: () => Date) => stack.invoke('stability', {}, { env, clock }) as Promise<StabilityOutcome>;

test('a fresh model on the same data: history recorded, no event', async () => {
  const out = await check({ ARI_THRESHOLD: '0.0', CADENCE_DAYS: '365' });
  expect(out.status).toBe('checked');
  if (out.status !== 'checked') return;
  expect(out.record.verdict).toBe('ok');
  expect(out.published).toBe(false);
  expect(sent()).toHaveLength(0);
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
  const out = await check({ ARI_THRESHOLD: '0.0', CADENCE_DAYS: '56', AUTO_RETRAIN: 'true' }, tenWeeksLater);
  await stack.idle();
  expect(stack.failures).toEqual([]);
  if (out.status !== 'checked') throw new Error(out.status);
  expect(out.record.verdict).toBe('overdue');
  expect(sent()).toHaveLength(1);
  const entry = sent()[0].Entries![0];
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
  expect(stack.iam!.denials).toEqual([]);
}, 300_000);
