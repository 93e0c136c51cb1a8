/**
 * What a marketing team does next, end to end on one local stack (real s3rver + dynalite, the same handlers as in
 * Lambda), then through the `segments` CLI on the stack's state:
 * - at activation, one campaign list per segment under exports/<version>/ and a manifest whose counts and checksums
 *   match the files, named by the activation event; the segment cards link to them;
 * - `segments export --segment N` writes exactly the customers `segments query --segment N` pages through, byte for byte
 *   the file the stack wrote;
 * - a planted customer (bought long ago, 25 days late, 1 star): `query --customer ID --json` gives reasons naming those
 *   features, the runner-up is the second-nearest centroid and the margin 1 - d1/d2 (checked by brute force on model.json);
 * - `query --segment N --borderline` lists the customers of the file whose margin is below the threshold, smallest first;
 * - `segments forget` removes the person from the lists (bucket and local copy) and the manifests follow.
 */
import { createReadStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, appendFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { generateDataset } from '../../lambdas/core/generate/generator';
import { parseCsvText } from '../../lambdas/core/distributed/shuffle';
import { applyTransforms, imputeReviews } from '../../lambdas/core/features/transforms';
import { CAMPAIGN_COLUMNS, sha256Hex, type CampaignManifest } from '../../lambdas/core/model/campaignList';
import { BORDERLINE_MARGIN } from '../../lambdas/core/model/margin';
import { FEATURE_NAMES, type SegmentModel } from '../../lambdas/core/domain/types';
import { createMatrix } from '../../lambdas/core/util/matrix';
import { startLocalStack, type LocalStack } from '../../lambdas/local/runtime';
import { startEmulators } from '../../lambdas/local/emulators';
import { datasetPrefix, artifactKeys } from '../../lambdas/pipeline/datasets';
import { exportKeys } from '../../lambdas/pipeline/exports';
import { DETAIL_TYPES, type ModelActivatedDetail } from '../../lambdas/pipeline/events';
import { createStores } from '../../lambdas/store/config';
import { cliBatch, type CliResult } from '../helpers/cliBatch';

const work = mkdtempSync(join(tmpdir(), 'segments-lists-'));
const data = join(work, 'data');
const state = join(work, 'state');
const PLANTED = 'planted_customer_why';
let stack: LocalStack;
let model: SegmentModel;
let version: string;
let manifest: CampaignManifest;
/** The files the stack wrote, by segment id. */
const files = new Map<number, Buffer>();

/** One person who bought once, long ago, got the order 25 days late and gave it 1 star. */
function plant(dir: string): void {
  const firstItem = readFileSync(join(dir, 'olist_order_items_dataset.csv'), 'utf8').split('\n')[1].split(',');
  const [product, seller] = [firstItem[2], firstItem[3]];
  appendFileSync(join(dir, 'olist_customers_dataset.csv'), `planted_cid,${PLANTED},"01000",sao paulo,SP\n`);
  appendFileSync(join(dir, 'olist_orders_dataset.csv'), 'planted_order,planted_cid,delivered,2017-01-10 10:00:00,2017-01-10 11:00:00,2017-01-12 10:00:00,2017-02-25 10:00:00,2017-01-31 00:00:00\n');
  appendFileSync(join(dir, 'olist_order_items_dataset.csv'), `planted_order,1,${product},${seller},2017-01-12 10:00:00,99.00,21.00\n`);
  appendFileSync(join(dir, 'olist_order_payments_dataset.csv'), 'planted_order,1,credit_card,1,120.00\n');
  appendFileSync(join(dir, 'olist_order_reviews_dataset.csv'), 'planted_review,planted_order,1,,nunca mais,2017-02-26 00:00:00,2017-02-27 10:00:00\r\n');
}

const cli = (...invocations: string[][]): CliResult[] => cliBatch(invocations.map((args) => ({ args: [...args, '--state', state] })));
/** The header, then each record's fields. */
const rowsOf = (bytes: Buffer) => {
  const csv = parseCsvText(bytes.toString('utf8'), 'list');
  return [csv.columns, ...csv.records.map((r) => r.fields)];
};

beforeAll(async () => {
  await generateDataset({ customers: 900, seed: 23, outDir: data });
  plant(data);
  stack = await startLocalStack({ dir: join(state, 'emulators'), iam: false, env: { FIXED_K: '4', TRAIN_SWEEP: 'false', TRAIN_COMPARE: 'false' }, trainOptions: { nInit: 2, threads: 1 } });
  for (const f of readdirSync(data)) {
    await stack.runtime.stores.raw.putStream(datasetPrefix('ds-lists') + f, createReadStream(join(data, f)), { contentLength: statSync(join(data, f)).size });
  }
  await stack.idle();
  expect(stack.failures).toEqual([]);
  expect((await stack.runtime.stores.segments.getRun('ds-lists'))?.status).toBe('succeeded');
  model = (await stack.runtime.stores.segments.getActiveModel())!.record.model;
  version = model.version;
}, 300_000);

afterAll(async () => {
  await stack?.stop();
});

test('at activation: one list per segment under exports/<version>/, matching its manifest; the event names the manifest', async () => {
  const artifacts = stack.runtime.stores.artifacts;
  manifest = await artifacts.getJson<CampaignManifest>(exportKeys.manifest(version));
  expect(manifest).toMatchObject({ format: 'segments-campaign-lists', formatVersion: 1, modelVersion: version, columns: [...CAMPAIGN_COLUMNS], margin: { borderlineBelow: BORDERLINE_MARGIN } });
  expect(manifest.files.map((f) => f.segmentId)).toEqual(model.segments.map((s) => s.id));
  const listed = (await artifacts.list(exportKeys.dir(version))).map((o) => o.key).sort();
  expect(listed).toEqual([...manifest.files.map((f) => f.key), exportKeys.manifest(version)].sort());
  const everyone = new Set<string>();
  for (const f of manifest.files) {
    const bytes = Buffer.from(await artifacts.getText(f.key), 'utf8');
    files.set(f.segmentId, bytes);
    expect(bytes.length).toBe(f.bytes);
    expect(sha256Hex(bytes)).toBe(f.sha256);
    const rows = rowsOf(bytes);
    expect(rows[0]).toEqual([...CAMPAIGN_COLUMNS]);
    expect(rows.length - 1).toBe(f.rows);
    const segment = model.segments.find((s) => s.id === f.segmentId)!;
    expect(f.rows).toBe(segment.size);
    for (const r of rows.slice(1)) {
      expect(r.slice(1, 4)).toEqual([String(segment.id), segment.name, segment.action]);
      expect(everyone.has(r[0])).toBe(false);
      everyone.add(r[0]);
    }
    // Highest spend first, ties by id descending (the order of `query --segment`).
    const spend = rows.slice(1).map((r) => Math.round(Number(r[6]) * 100));
    for (let i = 1; i < spend.length; i++) expect(spend[i] < spend[i - 1] || (spend[i] === spend[i - 1] && rows[i + 1][0] < rows[i][0])).toBe(true);
    // Rule segments have no margin nor runner-up; clustered customers have both.
    for (const r of rows.slice(1)) expect(r[8] === '' && r[9] === '').toBe(segment.kind === 'rule');
  }
  expect(everyone.size).toBe(model.people);
  expect(manifest.rows).toBe(model.people);

  const event = stack.events.filter((e) => e.detailType === DETAIL_TYPES.activated).at(-1)!.detail as unknown as ModelActivatedDetail;
  expect(event.artifacts.exports).toBe(`s3://${stack.emulators.artifactsBucket}/${exportKeys.manifest(version)}`);
});

test('the segment cards link to their lists, at the relative place the lists have in the bucket', async () => {
  const page = await stack.runtime.stores.artifacts.getText(`${artifactKeys.reports(version)}segment-cards.html`);
  for (const s of model.segments) {
    const href = `../../exports/${version}/segment-${s.id}.csv`;
    expect(page).toContain(`href="${href}"`);
    expect(posix.normalize(posix.join(artifactKeys.reports(version), href))).toBe(exportKeys.segment(version, s.id));
  }
  expect(page).toMatch(/Borderline: <span[^>]*>[\d,]+<\/span> of them/);
  await stack.stop();
});

test('query --customer: the planted customer’s reasons name what was planted; runner-up and margin by brute force', () => {
  const [r] = cli(['query', '--customer', PLANTED, '--json']);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const c = JSON.parse(r.stdout);
  expect(new Set(c.reasons.map((x: { code: string }) => x.code))).toEqual(new Set(['recencyDays', 'reviewScore', 'deliveryDelayDays']));
  const byCode = Object.fromEntries(c.reasons.map((x: { code: string }) => [x.code, x]));
  expect(byCode.reviewScore).toMatchObject({ value: 1, direction: 'below' });
  expect(byCode.deliveryDelayDays.text).toMatch(/^deliveries 25 days late on average \(typical customer: \d+ days early\)$/);
  expect(byCode.recencyDays.direction).toBe('above');

  // Brute force on the stored model: the customer's own features through the model's transforms, every centroid.
  const raw = createMatrix(1, FEATURE_NAMES.length, Float64Array.from(FEATURE_NAMES, (f) => c.features[f] ?? NaN));
  const X = applyTransforms(imputeReviews(raw, model.reviewImputation), model.features);
  const clusters = model.segments.filter((s) => s.kind === 'cluster');
  const d = model.centroids.map((centre, i) => ({ id: clusters[i].id, d: Math.sqrt(centre.reduce((s, v, j) => s + (X.data[j] - v) ** 2, 0)) })).sort((a, b) => a.d - b.d);
  expect(c.segment.id).toBe(d[0].id);
  expect(c.runnerUp).toEqual({ id: d[1].id, name: clusters.find((s) => s.id === d[1].id)!.name });
  expect(c.margin).toBeCloseTo(1 - d[0].d / d[1].d, 3);
  expect(c.borderline).toBe(c.margin < BORDERLINE_MARGIN);

  const [text] = cli(['query', '--customer', PLANTED]);
  expect(text.stdout).toMatch(/^ {2}why: .*deliveries 25 days late on average.*\n {2}next nearest: segment \d+ "[^"]+", margin [\d.]+/m);
});

test('export --segment N: exactly the customers query --segment N pages through, the bytes of the stack’s file', () => {
  const sizes = model.segments.filter((s) => s.kind === 'cluster').sort((a, b) => b.size - a.size);
  const segment = sizes[0];
  const out = join(work, `segment-${segment.id}.csv`);
  const [exported, jsonl, page1] = cli(['export', '--segment', String(segment.id), '--out', out, '--json'], ['export', '--segment', String(segment.id), '--format', 'jsonl'], ['query', '--segment', String(segment.id), '--limit', '100', '--json']);
  expect(exported.status).toBe(0);
  const summary = JSON.parse(exported.stdout);
  expect(summary).toMatchObject({ file: out, modelVersion: version, rows: segment.size, segment: { id: segment.id } });
  const bytes = readFileSync(out);
  expect(bytes.equals(files.get(segment.id)!)).toBe(true);
  expect(summary.sha256).toBe(sha256Hex(bytes));

  // query --segment, page by page with the cursors it prints.
  const paged: string[] = [];
  let page = JSON.parse(page1.stdout);
  for (;;) {
    paged.push(...page.customers.map((c: { customerId: string }) => c.customerId));
    if (!page.nextCursor) break;
    const [next] = cli(['query', '--segment', String(segment.id), '--limit', '100', '--cursor', page.nextCursor, '--json']);
    page = JSON.parse(next.stdout);
  }
  expect(rowsOf(bytes).slice(1).map((r) => r[0])).toEqual(paged);
  // JSON lines: the same customers in the same order, with their reasons and margin.
  const lines = jsonl.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
  expect(lines.map((l) => l.customerId)).toEqual(paged);
  expect(lines[0]).toMatchObject({ segmentId: segment.id, segmentName: segment.name, reasons: expect.any(Array), runnerUp: expect.any(Number), margin: expect.any(Number) });
});

test('query --segment N --borderline: the customers of the list whose margin is below the threshold, smallest first', () => {
  let best = { id: -1, rows: [] as string[][] };
  for (const s of model.segments.filter((g) => g.kind === 'cluster')) {
    const rows = rowsOf(files.get(s.id)!).slice(1).filter((r) => Number(r[8]) < BORDERLINE_MARGIN);
    if (rows.length > best.rows.length) best = { id: s.id, rows };
  }
  expect(best.rows.length).toBeGreaterThan(1);
  const expected = best.rows.sort((a, b) => Number(a[8]) - Number(b[8]) || (a[0] < b[0] ? -1 : 1)).map((r) => r[0]);
  const [r, text, rule] = cli(['query', '--segment', String(best.id), '--borderline', '--limit', '1000', '--json'], ['query', '--segment', String(best.id), '--borderline', '--limit', '3'], ['query', '--segment', '100', '--borderline']);
  expect(r.status).toBe(0);
  const page = JSON.parse(r.stdout);
  expect(page.customers.map((c: { customerId: string }) => c.customerId)).toEqual(expected);
  expect(page.nextCursor).toBeUndefined();
  expect(text.stdout).toMatch(/smallest margin first/);
  expect(text.stdout.split('\n').filter((l) => /^\S+\s+0\.0\d{3}\s/.test(l))).toHaveLength(Math.min(3, expected.length));
  expect(rule.status).toBe(1);
  expect(rule.stderr).toMatch(/placed by rule: its people have no margin/);
});

test('forget: the person leaves the lists, in the bucket and in the local copy; the manifests follow', async () => {
  const planted = manifest.files.find((f) => rowsOf(files.get(f.segmentId)!).some((r) => r[0] === PLANTED))!;
  // A local copy of the lists, as `npm start` keeps them (STATE/exports/<version>/).
  const local = join(state, exportKeys.dir(version));
  mkdirSync(local, { recursive: true });
  for (const f of manifest.files) writeFileSync(join(local, `segment-${f.segmentId}.csv`), files.get(f.segmentId)!);
  writeFileSync(join(local, 'manifest.json'), JSON.stringify(manifest));

  const [r] = cli(['forget', '--customer', PLANTED, '--json']);
  expect(r.status).toBe(0);
  const report = JSON.parse(r.stdout);
  expect(report.unhandled).toEqual([]);

  const emulators = await startEmulators({ dir: join(state, 'emulators') });
  const stores = createStores(emulators.env);
  try {
    for (const [where, read] of [
      ['bucket', async (key: string) => Buffer.from(await stores.artifacts.getText(key), 'utf8')],
      ['local copy', async (key: string) => readFileSync(join(state, key))],
    ] as const) {
      const after = JSON.parse((await read(exportKeys.manifest(version))).toString('utf8')) as CampaignManifest;
      expect({ where, rows: after.rows }).toEqual({ where, rows: manifest.rows - 1 });
      for (const f of after.files) {
        const bytes = await read(f.key);
        expect(rowsOf(bytes).some((x) => x[0] === PLANTED)).toBe(false);
        expect(sha256Hex(bytes)).toBe(f.sha256);
        expect(bytes.length).toBe(f.bytes);
        expect(rowsOf(bytes).length - 1).toBe(f.rows);
        const before = manifest.files.find((x) => x.segmentId === f.segmentId)!;
        expect(f.rows).toBe(f.segmentId === planted.segmentId ? before.rows - 1 : before.rows);
      }
    }
  } finally {
    stores.s3.destroy();
    stores.dynamo.destroy();
    await emulators.stop();
  }
});
