/**
 * `segments start --serve` driven as an operator would, with the AWS CLI (Debian's awscli, /usr/bin/aws; .ci/run
 * installs it): the export lines and endpoints.json, `aws s3 cp --recursive` of a generated export to incoming/<id>/
 * (the uploads start ingest and training as deployed, under the roles' IAM policies), `aws dynamodb get-item` on the
 * run record until it succeeds, `segments query` for a customer while the stack runs, a paginated `aws s3 ls
 * --page-size 3` (ListObjectsV2 with continuation tokens), the activation event and the scheduled check in the output,
 * then SIGTERM: the process exits 0, the ports close, endpoints.json and the lock are gone, nothing is left running.
 * Ports are ephemeral (--s3-port 0 ...) so that parallel runs never collide.
 */
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { generateDataset } from '../../lambdas/core/generate/generator';
import type { ServeEndpoints } from '../../lambdas/local/serve-endpoints';

const AWS = '/usr/bin/aws';
const BIN = resolve(__dirname, '../../bin/segments.js');
const work = mkdtempSync(join(tmpdir(), 'segments-serve-'));
const data = join(work, 'data');
const state = join(work, 'state');
let child: ChildProcess;
let output = '';
let endpoints: ServeEndpoints;
let exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

async function run(file: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)(file, args, { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`${file} ${args.join(' ')} failed: ${e.message}\n${e.stderr ?? ''}`);
  }
}

/**
 * The AWS CLI with the printed environment (credentials, region). Debian 12's awscli is 2.9, which predates the
 * AWS_ENDPOINT_URL_<SERVICE> variables (2.13): the endpoint goes in --endpoint-url, as the printed hints show.
 */
