/**
 * A deletion request end to end (issue 13): the local stack (s3rver + dynalite, the Lambda handlers) trains on an
 * export, rejects a second one whose error report quotes one of the person's order ids; then `segments forget` (a
 * child process, on that state) removes the person: `segments query --customer` no longer finds them, no object of
 * either bucket and no item of the table holds any of their ids, the stored report does not name them, and the next
 * training on an export that still holds them leaves them out. The versioned path (older S3 versions deleted) runs on
 * a versioned in-memory store, since s3rver keeps no versions.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { type AttributeValue, ScanCommand } from '@aws-sdk/client-dynamodb';
import { generateDataset } from '../../lambdas/core/generate/generator';
import { LocalStack, startLocalStack } from '../../lambdas/local/runtime';
import { artifactKeys, datasetPrefix } from '../../lambdas/pipeline/datasets';
import { ERASURES_PREFIX, ErasableStore, forgetCustomer, ForgetReport } from '../../lambdas/pipeline/forget';
import type { BlobVersion } from '../../lambdas/store/blob-store';
import { CUSTOMERS, Files, ORDERS, readExport } from '../helpers/badInputs';

const BIN = resolve(__dirname, '../../bin/segments.js');
const work = mkdtempSync(join(tmpdir(), 'segments-forget-'));
const state = join(work, 'state');
const env = { FIXED_K: '4', TRAIN_SWEEP: 'false', TRAIN_COMPARE: 'false', TRAIN_REPORTS: 'false' };
let files: Files;
let person: string;
let orderId: string;

const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args, '--state', state], { encoding: 'utf8', timeout: 90_000 });
const rows = (file: string) => files[file].toString('utf8').split('\n').filter((l) => l);
const field = (line: string, i: number) => line.split(',')[i].replace(/"/g, '');

async function upload(stack: LocalStack, datasetId: string, f: Files): Promise<void> {
  for (const [file, body] of Object.entries(f)) await stack.runtime.stores.raw.putStream(datasetPrefix(datasetId) + file, Readable.from([body]), { contentLength: body.length });
  await stack.idle();
  expect(stack.failures).toEqual([]);
}

/** Every object of both buckets and every item of the table, as text. */
async function everything(stack: LocalStack): Promise<{ where: string; text: string }[]> {
  const out: { where: string; text: string }[] = [];
  for (const store of [stack.runtime.stores.raw, stack.runtime.stores.artifacts]) {
    for (const o of await store.list('')) out.push({ where: `${store.bucket}/${o.key}`, text: (await readAll(await store.get(o.key))).toString('latin1') });
  }
  let start: Record<string, AttributeValue> | undefined;
  do {
    const res = await stack.runtime.stores.dynamo.send(new ScanCommand({ TableName: stack.emulators.tableName, ExclusiveStartKey: start }));
    for (const item of res.Items ?? []) out.push({ where: `table ${item.PK.S} ${item.SK.S}`, text: JSON.stringify(item) });
    start = res.LastEvaluatedKey;
  } while (start);
  return out;
}

async function readAll(s: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
  return Buffer.concat(chunks);
}

beforeAll(async () => {
  await generateDataset({ customers: 400, seed: 11, outDir: join(work, 'export') });
  files = readExport(join(work, 'export'));
  // The person: the customer of the first delivered order (their order has items, a payment and, most often, a review).
  const order = rows(ORDERS).find((l, i) => i > 0 && field(l, 2) === 'delivered')!;
  orderId = field(order, 0);
  person = field(rows(CUSTOMERS).find((l) => field(l, 0) === field(order, 1))!, 1);

  const stack = await startLocalStack({ dir: join(state, 'emulators'), env });
  try {
    await upload(stack, 'first', files);
    const version = (await stack.runtime.stores.segments.getRun('first'))!.modelVersion!;
    expect(await stack.runtime.stores.segments.getCustomer(person)).toBeDefined();
    // A rejected export whose error report and run record quote the person's order id (a duplicated order).
    const dup = rows(ORDERS);
    await upload(stack, 'rejected', { ...files, [ORDERS]: Buffer.from([...dup, dup.find((l) => field(l, 0) === orderId)!, ''].join('\n')) });
    expect((await stack.runtime.stores.segments.getRun('rejected'))!.reasons[0]).toContain(orderId);
    // npm start's copy of the model's files, as it leaves them in STATE/out/<version>/.
    mkdirSync(join(state, 'out', version), { recursive: true });
    writeFileSync(join(state, 'out', version, 'assignments.csv'), await stack.runtime.stores.artifacts.getText(artifactKeys.assignments(version)));
  } finally {
    await stack.stop();
  }
}, 180_000);

