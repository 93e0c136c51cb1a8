/**
 * `npm start`, the main job: the pipeline of the stack, run locally with no AWS account.
 * Starts the emulated S3 and DynamoDB (state in .local/), uploads a dataset under incoming/<dataset-id>/
 * (default: the generated embedded dataset; --data DIR for a real export), lets the S3 events drive the
 * same handlers as in AWS, waits for the run to finish, prints the segments read back from the table, and
 * copies the run's artifacts to .local/out/ for people to open. Each function runs under its role's IAM policy as
 * synthesized from lib/ (--no-iam turns that off).
 *
 * With --serve the stack keeps running instead (commands/serve.ts): fixed ports, uploads from any client, the
 * stability check on a timer, until Ctrl-C.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { createReadStream } from 'node:fs';
import { generateDataset } from '../../core/generate/generator';
import { ALL_TABLES } from '../../core/olist/tables';
import { datasetPrefix } from '../../pipeline/datasets';
import { startLocalStack } from '../../local/runtime';
import { DEFAULT_CONFIG } from '../../../lib/config';
import { DEFAULT_SERVE_PORTS } from '../../local/serve';
import { runningLocalStack } from '../../local/serve-endpoints';
import { intOption, parse } from '../args';
import { UsageError } from '../errors';
import { serveCommand } from './serve';
import { fmt, renderTable } from '../table';
import { createProgress } from '../progress';

export const START_USAGE =
  'segments start [--data DIR] [--dataset-id ID] [--customers N] [--k N] [--state DIR] [--no-iam] [--logs] [--quiet]\n' +
  '       segments start --serve [--s3-port 4568] [--dynamodb-port 4567] [--events-port 4569] [--schedule 5m|rate(7 days)|off] [--k N] [--state DIR] [--no-iam] [--logs]';

export async function startCommand(argv: string[]): Promise<void> {
  const o = parse(
    argv,
    {
      data: { type: 'string' },
      'dataset-id': { type: 'string' },
      customers: { type: 'string' },
      k: { type: 'string' },
      state: { type: 'string' },
      logs: { type: 'boolean' },
      quiet: { type: 'boolean' },
      'no-iam': { type: 'boolean' },
      serve: { type: 'boolean' },
      's3-port': { type: 'string' },
      'dynamodb-port': { type: 'string' },
      'events-port': { type: 'string' },
      schedule: { type: 'string' },
    },
    START_USAGE,
  );
  const state = resolve(o.state ?? '.local');
  const k = intOption(o.k, '--k', 2, 20);
  const iam = !o['no-iam'];
  if (o.serve) {
    const misplaced = ['data', 'dataset-id', 'customers', 'quiet'].filter((f) => o[f as keyof typeof o] !== undefined);
    if (misplaced.length) throw new UsageError(`--serve takes no --${misplaced.join(', --')}: upload data to the running stack (aws s3 cp, see the printed lines)\nusage: ${START_USAGE}`);
    const schedule = scheduleOption(o.schedule);
    const port = (flag: 's3-port' | 'dynamodb-port' | 'events-port', fallback: number) => intOption(o[flag], `--${flag}`, 0, 65535) ?? fallback;
    return serveCommand({
      state,
      ports: { s3: port('s3-port', DEFAULT_SERVE_PORTS.s3), dynamodb: port('dynamodb-port', DEFAULT_SERVE_PORTS.dynamodb), events: port('events-port', DEFAULT_SERVE_PORTS.events) },
      scheduleMs: schedule?.ms,
      scheduleLabel: schedule?.label,
      iam,
      env: k ? { FIXED_K: String(k) } : {},
      logs: o.logs,
    });
  }
  const serving = ['s3-port', 'dynamodb-port', 'events-port', 'schedule'].filter((f) => o[f as keyof typeof o] !== undefined);
  if (serving.length) throw new UsageError(`--${serving.join(', --')} only apply with --serve\nusage: ${START_USAGE}`);
  const running = runningLocalStack(state);
  if (running) throw new UsageError(`a local stack is serving ${state} (pid ${running.pid}): upload to it (aws s3 cp ... s3://${running.rawBucket}/incoming/<id>/), or stop it first`);
  const customers = intOption(o.customers ?? '20000', '--customers', 100)!;
  const say = (line: string) => !o.quiet && process.stdout.write(line + '\n');
  const progress = createProgress({ quiet: o.quiet });
  const started = Date.now();

  let data = o.data ? resolve(o.data) : join(state, 'data', `generated-${customers}-seed1`);
  if (!o.data && !existsSync(join(data, 'olist_orders_dataset.csv'))) {
    say(`Generating the embedded default dataset (${fmt.int(customers)} customers, seed 1) into ${data}`);
    await generateDataset({ customers, seed: 1, outDir: data, onProgress: (d, t) => progress.update('generating', d, t, 'customers') });
    progress.done();
  }
  const files = readdirSync(data).filter((f) => ALL_TABLES.some((t) => t.file === f));
  const datasetId = o['dataset-id'] ?? datasetIdOf(data, files);

  const stack = await startLocalStack({ dir: join(state, 'emulators'), logs: o.logs, env: k ? { FIXED_K: String(k) } : {}, iam });
  try {
    const { raw, artifacts, segments } = stack.runtime.stores;
    say(`Local stack: S3 ${stack.emulators.s3Endpoint} (buckets ${stack.emulators.rawBucket}, ${stack.emulators.artifactsBucket}), DynamoDB ${stack.emulators.dynamoEndpoint} (table ${stack.emulators.tableName}); state in ${stack.emulators.dir}`);
    say(`Uploading ${files.length} tables to s3://${raw.bucket}/${datasetPrefix(datasetId)}`);
    // Uploaded one after the other: each upload is an S3 event; processing starts when the last table lands.
    for (const [i, f] of files.entries()) {
      progress.update('uploading', i, files.length, 'files');
      await raw.putStream(datasetPrefix(datasetId) + f, createReadStream(join(data, f)), { contentLength: statSync(join(data, f)).size, contentType: 'text/csv' });
    }
    progress.stage('ingest and training running (S3 event -> ingest -> train -> DynamoDB)');
    await stack.idle();
    progress.done();
    const run = await segments.getRun(datasetId);
    if (stack.failures.length || !run || run.status !== 'succeeded') {
      const reasons = [...(run?.reasons ?? []), ...stack.failures.map((f) => `${f.source}: ${(f.error as Error).message ?? f.error}`)];
      if (run?.status === 'succeeded' || (run && !reasons.length)) say(`Dataset ${datasetId} was already processed (run ${run.status}); use --dataset-id to process it again.`);
      else throw new Error(`dataset ${datasetId}: run ${run?.status ?? 'missing'}${reasons.length ? `: ${reasons.join('; ')}` : ''}`);
    }
    const active = await segments.getActiveModel();
    if (!active) throw new Error('no active model after the run');
    const model = active.record.model;
    const list = await segments.listSegments();
    say('');
    say(`Active model ${model.version}: ${fmt.int(model.customers)} customers in ${model.k} segments (silhouette ${fmt.num(model.metrics.silhouette, 3)}), as of ${model.asOf.slice(0, 10)}`);
    say(renderTable(['id', 'segment', 'customers', 'share', 'orders', 'spend', 'review'], list.map((s) => [s.id, s.name, fmt.int(s.size), fmt.pct(s.share), fmt.num(s.profile.frequency.mean), fmt.brl(s.profile.monetary.mean), fmt.num(s.profile.reviewScore.mean)]), { maxWidth: [3, 48] }));
    say('');
    say('Recommended actions:');
    for (const s of list) say(`  ${s.id}. ${s.name}: ${s.action}`);

    // Copy the run's artifacts out of the emulated bucket for people to open.
    const out = join(state, 'out', model.version);
    await mkdir(out, { recursive: true });
    const keys = (await artifacts.list(`models/${model.version}/`)).concat(await artifacts.list(`reports/${model.version}/`));
    for (const obj of keys) {
      const dest = join(out, obj.key.split('/').slice(2).join('/'));
      await mkdir(resolve(dest, '..'), { recursive: true });
      await writeFile(dest, await streamToBuffer(await artifacts.get(obj.key)));
    }
    say('');
    say(`Outputs: ${out} (${keys.map((k2) => basename(k2.key)).join(', ')}); also in s3://${artifacts.bucket}/models/${model.version}/`);
    const reports = keys.filter((k2) => k2.key.endsWith('.html')).map((k2) => join(out, k2.key.split('/').slice(2).join('/')));
    if (reports.length) say(`Reports: ${reports.find((r) => r.endsWith('index.html')) ?? reports[0]}`);
    if (stack.iam) {
      const { decided, denials } = stack.iam;
      say(`IAM: ${decided.length} distinct requests of the functions checked against their roles as synthesized from lib/, ${denials.length} denied${denials.length ? ':' : ''}`);
      for (const d of denials) say(`  DENIED ${d.fn}: ${d.action} on ${d.resource}`);
    }
    say(`Query it: npx segments segments | npx segments query --segment 0 --limit 5 (state ${state}); done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    await stack.stop();
  }
}

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * --schedule: `30s`, `5m`, `2h`, `7d`, or the stack's own `rate(N minutes|hours|days)`; `off` for no timer. Default: the
 * stack's schedule (lib/config.ts, rate(7 days)), so that an unattended local stack behaves as deployed.
 */
