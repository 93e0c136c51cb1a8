/**
 * `segments forget --customer ID`: a deletion request (lambdas/pipeline/forget.ts), on the local state of `npm start`
 * (its emulated buckets and table, and its copies in STATE/out and STATE/exports) or, with --aws, on a deployed stack with the
 * operator's credentials. Prints what was removed (the id only on the terminal: the stored report names a tag).
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ID_RULE, isValidId } from '../../core/ids';
import { startEmulators } from '../../local/emulators';
import { forgetCustomer, ForgetDeps, ForgetReport } from '../../pipeline/forget';
import { createStores } from '../../store/config';
import { parse } from '../args';
import { FORGET } from '../specs';
import { UsageError } from '../errors';
import { createProgress } from '../progress';
import { renderTable } from '../table';
import { STORE_ENV } from '../../contract/env';

export async function forgetCommand(argv: string[]): Promise<void> {
  const o = parse(argv, FORGET);
  const id = o.customer!;
  if (!isValidId(id)) throw new UsageError(`--customer ${JSON.stringify(id)}: expected ${ID_RULE} (no export holds another)`);
  const progress = createProgress({ quiet: o.quiet || o.json });
  let report: ForgetReport;
  if (o.aws) {
    const env: Record<string, string | undefined> = { ...process.env, ...(o.region ? { AWS_REGION: o.region } : {}), ...(o.table ? { [STORE_ENV.tableName]: o.table } : {}), ...(o['raw-bucket'] ? { [STORE_ENV.rawBucket]: o['raw-bucket'] } : {}), ...(o['artifacts-bucket'] ? { [STORE_ENV.artifactsBucket]: o['artifacts-bucket'] } : {}) };
    for (const [name, flag] of [[STORE_ENV.tableName, '--table'], [STORE_ENV.rawBucket, '--raw-bucket'], [STORE_ENV.artifactsBucket, '--artifacts-bucket']]) {
      if (!env[name]) throw new UsageError(`--aws needs ${flag} NAME (a stack output) or ${name}`);
    }
    const stores = createStores(env);
    try {
      report = await forgetCustomer({ raw: stores.raw, artifacts: stores.artifacts, personalData: stores.personalData, onProgress: (w) => progress.stage(w) }, id);
    } finally {
      stores.s3.destroy();
      stores.dynamo.destroy();
    }
  } else {
    const state = resolve(o.state ?? FORGET.options.state.default);
    const dir = join(state, 'emulators');
    if (!existsSync(dir)) throw new UsageError(`no local state in ${dir}: run \`npm start\` first, or use --aws`);
    const emulators = await startEmulators({ dir });
    const stores = createStores(emulators.env);
    try {
      report = await forgetCustomer({ raw: stores.raw, artifacts: stores.artifacts, personalData: stores.personalData, localFiles: localCopies([join(state, 'out'), join(state, 'exports')]), onProgress: (w) => progress.stage(w) }, id);
    } finally {
      stores.s3.destroy();
      stores.dynamo.destroy();
      await emulators.stop();
    }
  }
  progress.done();
  if (o.json) process.stdout.write(JSON.stringify({ customer: id, ...report }, null, 2) + '\n');
  else process.stdout.write(describe(id, report) + '\n');
  if (report.unhandled.length) throw new Error(`${report.unhandled.length} object(s) still name ${id} (format not handled): ${report.unhandled.join(', ')}`);
}

/** The files of `npm start`'s output copies (STATE/out/<version>/..., STATE/exports/<version>/...), as the erasure reads and writes them. */
function localCopies(roots: string[]): NonNullable<ForgetDeps['localFiles']> {
  const filesOf = async (root: string) => (existsSync(root) ? (await readdir(root, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name)) : []);
  return {
    list: async () => (await Promise.all(roots.map(filesOf))).flat(),
    read: (path) => readFile(path),
    write: (path, bytes) => writeFile(path, bytes),
  };
}

function describe(id: string, r: ForgetReport): string {
  const lines = [
    `Forgot ${id} (${r.person}): on the suppression list (a salted hash), so every later training leaves them out.`,
    `Identifiers found in the exports: ${r.identifiers.customerIds} customer_id(s), ${r.identifiers.orderIds} order_id(s), ${r.identifiers.reviewIds} review_id(s).`,
    `Table: assignment deleted in ${r.table.versions.length} model version(s)${r.table.versions.length ? ` (${r.table.versions.join(', ')})` : ''}; ${r.table.runRecordsRedacted} run record(s) redacted.`,
    r.objects.length ? renderTable(['object', 'action', 'detail'], r.objects.map((x) => [x.where, x.action, x.detail])) : 'No stored object named them.',
    `Older object versions: ${Object.entries(r.versions).map(([b, v]) => `${b} ${v}`).join('; ')}.`,
    ...(r.table.runsInProgress.length ? [`Runs in progress (${r.table.runsInProgress.join(', ')}) may have read their data before the suppression: run forget again once they end.`] : []),
    `Report stored as ${r.reportKey} (without the id).`,
  ];
  return lines.join('\n');
}