const aws = (service: 's3' | 's3api' | 'dynamodb', ...args: string[]) =>
  run(AWS, ['--endpoint-url', service === 'dynamodb' ? endpoints.dynamoEndpoint : endpoints.s3Endpoint, service, ...args], {
    AWS_ENDPOINT_URL_S3: endpoints.s3Endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamoEndpoint,
    AWS_ACCESS_KEY_ID: endpoints.accessKeyId,
    AWS_SECRET_ACCESS_KEY: endpoints.secretAccessKey,
    AWS_DEFAULT_REGION: endpoints.region,
    AWS_REQUEST_CHECKSUM_CALCULATION: 'when_required',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'when_required',
    AWS_CONFIG_FILE: join(work, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(work, 'no-aws-credentials'),
  });

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; output so far:\n${output}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const portOpen = (url: string) =>
  new Promise<boolean>((done) => {
    const socket = connect(Number(new URL(url).port), '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), done(true)));
    socket.once('error', () => done(false));
  });

beforeAll(async () => {
  if (!existsSync(AWS)) throw new Error(`${AWS} not found: install Debian's awscli (apt-get install awscli), as .ci/run does`);
  await generateDataset({ customers: 500, seed: 17, outDir: data });
  child = spawn(process.execPath, [BIN, 'start', '--serve', '--state', state, '--s3-port', '0', '--dynamodb-port', '0', '--events-port', '0', '--schedule', '4s', '--k', '3'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: after it exits, any process it left behind would still be in the group.
    detached: true,
  });
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  exit = new Promise((done) => child.once('exit', (code, signal) => done({ code, signal })));
  await until('the stack to serve', () => (output.includes('Ctrl-C stops') ? true : undefined), 60_000);
  endpoints = JSON.parse(readFileSync(join(state, 'endpoints.json'), 'utf8'));
}, 120_000);

afterAll(async () => {
  if (child?.pid && child.exitCode === null && child.signalCode === null) {
    process.kill(-child.pid, 'SIGKILL'); // the whole group, after a failed test
    await exit;
  }
});

test('prints the lines to paste into a shell and writes the same endpoints as JSON', () => {
  expect(endpoints).toMatchObject({ region: 'us-east-1', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', rawBucket: 'olist-segments-raw', artifactsBucket: 'olist-segments-artifacts', tableName: 'olist-segments', pid: child.pid });
  for (const line of [
    `export AWS_ENDPOINT_URL_S3=${endpoints.s3Endpoint}`,
    `export AWS_ENDPOINT_URL_DYNAMODB=${endpoints.dynamoEndpoint}`,
    'export AWS_ACCESS_KEY_ID=S3RVER',
    'export AWS_SECRET_ACCESS_KEY=S3RVER',
    'export AWS_REGION=us-east-1',
    'export RAW_BUCKET=olist-segments-raw',
    'export ARTIFACTS_BUCKET=olist-segments-artifacts',
    'export TABLE_NAME=olist-segments',
  ]) {
    expect(output.split('\n')).toContain(line);
  }
  expect(endpoints.s3Endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
});

test('an export copied with the AWS CLI is ingested and trained; the run record says succeeded; a customer can be queried', async () => {
  await aws('s3', 'cp', '--recursive', data, `s3://${endpoints.rawBucket}/incoming/cli-upload/`, '--only-show-errors');
  const key = JSON.stringify({ PK: { S: 'RUN#cli-upload' }, SK: { S: 'META' } });
  const record = await until('the run to succeed', async () => {
    const item = JSON.parse((await aws('dynamodb', 'get-item', '--table-name', endpoints.tableName, '--key', key, '--consistent-read')) || '{}').Item;
    if (item?.status?.S === 'failed' || item?.status?.S === 'rejected') throw new Error(`run ${item.status.S}: ${JSON.stringify(item.reasons)}`);
    return item?.status?.S === 'succeeded' ? item : undefined;
  });
  const version = record.modelVersion.S as string;
  const customer = readFileSync(join(data, 'olist_customers_dataset.csv'), 'utf8').split('\n')[1].split(',')[1].replace(/"/g, '');
  const answer = JSON.parse(await run(process.execPath, [BIN, 'query', '--customer', customer, '--state', state, '--json']));
  expect(answer).toMatchObject({ customerId: customer, modelVersion: version });
  expect(answer.segment.name).toEqual(expect.any(String));
  // The activation, as published and as shown.
  await until('the activation event', () => (output.includes(`event "Segmentation model activated" (olist.segments): ${version}`) ? true : undefined), 10_000);
  const published = readFileSync(endpoints.eventsLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  expect(published).toContainEqual(expect.objectContaining({ source: 'olist.segments', 'detail-type': 'Segmentation model activated', detail: expect.objectContaining({ version, datasetId: 'cli-upload' }) }));
  expect(output).toMatch(/train cli-upload: model \S+ is active, k=3/);
}, 180_000);

test('paginated listing works: aws s3 ls --recursive --page-size 3 (ListObjectsV2 continuation tokens)', async () => {
  const listed = (await aws('s3', 'ls', '--recursive', '--page-size', '3', `s3://${endpoints.artifactsBucket}/`)).trim().split('\n');
  const keys = listed.map((l) => l.trim().split(/\s+/).slice(3).join(' '));
  expect(keys.length).toBeGreaterThan(9); // several pages of 3
  expect(keys).toEqual([...keys].sort());
  expect(new Set(keys).size).toBe(keys.length);
  expect(keys).toEqual(expect.arrayContaining([expect.stringMatching(/^models\/.+\/model\.json$/), expect.stringMatching(/^features\/cli-upload\/features\.bin$/)]));
  const v1 = JSON.parse(await aws('s3api', 'list-objects', '--bucket', endpoints.artifactsBucket));
  expect(keys).toEqual(v1.Contents.map((o: { Key: string }) => o.Key));
}, 60_000);

test('the stability check runs on the --schedule timer', async () => {
  await until('a scheduled check', () => (/stability: (ok|drift|overdue)/.test(output) ? true : undefined), 60_000);
}, 90_000);

test('SIGTERM stops it cleanly: exit 0, ports closed, endpoints.json and the lock removed, nothing left running', async () => {
  child.kill('SIGTERM');
  const { code, signal } = await exit;
  expect({ code, signal }).toEqual({ code: 0, signal: null });
  // Nothing left running in its process group (children it started, even reparented ones). A child that exited with it
  // (tsx's esbuild service) may show as a zombie (state Z) for a moment until init reaps it: exited, not running.
  const running = async () =>
    (await run('/usr/bin/ps', ['-eo', 'pid=,pgid=,stat=,args='])).split('\n').filter((l) => {
      const [, pgid, stat] = l.trim().split(/\s+/);
      return pgid === String(child.pid) && !stat.startsWith('Z');
    });
  expect(await running()).toEqual([]);
  expect(output).toMatch(/SIGTERM: stopping/);
  expect(output).toMatch(/stopped\n$/);
  for (const url of [endpoints.s3Endpoint, endpoints.dynamoEndpoint, endpoints.eventsEndpoint]) expect(await portOpen(url)).toBe(false);
  expect(existsSync(join(state, 'endpoints.json'))).toBe(false);
  expect(existsSync(join(state, 'emulators', 'emulators.lock'))).toBe(false);
  // The state stays: the read commands open it again once the stack is gone.
  const models = JSON.parse(await run(process.execPath, [BIN, 'models', '--state', state, '--json']));
  expect(models.models).toHaveLength(1);
}, 60_000);

test('a port in use is one clear line and exit 1, with nothing left behind', async () => {
  const holder = createServer();
  await new Promise<void>((done) => holder.listen(0, '127.0.0.1', done));
  const port = (holder.address() as AddressInfo).port;
  try {
    const other = join(work, 'other-state');
    const result = await promisify(execFile)(process.execPath, [BIN, 'start', '--serve', '--state', other, '--s3-port', String(port), '--dynamodb-port', '0', '--events-port', '0'], { encoding: 'utf8' }).catch((e) => e);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(`segments start: port ${port} on 127.0.0.1 is in use (another local stack?): choose another with --s3-port (0 picks a free one)`);
    expect(existsSync(join(other, 'endpoints.json'))).toBe(false);
    expect(existsSync(join(other, 'emulators', 'emulators.lock'))).toBe(false);
  } finally {
    holder.close();
  }
}, 60_000);