test('segments forget removes the person from the table, every object and the local copies, and the next training leaves them out', async () => {
  const before = cli('query', '--customer', person);
  expect(before.status).toBe(0);

  const r = cli('forget', '--customer', person, '--json');
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const report = JSON.parse(r.stdout) as ForgetReport & { customer: string };
  expect(report.table.versions).toHaveLength(1);
  expect(report.table.runRecordsRedacted).toBeGreaterThanOrEqual(1);
  expect(report.identifiers.orderIds).toBeGreaterThanOrEqual(1);
  const rewritten = report.objects.filter((o) => o.action === 'rewritten').map((o) => o.where.replace(/^s3:\/\/[^/]+\//, ''));
  expect(rewritten).toEqual(
    expect.arrayContaining([`incoming/first/${CUSTOMERS}`, `incoming/first/${ORDERS}`, 'features/first/features.bin', expect.stringMatching(/^models\/.+\/assignments\.csv$/), 'errors/rejected/error.json', expect.stringMatching(/out\/.+\/assignments\.csv$/)]),
  );
  expect(report.unhandled).toEqual([]);
  expect(Object.values(report.versions)).toEqual(['not kept by this store', 'not kept by this store']);

  const after = cli('query', '--customer', person);
  expect(after.status).toBe(1);
  expect(after.stderr).toMatch(new RegExp(`customer ${person} is not in the active model`));

  const stack = await startLocalStack({ dir: join(state, 'emulators'), env });
  try {
    const stored = await everything(stack);
    expect(stored.filter((s) => s.text.includes(person) || s.text.includes(orderId)).map((s) => s.where)).toEqual([]);
    const reportKey = (await stack.runtime.stores.artifacts.list(ERASURES_PREFIX)).map((o) => o.key);
    expect(reportKey).toEqual([report.reportKey]);
    for (const dir of readdirSync(join(state, 'out'))) expect(readFileSync(join(state, 'out', dir, 'assignments.csv'), 'utf8')).not.toContain(person);

    // A later export that still holds them: they are left out of the features, the model and the table.
    await upload(stack, 'second', files);
    const run = (await stack.runtime.stores.segments.getRun('second'))!;
    expect(run.status).toBe('succeeded');
    expect(run.counts?.suppressed).toBe(1);
    expect(await stack.runtime.stores.artifacts.getText(artifactKeys.assignments(run.modelVersion!))).not.toContain(person);
    expect(await stack.runtime.stores.segments.getCustomer(person)).toBeUndefined();
    expect((await readAll(await stack.runtime.stores.artifacts.get(artifactKeys.features('second')))).includes(person)).toBe(false);
  } finally {
    await stack.stop();
  }
}, 240_000);

test('with a versioned bucket, older versions that name the person are deleted and the others kept', async () => {
  const stack = await startLocalStack({ dir: join(state, 'emulators'), env });
  try {
    const raw = new VersionedMemoryStore('raw-versioned');
    const withPerson = files[CUSTOMERS];
    const without = Buffer.from(rows(CUSTOMERS).filter((l) => field(l, 1) !== person).join('\n') + '\n');
    raw.put(`incoming/old/${CUSTOMERS}`, withPerson); // v1 names them
    raw.put(`incoming/old/${CUSTOMERS}`, without); //    v2 does not (current)
    raw.put(`incoming/other/${CUSTOMERS}`, without); //  never named them
    const artifacts = new VersionedMemoryStore('artifacts-versioned');
    const report = await forgetCustomer({ raw, artifacts, personalData: stack.runtime.stores.personalData }, person);
    expect(report.versions).toEqual({ 'raw-versioned': 'checked', 'artifacts-versioned': 'checked' });
    expect(report.objects.filter((o) => o.action === 'older version deleted').map((o) => o.where)).toEqual([`s3://raw-versioned/incoming/old/${CUSTOMERS}?versionId=1`]);
    expect(raw.versions.map((v) => `${v.key}@${v.versionId}`)).toEqual([`incoming/old/${CUSTOMERS}@2`, `incoming/other/${CUSTOMERS}@3`]);
  } finally {
    await stack.stop();
  }
}, 120_000);

/** A versioned bucket in memory (s3rver implements no versioning): what forget needs of BlobStore, versions included. */
class VersionedMemoryStore implements ErasableStore {
  versions: (BlobVersion & { bytes: Buffer })[] = [];
  private next = 1;
  constructor(readonly bucket: string) {}
  put(key: string, bytes: Buffer): void {
    for (const v of this.versions) if (v.key === key) v.isLatest = false;
    this.versions.push({ key, versionId: String(this.next++), isLatest: true, deleteMarker: false, size: bytes.length, bytes });
  }
  private latest(key: string) {
    return this.versions.find((v) => v.key === key && v.isLatest)!;
  }
  async list(prefix: string) {
    return this.versions.filter((v) => v.isLatest && v.key.startsWith(prefix)).map((v) => ({ key: v.key, size: v.size, etag: v.versionId }));
  }
  async get(key: string) {
    return Readable.from([this.latest(key).bytes]);
  }
  async getText(key: string) {
    return this.latest(key).bytes.toString('utf8');
  }
  async putStream(key: string, body: Readable) {
    this.put(key, await readAll(body));
    return { key, etag: '' };
  }
  async putJson(key: string, value: unknown) {
    this.put(key, Buffer.from(JSON.stringify(value)));
    return { key, etag: '' };
  }
  async listVersions(prefix: string) {
    return this.versions.filter((v) => v.key.startsWith(prefix));
  }
  async getVersion(key: string, versionId: string) {
    return Readable.from([this.versions.find((v) => v.key === key && v.versionId === versionId)!.bytes]);
  }
  async deleteVersion(key: string, versionId: string) {
    this.versions = this.versions.filter((v) => !(v.key === key && v.versionId === versionId));
  }
}
