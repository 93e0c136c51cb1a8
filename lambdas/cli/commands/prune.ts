/**
 * segments models --prune [--keep N] [--dry-run] [--json] [--state DIR]
 * The retention policy (lambdas/core/retention/plan.ts) applied to the local stack's table: deletes old superseded
 * model versions and abandoned drafts, keeps the active version, its rollback target and the N most recent complete
 * versions. Artifacts in the emulated S3 bucket stay. In AWS the scheduled stability function does this itself.
 */
import { join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { createDynamoClient, ENV, loadStoreConfig } from '../../store/config';
import { createSegmentStore } from '../../store/dynamo-segment-store';
import { startEmulators } from '../../local/emulators';
import { runningLocalStack } from '../../local/serve-endpoints';
import { applyRetention } from '../../pipeline/retention';
import { silentLog } from '../../pipeline/log';
import { DEFAULT_RETENTION_POLICY } from '../../core/retention/plan';
import { intOption, Values } from '../args';
import { MODELS } from '../specs';
import { UsageError } from '../errors';
import { renderTable } from '../table';

/** `segments models --prune`, with the options `models` parsed. */
export async function pruneCommand(o: Values<typeof MODELS.options>): Promise<void> {
  if (o.aws) throw new UsageError('--prune works on the local table only: in AWS the scheduled stability function applies the policy');
  const keepVersions = intOption(o.keep, '--keep', 1, 100) ?? DEFAULT_RETENTION_POLICY.keepVersions;
  const state = resolve(o.state ?? '.local');
  const dir = join(state, 'emulators');
  // A stack serving this folder (segments start --serve) holds it: prune through its endpoint.
  const serving = runningLocalStack(state);
  if (!serving && !existsSync(dir)) throw new UsageError(`no local state in ${dir}: run \`npm start\` first`);
  const emulators = serving ? undefined : await startEmulators({ dir });
  const dynamo = createDynamoClient(loadStoreConfig(emulators?.env ?? { [ENV.dynamoEndpoint]: serving!.dynamoEndpoint }));
  try {
    const segments = createSegmentStore({ client: dynamo, tableName: o.table ?? emulators?.tableName ?? serving!.tableName });
    const out = await applyRetention({ segments, log: silentLog }, { keepVersions, dryRun: o['dry-run'] === true });
    if (o.json) {
      process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    } else {
      const deleted = new Map(out.deleted.map((d) => [d.version, d]));
      const skipped = new Map(out.skipped.map((s) => [s.version, s.reason]));
      const failed = new Map(out.failed.map((f) => [f.version, f.error]));
      const rows = [
        ...out.plan.keep.map((d) => [d.version, d.status, 'keep', d.reason]),
        ...out.plan.delete.map((d) => {
          const done = deleted.get(d.version);
          const action = out.dryRun ? 'would delete' : done ? `deleted (${done.deletedAssignments} assignments)` : skipped.has(d.version) ? 'skipped' : failed.has(d.version) ? 'FAILED' : 'deferred';
          return [d.version, d.status, action, skipped.get(d.version) ?? failed.get(d.version) ?? d.reason];
        }),
      ];
      process.stdout.write(
        [
          rows.length ? renderTable(['version', 'status', 'action', 'why'], rows) : 'No model versions.',
          `Policy: keep the active version, its rollback target and the ${keepVersions} most recent complete versions; drafts get ${Math.round(out.plan.policy.draftGraceMs / 3_600_000)} h. S3 artifacts are kept.`,
          out.dryRun ? 'Dry run: nothing was deleted.' : `${out.deleted.length} version(s) deleted.`,
        ].join('\n') + '\n',
      );
    }
    if (out.failed.length) throw new Error(`${out.failed.length} deletion(s) failed: ${out.failed.map((f) => `${f.version}: ${f.error}`).join('; ')}`);
  } finally {
    dynamo.destroy();
    await emulators?.stop();
  }
}
