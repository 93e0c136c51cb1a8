/**
 * The stack's event flow against real emulators (s3rver + dynalite) with the real AWS SDK and the same
 * handlers as in Lambda: uploads in any order start one run per dataset, duplicated events are ignored,
 * a model becomes active only once all its assignments are written, and a failed or rejected run leaves
 * the previous model active.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDataset } from '../../lambdas/core/generate/generator';
import { startLocalStack, LocalStack } from '../../lambdas/local/runtime';
import type { IngestOutcome } from '../../lambdas/pipeline/ingest';
import type { ModelActivatedDetail } from '../../lambdas/pipeline/events';
import { datasetPrefix, artifactKeys } from '../../lambdas/pipeline/datasets';
import { SegmentStore } from '../../lambdas/store/segment-store';
import { encodeS3EventKey } from '../../lambdas/store/s3-event-key';

const work = mkdtempSync(join(tmpdir(), 'segments-pipeline-'));
const data = join(work, 'data');
let stack: LocalStack;
const faults: { crashAfterAssignments?: number } = {};

/** A store that crashes in the middle of writing assignments when asked (a fault no emulator produces). */
function faulty(real: SegmentStore): SegmentStore {
  const store: SegmentStore = Object.create(real);
  store.writeAssignments = async (version, assignments, options) => {
    if (faults.crashAfterAssignments === undefined) return real.writeAssignments(version, assignments, options);
    await real.writeAssignments(version, assignments.slice(0, faults.crashAfterAssignments), options);
    throw new Error('Task timed out after 900.00 seconds');
  };
  return store;
}

async function upload(datasetId: string, files: string[], dir = data): Promise<void> {
  for (const f of files) await stack.runtime.stores.raw.putStream(datasetPrefix(datasetId) + f, require('node:fs').createReadStream(join(dir, f)), { contentLength: statSync(join(dir, f)).size });
}

const tables = () => readdirSync(data).filter((f) => f.endsWith('.csv'));
const s3Event = (key: string) => ({ Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: stack.emulators.rawBucket }, object: { key: encodeS3EventKey(key) } } }] });