export function scheduleOption(value: string | undefined): { ms: number; label: string } | undefined {
  const given = (value ?? DEFAULT_CONFIG.scheduleRate).trim();
  if (given === 'off') return undefined;
  const short = /^(\d+)\s*([smhd])$/.exec(given);
  const rate = /^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$/.exec(given);
  const n = Number(short?.[1] ?? rate?.[1]);
  const unit = short ? (short[2] as keyof typeof UNIT_MS) : rate ? (rate[2][0] as keyof typeof UNIT_MS) : undefined;
  if (!unit || !Number.isInteger(n) || n < 1) throw new UsageError(`--schedule expects 30s, 5m, 2h, 7d, rate(7 days) or off, got "${given}" (cron expressions run only in AWS)`);
  const ms = n * UNIT_MS[unit];
  // setInterval holds 2^31-1 ms (24.8 days); the stack allows longer rates, which would fire at once locally.
  if (ms > 2 ** 31 - 1) throw new UsageError(`--schedule ${given}: at most 24 days locally`);
  return { ms, label: given };
}

/** A dataset id from the folder name and the files' names and sizes: the same data gets the same id. */
function datasetIdOf(dir: string, files: string[]): string {
  const h = createHash('sha256');
  for (const f of [...files].sort()) h.update(`${f}:${statSync(join(dir, f)).size}\n`);
  const name = basename(dir).replace(/[^A-Za-z0-9._=-]/g, '-').slice(0, 60) || 'dataset';
  return `${name}-${h.digest('hex').slice(0, 8)}`;
}

async function streamToBuffer(s: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
  return Buffer.concat(chunks);
}
