/**
 * Bad input on the stack (s3rver + dynalite, the Lambda handlers): every case of test/helpers/badInputs.ts
 * is uploaded as a new dataset after a good one was trained and activated. Each gets its defined outcome
 * (rejected: run record + errors/<id>/error.json naming file, line, column; waiting: a run record listing
 * the missing table; accepted: a new active model, with what was tolerated counted and reported), and
 * after every case nothing is lost: every raw object uploaded is still there, and unless a complete new
 * version was accepted, the active model and its customers' assignments are exactly as before.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { generateDataset } from '../../lambdas/core/generate/generator';
import { LocalStack, startLocalStack } from '../../lambdas/local/runtime';
import { artifactKeys, datasetPrefix } from '../../lambdas/pipeline/datasets';
import { StoredAssignment } from '../../lambdas/store/segment-store';
import { BadInputCase, CASES, Files, readExport } from '../helpers/badInputs';

const work = mkdtempSync(join(tmpdir(), 'segments-bad-input-'));
let stack: LocalStack;
let good: Files;

async function upload(datasetId: string, files: Files): Promise<void> {
  for (const [file, body] of Object.entries(files)) {
    await stack.runtime.stores.raw.putStream(datasetPrefix(datasetId) + file, Readable.from([body]), { contentLength: body.length });
  }
}

/** The active version and a sample of its customers as the table serves them. */
async function snapshot(): Promise<{ version: string; customers: (StoredAssignment | undefined)[] }> {
  const { segments, artifacts } = stack.runtime.stores;
  const version = (await segments.getActivePointer())!.version;
  const csv = (await artifacts.getText(artifactKeys.assignments(version))).trim().split('\n').slice(1);
  const ids = [1, 97, 503, csv.length - 1].map((i) => csv[i].split(',')[0]);
  return { version, customers: await Promise.all(ids.map((id) => segments.getCustomer(id))) };
}

beforeAll(async () => {
  const dir = join(work, 'good');
  await generateDataset({ customers: 1500, seed: 5, outDir: dir });
  good = readExport(dir);
  // Short trainings (one fixed k, no alternatives, no HTML reports): the training is not what this test is about.
  const env = { FIXED_K: '4', TRAIN_SWEEP: 'false', TRAIN_COMPARE: 'false', TRAIN_REPORTS: 'false' };
  stack = await startLocalStack({ dir: join(work, 'state'), inMemoryDynamo: true, env });
  await upload('good', good);
  await stack.idle();
  expect(stack.failures).toEqual([]);
  expect((await stack.runtime.stores.segments.getRun('good'))!.status).toBe('succeeded');
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

const caseId = (i: number) => `bad-${String(i).padStart(2, '0')}`;

describe('bad input on the stack: a defined outcome each, nothing lost', () => {
  test.each(CASES.map((c, i) => [c.name, c, i] as const))('%s', async (_name, c: BadInputCase, i: number) => {
    const { segments, artifacts, raw } = stack.runtime.stores;
    const datasetId = caseId(i);
    const files: Files = Object.fromEntries(Object.entries(good).map(([f, b]) => [f, Buffer.from(b)]));
    c.mutate(files);
    const before = await snapshot();
    stack.updateFunctionEnv(c.env ?? {});
    try {
      await upload(datasetId, files);
      await stack.idle();
    } finally {
      stack.updateFunctionEnv(Object.fromEntries(Object.keys(c.env ?? {}).map((k) => [k, undefined])));
    }
    expect(stack.failures).toEqual([]); // bad data is an outcome, never an unexpected fault (no Lambda retry)

    const run = (await segments.getRun(datasetId))!;
    expect(run.status).toBe(c.outcome === 'accepted' ? 'succeeded' : c.outcome);
    const errorKey = artifactKeys.error(datasetId);
    if (c.outcome === 'rejected') {
      expect(run.reasons).toHaveLength(1);
      expect(run.reasons[0]).toMatch(c.message!);
      const report = await artifacts.getJson<{ status: string; reasons: string[]; error?: { file: string; line?: number; column?: string } }>(errorKey);
      expect(report.status).toBe('rejected');
      expect(report.reasons).toEqual(run.reasons);
      expect(report.error).toMatchObject(c.where!);
    } else {
      expect(await artifacts.exists(errorKey)).toBe(false);
      if (c.outcome === 'waiting') expect(run.reasons).toEqual([expect.stringMatching(c.message!)]);
    }
    if (c.outcome === 'accepted') {
      const after = await snapshot();
      expect(after.version).toBe(run.modelVersion);
      expect(after.version).not.toBe(before.version);
      expect((await segments.getModel(after.version))!.assignmentsWritten).toBe((await segments.getModel(after.version))!.model.people);
      // what was tolerated is on the run record and in the summary, never silent
      if (c.message) expect(run.reasons[0]).toMatch(c.message);
      else expect(run.reasons).toEqual([]);
      expect(run.counts).toMatchObject(c.counts ?? {});
      const summary = await artifacts.getJson<{ warnings: string[] }>(artifactKeys.summary(after.version));
      expect(summary.warnings).toEqual(run.reasons);
    } else {
      // the active model and its assignments are untouched
      expect(await snapshot()).toEqual(before);
    }

    // the raw data stays: every object uploaded, byte for byte in size
    const stored = await raw.list(datasetPrefix(datasetId));
    expect(Object.fromEntries(stored.map((o) => [o.key.slice(datasetPrefix(datasetId).length), o.size]))).toEqual(Object.fromEntries(Object.entries(files).map(([f, b]) => [f, b.length])));
  }, 60_000);

  test('a waiting dataset is claimed once its missing table arrives', async () => {
    const i = CASES.findIndex((c) => c.outcome === 'waiting');
    const datasetId = caseId(i);
    await stack.runtime.stores.raw.putStream(datasetPrefix(datasetId) + 'olist_orders_dataset.csv', Readable.from([good['olist_orders_dataset.csv']]), { contentLength: good['olist_orders_dataset.csv'].length });
    await stack.idle();
    expect(stack.failures).toEqual([]);
    const run = (await stack.runtime.stores.segments.getRun(datasetId))!;
    expect(run.status).toBe('succeeded');
    expect((await stack.runtime.stores.segments.getActivePointer())!.version).toBe(run.modelVersion);
  }, 60_000);

  test('every request of the functions was allowed by their deployed roles', () => {
    expect(stack.iam!.decided.length).toBeGreaterThan(0);
    expect(stack.iam!.denials).toEqual([]);
  });
});
