/**
 * `npm start`, the main job: the pipeline of the stack, run locally with no AWS account.
 * Starts the emulated S3 and DynamoDB (state in .local/), uploads a dataset under incoming/<dataset-id>/
 * (default: the generated embedded dataset; --data DIR for a real export), lets the S3 events drive the
 * same handlers as in AWS, waits for the run to finish, prints the segments read back from the table, and
 * copies the run's artifacts to .local/out/ for people to open.
 *
 * It always says what became of the dataset it was given (processed now, processed earlier, or processed but
 * superseded by a model of newer data) and which model is active and from which dataset, since the local state
 * outlives a run: `--fresh` starts from an empty one. Each function runs under its role's IAM policy as synthesized
 * from lib/ (--no-iam turns that off).
 *
 * With --serve the stack keeps running instead (commands/serve.ts): fixed ports, uploads from any client, the
 * stability check on a timer, until Ctrl-C.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import { generateDataset } from '../../core/generate/generator';
import { ALL_TABLES } from '../../core/olist/tables';
import { PROVENANCE_FILES } from '../../core/olist/provenance';
import { datasetPrefix, RETRAIN_MARK, reservedDatasetIdReason } from '../../pipeline/datasets';
import { startLocalStack } from '../../local/runtime';
import type { RunRecord, RunRoute } from '../../store/segment-store';
import type { IngestOutcome } from '../../pipeline/ingest';
import { FUNCTION_ENV, ROUTE_ENV } from '../../contract/env';
import { DEFAULT_CONFIG } from '../../../lib/config';
import { DEFAULT_SERVE_PORTS } from '../../local/serve';
import { runningLocalStack } from '../../local/serve-endpoints';
import { dataDirOption, intOption, parse } from '../args';
import { UsageError } from '../errors';
import { START } from '../specs';
import { exportKeys } from '../../pipeline/exports';
import { serveCommand } from './serve';
import { fmt, renderTable } from '../table';
import { createProgress } from '../progress';

/** Run statuses after which uploading the same dataset again does nothing (lambdas/pipeline/ingest.ts). */
const FINAL: ReadonlySet<RunRecord['status']> = new Set(['succeeded', 'rejected', 'superseded']);