beforeAll(async () => {
  await generateDataset({ customers: 1500, seed: 5, outDir: data });
  stack = await startLocalStack({ dir: join(work, 'state'), inMemoryDynamo: true, decorateSegments: faulty });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('event-driven pipeline on the emulators', () => {
  let firstVersion: string;

  test('tables uploaded in any order: processing starts once, when the last one lands', async () => {
    const files = tables().reverse(); // reversed: orders and customers arrive last
    await upload('ds-one', files.slice(0, -1));
    await stack.idle();
    expect((await stack.runtime.stores.segments.getRun('ds-one'))?.status).toBe('waiting'); // still waiting for a table
    expect(await stack.runtime.stores.segments.getActivePointer()).toBeUndefined();
    await upload('ds-one', files.slice(-1));
    await stack.idle();
    expect(stack.failures).toEqual([]);
    const run = (await stack.runtime.stores.segments.getRun('ds-one'))!;
    expect(run.status).toBe('succeeded');
    const active = (await stack.runtime.stores.segments.getActiveModel())!;
    firstVersion = active.record.model.version;
    expect(run.modelVersion).toBe(firstVersion);
    expect(active.record.assignmentsWritten).toBe(active.record.model.people);
    expect(await stack.runtime.stores.artifacts.exists(artifactKeys.model(firstVersion))).toBe(true);
    expect(await stack.runtime.stores.artifacts.exists(artifactKeys.assignments(firstVersion))).toBe(true);
  }, 240_000);

  test('assignments can be queried: a customer, and a segment page by page', async () => {
    const csv = (await stack.runtime.stores.artifacts.getText(artifactKeys.assignments(firstVersion))).trim().split('\n').slice(1);
    const [customerId, segmentId] = csv[7].split(',');
    const c = (await stack.runtime.stores.segments.getCustomer(customerId))!;
    expect(c.version).toBe(firstVersion);
    expect(c.segmentId).toBe(Number(segmentId));
    const members = csv.filter((l) => l.split(',')[1] === segmentId).length;
    let seen = 0;
    let cursor: string | undefined;
    let last = Infinity;
    do {
      const page = await stack.runtime.stores.segments.listSegmentMembers(Number(segmentId), { limit: 50, cursor, bySpendDesc: true });
      for (const m of page.items) {
        expect(m.spend).toBeLessThanOrEqual(last);
        last = m.spend;
      }
      seen += page.items.length;
      cursor = page.cursor;
    } while (cursor);
    expect(seen).toBe(members);
  }, 60_000);

  test('people without a delivered order are in the table too, in the rule segments', async () => {
    const csv = (await stack.runtime.stores.artifacts.getText(artifactKeys.assignments(firstVersion))).trim().split('\n').slice(1);
    const model = (await stack.runtime.stores.segments.getActiveModel())!.record.model;
    expect(csv).toHaveLength(model.people);
    const rules = model.segments.filter((g) => g.kind === 'rule');
    expect(rules.map((g) => g.id)).toEqual([100, 101, 102]);
    const inRules = csv.filter((l) => Number(l.split(',')[1]) >= 100);
    expect(inRules.length).toBe(model.people - model.customers);
    expect(inRules.length).toBeGreaterThan(0);
    const [customerId, segmentId] = inRules[0].split(',');
    const c = (await stack.runtime.stores.segments.getCustomer(customerId))!;
    expect(c.segmentId).toBe(Number(segmentId));
    expect(c.features.deliveryDelayDays).toBeUndefined(); // nothing was delivered
    const page = await stack.runtime.stores.segments.listSegmentMembers(Number(segmentId), { limit: 1000 });
    expect(page.items.map((m) => m.customerId)).toContain(customerId);
    expect(page.items).toHaveLength(rules.find((g) => g.id === Number(segmentId))!.size);
  }, 60_000);

  test('a duplicated S3 event does not process the dataset again', async () => {
    const outcomes = await stack.invoke('ingest', s3Event(datasetPrefix('ds-one') + 'olist_orders_dataset.csv'));
    expect(outcomes).toEqual([{ status: 'duplicate', datasetId: 'ds-one', runStatus: 'succeeded' }]);
    await stack.idle();
    expect((await stack.runtime.stores.segments.listModels()).length).toBe(1);
  }, 60_000);

  test('concurrent duplicate events for a complete dataset claim it exactly once', async () => {
    const models = (await stack.runtime.stores.segments.listModels()).length;
    await upload('ds-two', tables());
    // three more deliveries of the same event, concurrently with the upload's own events
    const outcomes = (await Promise.all([1, 2, 3].map(() => stack.invoke('ingest', s3Event(datasetPrefix('ds-two') + 'olist_customers_dataset.csv')) as Promise<IngestOutcome[]>))).flat();
    await stack.idle();
    expect(outcomes.filter((o) => o.status === 'ingested').length).toBeLessThanOrEqual(1);
    for (const o of outcomes) expect(['ingested', 'duplicate']).toContain(o.status);
    expect((await stack.runtime.stores.segments.getRun('ds-two'))!.status).toBe('succeeded');
    expect((await stack.runtime.stores.segments.listModels()).length).toBe(models + 1); // one training, not two
  }, 240_000);

  test('a retrained model keeps segment ids and records each customer\'s previous segment', async () => {
    const active = (await stack.runtime.stores.segments.getActiveModel())!;
    expect(active.pointer.previousVersion).toBe(firstVersion);
    const prev = (await stack.runtime.stores.segments.getModel(firstVersion))!.model;
    // same data, so every segment is the same group: same ids, same names
    expect(active.record.model.segments.map((s) => [s.id, s.name]).sort()).toEqual(prev.segments.map((s) => [s.id, s.name]).sort());
    const csv = (await stack.runtime.stores.artifacts.getText(artifactKeys.assignments(firstVersion))).trim().split('\n').slice(1);
    const [customerId, segmentId] = csv[3].split(',');
    const c = (await stack.runtime.stores.segments.getCustomer(customerId))!;
    expect(c.previousSegmentId).toBe(Number(segmentId));
    expect(await stack.runtime.stores.artifacts.exists(`models/${active.record.model.version}/transitions.json`)).toBe(true);
  }, 60_000);

  test('each activation is announced: "Segmentation model activated" with the segments, the moves and the files', async () => {
    const activations = stack.bus.events.filter((e) => e['detail-type'] === 'Segmentation model activated');
    expect(activations.map((e) => e.source)).toEqual(['olist.segments', 'olist.segments']);
    const [first, second] = activations.map((e) => e.detail as unknown as ModelActivatedDetail);
    const active = (await stack.runtime.stores.segments.getActiveModel())!;
    expect(first).toMatchObject({ version: firstVersion, previousVersion: null, datasetId: 'ds-one', customersChangedSegment: null, newCustomers: null });
    expect(second).toMatchObject({ version: active.pointer.version, previousVersion: firstVersion, datasetId: 'ds-two', activatedAt: active.pointer.activatedAt, k: active.record.model.k });
    expect(second.segments).toEqual(active.record.model.segments.map((s) => ({ id: s.id, name: s.name, size: s.size, share: s.share, action: s.action })));
    // The moves, counted independently from the two versions' assignments.csv.
    const segmentOf = async (version: string) =>
      new Map((await stack.runtime.stores.artifacts.getText(artifactKeys.assignments(version))).trim().split('\n').slice(1).map((l) => [l.split(',')[0], l.split(',')[1]]));
    const [before, after] = [await segmentOf(firstVersion), await segmentOf(second.version)];
    expect(second.customersChangedSegment).toBe([...after].filter(([id, seg]) => before.has(id) && before.get(id) !== seg).length);
    expect(second.newCustomers).toBe([...after.keys()].filter((id) => !before.has(id)).length);
    const bucket = stack.emulators.artifactsBucket;
    expect(second.artifacts).toEqual({
      bucket,
      model: `s3://${bucket}/models/${second.version}/model.json`,
      summary: `s3://${bucket}/models/${second.version}/summary.json`,
      segments: `s3://${bucket}/models/${second.version}/segments.json`,
      assignments: `s3://${bucket}/models/${second.version}/assignments.csv`,
      distribution: `s3://${bucket}/models/${second.version}/distribution.json`,
      transitions: `s3://${bucket}/models/${second.version}/transitions.json`,
      reports: `s3://${bucket}/reports/${second.version}/index.html`,
      exports: `s3://${bucket}/exports/${second.version}/manifest.json`,
      table: stack.emulators.tableName,
    });
    for (const url of Object.values(second.artifacts).filter((v): v is string => !!v && v.startsWith('s3://'))) {
      expect(await stack.runtime.stores.artifacts.exists(url.slice(`s3://${bucket}/`.length))).toBe(true);
    }
  }, 60_000);

  test('a training that crashes while writing assignments leaves the previous model active', async () => {
    const segments = stack.runtime.stores.segments;
    const before = (await segments.getActivePointer())!;
    const probe = (await stack.runtime.stores.artifacts.getText(artifactKeys.assignments(before.version))).trim().split('\n')[5].split(',')[0];
    const seenBefore = (await segments.getCustomer(probe))!;
    faults.crashAfterAssignments = 100;
    await upload('ds-crash', tables());
    await stack.idle();
    faults.crashAfterAssignments = undefined;
    expect(stack.failures.map((f) => (f.error as Error).message)).toEqual(['Task timed out after 900.00 seconds']);
    stack.failures.length = 0;
    const run = (await segments.getRun('ds-crash'))!;
    expect(run.status).toBe('failed');
    expect(run.reasons).toEqual(['Task timed out after 900.00 seconds']);
    // the half-written version exists as a draft but readers still get the previous one
    expect((await segments.getActivePointer())!.version).toBe(before.version);
    const drafts = (await segments.listModels()).filter((m) => m.status === 'writing');
    expect(drafts).toHaveLength(1);
    await expect(segments.activateModel(drafts[0].version)).rejects.toThrow();
    expect(await segments.getCustomer(probe)).toEqual(seenBefore);
    expect((await stack.runtime.stores.artifacts.getJson<{ status: string }>(artifactKeys.error('ds-crash'))).status).toBe('failed');
  }, 240_000);

  test('a malformed dataset is rejected with its location; raw data and the active model stay', async () => {
    const before = (await stack.runtime.stores.segments.getActivePointer())!;
    const bad = join(work, 'bad');
    require('node:fs').mkdirSync(bad);
    for (const f of tables()) require('node:fs').copyFileSync(join(data, f), join(bad, f));
    const orders = readFileSync(join(bad, 'olist_orders_dataset.csv'), 'utf8').split('\n');
    orders[3] = orders[3].replace(/,(delivered|shipped|canceled|invoiced|processing|unavailable),/, ',lost,');
    require('node:fs').writeFileSync(join(bad, 'olist_orders_dataset.csv'), orders.join('\n'));
    await upload('ds-bad', tables(), bad);
    await stack.idle();
    const run = (await stack.runtime.stores.segments.getRun('ds-bad'))!;
    expect(run.status).toBe('rejected');
    expect(run.reasons[0]).toMatch(/^olist_orders_dataset\.csv, line 4, column order_status \(3\): expected one of delivered/);
    const report = await stack.runtime.stores.artifacts.getJson<{ error: { line: number; column: string } }>(artifactKeys.error('ds-bad'));
    expect(report.error.line).toBe(4);
    expect((await stack.runtime.stores.raw.list(datasetPrefix('ds-bad'))).length).toBe(tables().length);
    expect((await stack.runtime.stores.segments.getActivePointer())!.version).toBe(before.version);
    expect(stack.failures).toEqual([]);
  }, 120_000);
});

test('every request of the functions was allowed by their deployed roles (IAM enforced from the synthesized stack)', () => {
  expect(stack.iam).toBeDefined();
  expect(stack.iam!.decided.length).toBeGreaterThan(0);
  expect(stack.iam!.denials).toEqual([]);
});
