/**
 * Scale without a switch, end to end on the emulators: one generated export, uploaded twice. The first upload takes
 * the single-function path (ingest -> train). With a lowered threshold (DISTRIBUTED_ABOVE, as `segments start
 * --distributed-above` sets it), ingest routes the second to the distributed path: the state machine synthesized from
 * lib/ runs in the local ASL interpreter, its tasks invoking the compute and publish handlers under their deployed
 * roles (IAM enforced), 4 partitions, and a write budget that makes every partition's writer stop before its (short)
 * time limit and be invoked again by the definition's loop.
 *
 * The distributed model must be what the single path produced for the same data: the same k and segment names under
 * the same ids (ids are matched to the previous model), the partitions agree (ARI >= 0.99 on every person), the same
 * files (summary, segments, distribution, assignments.csv with every person, transitions, the report pages), and the
 * same activation event, whose moves between the two models are next to none.
 */
import { createReadStream, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adjustedRandIndex } from '../../lambdas/core/cluster/ari';
import { generateDataset } from '../../lambdas/core/generate/generator';
import type { RunSummary } from '../../lambdas/core/model/summary';
import type { SegmentModel } from '../../lambdas/core/domain/types';
import { startLocalStack, type LocalStack } from '../../lambdas/local/runtime';
import { artifactKeys, datasetPrefix } from '../../lambdas/pipeline/datasets';
import type { ModelActivatedDetail } from '../../lambdas/pipeline/events';
import { previousAssignments } from '../../lambdas/pipeline/reconcile';
import { ROUTE_ENV } from '../../lambdas/pipeline/route';
import { STATES } from '../../lib/constructs/distributed-pipeline';

const work = mkdtempSync(join(tmpdir(), 'segments-distributed-'));
const data = join(work, 'data');
const PARTITION_PEOPLE = 700;
let stack: LocalStack;
let single: SegmentModel;
let distributed: SegmentModel;

async function upload(datasetId: string): Promise<void> {
  for (const f of readdirSync(data)) {
    await stack.runtime.stores.raw.putStream(datasetPrefix(datasetId) + f, createReadStream(join(data, f)), { contentLength: statSync(join(data, f)).size });
  }
  await stack.idle();
}

const modelOf = async (datasetId: string) => {
  const run = await stack.runtime.stores.segments.getRun(datasetId);
  expect(run?.status).toBe('succeeded');
  return stack.runtime.stores.artifacts.getJson<SegmentModel>(artifactKeys.model(run!.modelVersion!));
};

beforeAll(async () => {
  await generateDataset({ customers: 2500, seed: 18, outDir: data });
  stack = await startLocalStack({
    dir: join(work, 'state'),
    inMemoryDynamo: true,
    // Writers: 1,000 items/s shared by 4 (250/s each), 3 s per invocation less a 2 s margin: ~250 items per invocation.
    env: { WRITE_RATE_PER_SECOND: '1000', WRITERS: '4', WRITE_STOP_MARGIN_MS: '2000' },
    timeoutsMs: { publish: 3000 },
    distributed: { retryIntervalMs: 10 },
  });
  await upload('single');
  single = await modelOf('single');
  stack.updateFunctionEnv({ [ROUTE_ENV.above]: '1000', [ROUTE_ENV.partitionPeople]: String(PARTITION_PEOPLE) });
  await upload('distributed');
  distributed = await modelOf('distributed');
}, 600_000);

afterAll(async () => {
  await stack?.stop();
  await rm(work, { recursive: true, force: true });
});