export async function startCommand(argv: string[]): Promise<void> {
  const o = parse(argv, START);
  const state = resolve(o.state ?? START.options.state.default);
  const k = intOption(o.k, '--k', 2, 20);
  const iam = !o['no-iam'];
  const above = intOption(o['distributed-above'], '--distributed-above', 0);
  const functionEnv: Record<string, string> = { ...(k ? { [FUNCTION_ENV.fixedK]: String(k) } : {}), ...(above !== undefined ? { [ROUTE_ENV.above]: String(above) } : {}) };
  if (o.serve) {
    // (--customers has a default, so it cannot be told apart from an absent one: it is simply unused with --serve.)
    const misplaced = ['data', 'dataset-id', 'quiet', 'fresh'].filter((f) => o[f as keyof typeof o] !== undefined);
    if (misplaced.length) throw new UsageError(`--serve takes no --${misplaced.join(', --')}: upload data to the running stack (aws s3 cp, see the printed lines)`);
    const schedule = scheduleOption(o.schedule);
    const port = (flag: 's3-port' | 'dynamodb-port' | 'events-port', fallback: number) => intOption(o[flag], `--${flag}`, 0, 65535) ?? fallback;
    return serveCommand({
      state,
      ports: { s3: port('s3-port', DEFAULT_SERVE_PORTS.s3), dynamodb: port('dynamodb-port', DEFAULT_SERVE_PORTS.dynamodb), events: port('events-port', DEFAULT_SERVE_PORTS.events) },
      scheduleMs: schedule?.ms,
      scheduleLabel: schedule?.label,
      iam,
      env: functionEnv,
      logs: o.logs,
    });
  }
  const serving = ['s3-port', 'dynamodb-port', 'events-port', 'schedule'].filter((f) => o[f as keyof typeof o] !== undefined);
  if (serving.length) throw new UsageError(`--${serving.join(', --')} only apply with --serve`);
  const running = runningLocalStack(state);
  if (running) throw new UsageError(`a local stack is serving ${state} (pid ${running.pid}): upload to it (aws s3 cp ... s3://${running.rawBucket}/incoming/<id>/), or stop it first`);
  const customers = intOption(o.customers ?? START.options.customers.default, '--customers', 100)!;
  const given = o.data !== undefined ? dataDirOption(o.data, '--data', START.name) : undefined;
  const say = (line: string) => !o.quiet && process.stdout.write(line + '\n');
  const progress = createProgress({ quiet: o.quiet });
  const started = Date.now();

  if (o.fresh) {
    // Only what the runs wrote: the emulators' buckets and table, and the copied outputs. Generated data stays.
    for (const sub of ['emulators', 'out', 'exports']) await rm(join(state, sub), { recursive: true, force: true });
    say(`Fresh start: emptied the local state in ${state} (emulated S3 buckets, DynamoDB table, outputs; generated data kept)`);
  }

  const data = given ? resolve(given) : join(state, 'data', `generated-${customers}-seed1`);
  if (!given && !existsSync(join(data, 'olist_orders_dataset.csv'))) {
    say(`Generating the embedded default dataset (${fmt.int(customers)} customers, seed 1) into ${data}`);
    await generateDataset({ customers, seed: 1, outDir: data, onProgress: (d, t) => progress.update('generating', d, t, 'customers') });
    progress.done();
  }
  const files = readdirSync(data).filter((f) => ALL_TABLES.some((t) => t.file === f));
  const datasetId = o['dataset-id'] ?? datasetIdOf(data, files);
  // The stack would reject it (same message): said before anything is started or uploaded.
  const reserved = o['dataset-id'] === undefined ? undefined : reservedDatasetIdReason(datasetId);
  if (reserved) throw new UsageError(reserved);
  const what = given ? `the export in ${given}` : `the generated default dataset, ${fmt.int(customers)} customers, seed 1`;

  const stack = await startLocalStack({ dir: join(state, 'emulators'), logs: o.logs, env: functionEnv, iam });
  try {
    const { raw, artifacts, segments } = stack.runtime.stores;
    say(`Local stack: S3 ${stack.emulators.s3Endpoint} (buckets ${stack.emulators.rawBucket}, ${stack.emulators.artifactsBucket}), DynamoDB ${stack.emulators.dynamoEndpoint} (table ${stack.emulators.tableName}); state in ${stack.emulators.dir}`);

    const earlier = await segments.getRun(datasetId);
    const processedEarlier = earlier !== undefined && FINAL.has(earlier.status);
    if (!processedEarlier) {
      say(`Uploading ${what} as dataset ${datasetId}: ${files.length} tables to s3://${raw.bucket}/${datasetPrefix(datasetId)}`);
      // The export's provenance notes first (they never start processing), for the reports to tell their readers.
      for (const f of PROVENANCE_FILES.filter((p) => existsSync(join(data, p))))
        await raw.putStream(datasetPrefix(datasetId) + f, createReadStream(join(data, f)), { contentLength: statSync(join(data, f)).size, contentType: 'text/plain' });
      // Uploaded one after the other: each upload is an S3 event; processing starts when the last table lands.
      for (const [i, f] of files.entries()) {
        progress.update('uploading', i, files.length, 'files');
        await raw.putStream(datasetPrefix(datasetId) + f, createReadStream(join(data, f)), { contentLength: statSync(join(data, f)).size, contentType: 'text/csv' });
      }
      progress.stage('ingest and training running (S3 event -> ingest -> train or the distributed path -> DynamoDB)');
      const started = stack.onInvocation((info) => {
        const routed = info.fn === 'ingest' && (info.result as IngestOutcome[] | undefined)?.find((r) => r.status === 'routed');
        if (routed && routed.status === 'routed') progress.stage(`distributed path running (execution ${routed.execution}, the state machine's definition in the local interpreter)`);
      });
      await stack.idle();
      started();
      progress.done();
    }
    const run = await segments.getRun(datasetId);
    if (!run || stack.failures.length || !FINAL.has(run.status) || run.status === 'rejected') {
      const reasons = [...(run?.reasons ?? []), ...stack.failures.map((f) => `${f.source}: ${(f.error as Error).message ?? f.error}`)];
      const when = processedEarlier ? ` (rejected earlier, ${run?.updatedAt.slice(0, 16).replace('T', ' ')} UTC; the same data is not processed again)` : '';
      throw new Error(`dataset ${datasetId}: run ${run?.status ?? 'missing'}${when}${reasons.length ? `: ${reasons.join('; ')}` : ''}`);
    }

    const active = await segments.getActiveModel();
    if (!active) throw new Error('no active model after the run');
    const model = active.record.model;
    const list = await segments.listSegments();
    const activeFrom = active.record.runId;
    say('');
    say(datasetOutcome(run, datasetId, what, processedEarlier, model.version));
    if (run.route) say(routeLine(run.route));
    say(
      `Active model ${model.version}: ${fmt.int(model.people ?? model.customers)} people, ${fmt.int(model.customers)} customers in ${model.k} clustered segments and ${fmt.int((model.people ?? model.customers) - model.customers)} without a delivered order in rule segments, data as of ${model.asOf.slice(0, 10)}, from dataset ${activeFrom ?? '(unknown)'}${activeFrom && activeFrom !== datasetId ? ` (not ${datasetId}: npm start -- --fresh starts afresh)` : ''}`,
    );
    say(
      renderTable(
        ['id', 'segment', 'customers', 'share', 'mean orders', 'median spend', 'mean review'],
        list.map((s) => [s.id, s.name, fmt.int(s.size), fmt.pct(s.share), fmt.num(s.profile.frequency.mean), fmt.brl(s.profile.monetary.median), fmt.num(s.profile.reviewScore.mean)]),
        { maxWidth: [3, 48] },
      ),
    );
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
    // The campaign lists as in the bucket, at STATE/exports/<version>/: the segment cards (out/<version>/) link to
    // ../../exports/<version>/, the same relative place as in the bucket.
    const lists = await artifacts.list(exportKeys.dir(model.version));
    for (const obj of lists) {
      const dest = join(state, obj.key);
      await mkdir(resolve(dest, '..'), { recursive: true });
      await writeFile(dest, await streamToBuffer(await artifacts.get(obj.key)));
    }
    const reports = keys.filter((k2) => k2.key.endsWith('.html')).map((k2) => join(out, k2.key.split('/').slice(2).join('/')));
    const index = reports.find((r) => r.endsWith('index.html')) ?? reports[0];
    const example = [...list].sort((a, b) => b.size - a.size)[0];
    const stateFlag = resolve(START.options.state.default) === state ? '' : ` --state ${relativeOr(state)}`;
    say('');
    say(`Outputs: ${out} (${keys.map((k2) => basename(k2.key)).join(', ')}); also in s3://${artifacts.bucket}/models/${model.version}/`);
    if (stack.iam) {
      const { decided, denials } = stack.iam;
      say(`IAM: ${decided.length} distinct requests of the functions checked against their roles as synthesized from lib/, ${denials.length} denied${denials.length ? ':' : ''}`);
      for (const d of denials) say(`  DENIED ${d.fn}: ${d.action} on ${d.resource}`);
    }
    say('Next:');
    if (index) say(`  the reports:           ${index}`);
    say(`  the segments:          npx segments segments${stateFlag}`);
    if (example) {
      say(`  a customer, and why:   npx segments query --segment ${example.id} --limit 5${stateFlag}, then npx segments query --customer ID${stateFlag}`);
      say(`  a campaign list:       npx segments export --segment ${example.id} --out segment-${example.id}.csv${stateFlag}   ("${example.name}"; every segment's list: ${join(state, exportKeys.dir(model.version))})`);
    }
    if (!given) say(`  your own export:       npm start -- --data DIR${stateFlag}`);
    say(`  start afresh:          npm start -- --fresh${stateFlag}`);
    say(`Done in ${((Date.now() - started) / 1000).toFixed(0)} s.`);
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

/** Which path trained the dataset, and why (the run record's route, lambdas/pipeline/route.ts). */
function routeLine(route: RunRoute): string {
  if (route.path === 'distributed') return `Path: distributed (Step Functions state machine, execution ${route.execution ?? '?'}, run locally from its synthesized definition): ${route.reason}.`;
  return `Path: single function (ingest, then train): ${route.reason}.`;
}

/** One sentence on what became of the dataset given to this run. */
function datasetOutcome(run: RunRecord, datasetId: string, what: string, earlier: boolean, activeVersion: string): string {
  const when = `${run.updatedAt.slice(0, 16).replace('T', ' ')} UTC`;
  const version = run.modelVersion ? `model ${run.modelVersion}` : 'its model';
  if (run.status === 'superseded')
    return `Dataset ${datasetId} (${what}) was processed ${earlier ? `earlier (${when})` : 'now'}, but ${version} is not active: the active model's data is newer.`;
  if (earlier)
    return `Dataset ${datasetId} (${what}) was already processed on ${when} (${version}); nothing to do. --dataset-id NEW processes it again, --fresh starts afresh.`;
  return `Processed dataset ${datasetId} now (${what}): ${run.modelVersion === activeVersion ? `${version} is active` : version}.`;
}

function relativeOr(path: string): string {
  const r = relative(process.cwd(), path);
  return r && !r.startsWith('..') ? r : path;
}

/** A dataset id from the folder name and the files' names and sizes: the same data gets the same id. */
function datasetIdOf(dir: string, files: string[]): string {
  const h = createHash('sha256');
  for (const f of [...files].sort()) h.update(`${f}:${statSync(join(dir, f)).size}\n`);
  // Never the retraining mark (reserved: datasets.ts), whatever the folder is called.
  const name = basename(dir).replace(/[^A-Za-z0-9._=-]/g, '-').slice(0, 60).split(RETRAIN_MARK).join('-retrain_') || 'dataset';
  return `${name}-${h.digest('hex').slice(0, 8)}`;
}

async function streamToBuffer(s: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
  return Buffer.concat(chunks);
}