test('ingest routed the export by its size and the run record says which path and why', async () => {
  const runs = await Promise.all(['single', 'distributed'].map((id) => stack.runtime.stores.segments.getRun(id)));
  expect(runs[0]?.route).toMatchObject({ path: 'single', thresholdSource: 'estimate' });
  expect(runs[0]?.route?.reason).toMatch(/within 60% of the single function's limits/);
  expect(runs[1]?.route).toMatchObject({ path: 'distributed', threshold: 1000, thresholdSource: 'override', execution: 'distributed-1' });
  expect(runs[1]?.route?.reason).toMatch(/above the configured threshold of 1,000/);
  // The estimate from the customers table's size is close to the people in the export.
  expect(Math.abs(runs[1]!.route!.estimatedPeople - distributed.people) / distributed.people).toBeLessThan(0.1);
  expect(stack.failures).toEqual([]);
});

test('the synthesized definition ran: every state, writers resumed by the loop, under the deployed roles', () => {
  const [execution] = stack.stepFunctions.executions;
  expect(execution).toMatchObject({ name: 'distributed-1', status: 'SUCCEEDED' });
  const entered = (state: string) => execution.history.filter((e) => e.type === 'StateEntered' && e.state === state).length;
  for (const state of ['Plan', 'Scatter', 'JoinOrders', 'JoinChildren', 'PartitionFeatures', 'Fit', 'KMeansPartials', 'KMeansReduce', 'Draft', 'WriteAssignments', 'Activate']) expect(entered(state)).toBeGreaterThan(0);
  expect(entered('RecordFailure')).toBe(0);
  const partitions = Math.ceil(distributed.people / PARTITION_PEOPLE);
  // Each partition's writer met its time limit at least once and was invoked again from where it stopped.
  expect(entered(STATES.writePartition)).toBeGreaterThan(2 * partitions);
  expect(entered('ResumePartition')).toBe(entered(STATES.writePartition) - partitions);
  expect(stack.iam!.denials).toEqual([]);
  expect(stack.iam!.decided.map((d) => d.fn)).toEqual(expect.arrayContaining(['ingest', 'compute', 'publish', 'stateMachine']));
});

test('the distributed model is the single path one: same k, same names under the same ids, ARI >= 0.99', async () => {
  expect((await stack.runtime.stores.segments.getActivePointer())?.version).toBe(distributed.version);
  expect(distributed.k).toBe(single.k);
  expect(distributed.people).toBe(single.people);
  expect(distributed.customers).toBe(single.customers);
  const named = (m: SegmentModel) => m.segments.map((s) => `${s.id} ${s.kind} ${s.name}`).sort();
  expect(named(distributed)).toEqual(named(single));
  const before = (await previousAssignments(stack.runtime.stores.artifacts, single.version))!;
  const after = (await previousAssignments(stack.runtime.stores.artifacts, distributed.version))!;
  expect(after.size).toBe(distributed.people);
  expect(new Set(after.keys())).toEqual(new Set(before.keys()));
  const ids = [...before.keys()];
  const ari = adjustedRandIndex(Int32Array.from(ids, (id) => before.get(id)!), Int32Array.from(ids, (id) => after.get(id)!));
  expect(ari).toBeGreaterThanOrEqual(0.99);
  // Every person written once, counted exactly: the sizes are the writers' counts.
  const record = (await stack.runtime.stores.segments.getModel(distributed.version))!;
  expect(record.assignmentsWritten).toBe(distributed.people);
  for (const s of distributed.segments) expect(record.segmentCounts[s.id] ?? 0).toBe(s.size);
  for (const id of ids.filter((_, i) => i % 211 === 0)) expect((await stack.runtime.stores.segments.getCustomer(id))?.segmentId).toBe(after.get(id));
});

test('the same files, summary and report pages as a single training', async () => {
  const files = async (version: string) => (await stack.runtime.stores.artifacts.list(`models/${version}/`)).map((o) => o.key.split('/').pop()).filter((f) => f !== 'pending-write.json').sort();
  // The single model was the first (no transitions); the distributed one moved customers from it.
  expect(await files(distributed.version)).toEqual([...(await files(single.version)), 'transitions.json'].sort());
  const pages = async (version: string) => (await stack.runtime.stores.artifacts.list(artifactKeys.reports(version))).map((o) => o.key.split('/').pop()).sort();
  expect(await pages(distributed.version)).toEqual(await pages(single.version));
  const summary = (version: string) => stack.runtime.stores.artifacts.getJson<RunSummary>(artifactKeys.summary(version));
  const [a, b] = await Promise.all([summary(single.version), summary(distributed.version)]);
  expect(b.counts).toEqual(a.counts);
  expect(b.k).toBe(a.k);
  expect(b.segments.map((s) => s.name)).toEqual(a.segments.map((s) => s.name));
  expect(b.tables?.map((t) => [t.table, t.rows])).toEqual(a.tables?.map((t) => [t.table, t.rows]));
  expect(b.sweep.map((p) => p.k)).toEqual(a.sweep.map((p) => p.k));
  const csv = (await stack.runtime.stores.artifacts.getText(artifactKeys.assignments(distributed.version))).trimEnd().split('\n');
  expect(csv.filter((l) => l.startsWith('customer_unique_id,'))).toHaveLength(1);
  expect(csv).toHaveLength(distributed.people + 1);
  const exploration = await stack.runtime.stores.artifacts.getText(`${artifactKeys.reports(distributed.version)}exploration.html`);
  expect(exploration).toContain('Computed partition by partition');
  expect(await stack.runtime.stores.artifacts.getJson(artifactKeys.latestFeatures())).toMatchObject({ datasetId: 'distributed', featuresKey: null, path: 'distributed' });
});

test('the same activation event, with the moves from the previous model measured', () => {
  const events = stack.events.filter((e) => e.detailType === 'Segmentation model activated').map((e) => e.detail as unknown as ModelActivatedDetail);
  expect(events.map((e) => e.datasetId)).toEqual(['single', 'distributed']);
  const [, d] = events;
  expect(d).toMatchObject({ version: distributed.version, previousVersion: single.version, k: single.k, customers: single.customers, newCustomers: 0 });
  expect(d.customersChangedSegment).toBeLessThanOrEqual(0.01 * distributed.people);
  for (const file of ['summary', 'transitions', 'reports', 'distribution', 'assignments'] as const) expect(d.artifacts[file]).toMatch(/^s3:\/\//);
});
