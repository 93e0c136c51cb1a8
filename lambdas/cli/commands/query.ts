/**
 * Reading the segment store the way a marketing app does (through SegmentsClient):
 *   segments query --customer ID | --segment ID [--borderline] [--limit N] [--cursor C] [--order spendDesc|spendAsc]
 *   segments segments            the segments of the active model
 *   segments models              model versions and the stability history
 *   segments models --prune      the retention policy on the local table (commands/prune.ts)
 * Locally (default) the emulated table in --state (.local) is read, through the running stack when `segments start
 * --serve` serves that folder; --aws reads a deployed stack's table
 * (--table NAME, or TABLE_NAME; credentials and region from the usual AWS chain).
 */
import { join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { SegmentsClient } from '../../store/client';
import { createDynamoClient, ENV, loadStoreConfig } from '../../store/config';
import { createSegmentStore } from '../../store/dynamo-segment-store';
import { startEmulators } from '../../local/emulators';
import { runningLocalStack } from '../../local/serve-endpoints';
import { intOption, parse } from '../args';
import { MODELS, QUERY, SEGMENTS } from '../specs';
import { UsageError } from '../errors';
import { fmt, renderTable } from '../table';
import { BORDERLINE_MARGIN } from '../../core/model/margin';
import { whyLine } from '../../core/model/explainText';

type Common = { aws?: boolean; table?: string; region?: string; state?: string };

export async function withClient<T>(o: Common, fn: (client: SegmentsClient) => Promise<T>): Promise<T> {
  if (o.aws) {
    const config = { ...loadStoreConfig(), ...(o.region ? { region: o.region } : {}) };
    const tableName = o.table ?? config.tableName;
    if (!tableName) throw new UsageError('--aws needs --table NAME (the stack output TableName) or TABLE_NAME');
    const dynamo = createDynamoClient({ region: config.region });
    try {
      return await fn(new SegmentsClient(createSegmentStore({ client: dynamo, tableName })));
    } finally {
      dynamo.destroy();
    }
  }
  const state = resolve(o.state ?? '.local');
  // A stack serving this folder (segments start --serve) holds it: read through its endpoint.
  const serving = runningLocalStack(state);
  if (serving) {
    const dynamo = createDynamoClient(loadStoreConfig({ [ENV.dynamoEndpoint]: serving.dynamoEndpoint }));
    try {
      return await fn(new SegmentsClient(createSegmentStore({ client: dynamo, tableName: o.table ?? serving.tableName })));
    } finally {
      dynamo.destroy();
    }
  }
  const dir = join(state, 'emulators');
  if (!existsSync(dir)) throw new UsageError(`no local state in ${dir}: run \`npm start\` first, or use --aws`);
  const emulators = await startEmulators({ dir });
  const dynamo = createDynamoClient(loadStoreConfig(emulators.env));
  try {
    return await fn(new SegmentsClient(createSegmentStore({ client: dynamo, tableName: o.table ?? emulators.tableName })));
  } finally {
    dynamo.destroy();
    await emulators.stop();
  }
}

const print = (json: boolean | undefined, value: unknown, text: () => string) => process.stdout.write((json ? JSON.stringify(value, null, 2) : text()) + '\n');

export async function queryCommand(argv: string[]): Promise<void> {
  const o = parse(argv, QUERY);
  if (!o.customer === !o.segment) throw new UsageError('give exactly one of --customer or --segment; see segments query --help');
  if (o.order && o.order !== 'spendDesc' && o.order !== 'spendAsc') throw new UsageError('--order expects spendDesc or spendAsc');
  if (o.borderline && !o.segment) throw new UsageError('--borderline goes with --segment N; see segments query --help');
  if (o.borderline && o.order !== QUERY.options.order.default) throw new UsageError('--borderline lists the smallest margin first: leave --order out');
  await withClient(o, async (client) => {
    if (o.customer) {
      const c = await client.getCustomerSegment(o.customer);
      if (!c) throw new Error(`customer ${o.customer} is not in the active model`);
      print(o.json, c, () =>
        [
          `${c.customerId}: segment ${c.segment.id} "${c.segment.name}" (model ${c.modelVersion})${c.previousSegmentId !== undefined ? `, previously segment ${c.previousSegmentId}${c.changedSegment ? ' (moved)' : ''}` : ''}`,
          `  ${c.segment.description}`,
          `  action: ${c.segment.action}`,
          `  why: ${whyLine(c.reasons, c.runnerUp, c.margin, BORDERLINE_MARGIN).replace('\n', '\n  ')}`,
          `  features: ${Object.entries(c.features).map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(2)}`).join(', ')}`,
        ].join('\n'),
      );
      return;
    }
    const segmentId = intOption(o.segment, '--segment', 0)!;
    const limit = intOption(o.limit ?? QUERY.options.limit.default, '--limit', 1, 1000);
    const segments = await client.listSegments();
    if (!segments.length) throw new Error('no active model yet: run `npm start` first');
    const segment = segments.find((g) => g.id === segmentId);
    if (!segment) throw new Error(`segment ${segmentId} is not in the active model; its segments are ${segments.map((g) => `${g.id} "${g.name}"`).join(', ')}`);
    if (o.borderline) {
      if (segment.kind === 'rule') throw new Error(`segment ${segmentId} "${segment.name}" is placed by rule: its people have no margin (borderline customers are in the clustered segments)`);
      const page = await client.listBorderlineCustomers(segmentId, { limit, cursor: o.cursor });
      const names = new Map(segments.map((g) => [g.id, g.name]));
      print(o.json, page, () =>
        [
          `Segment ${segment.id} "${segment.name}": borderline customers in model ${page.modelVersion}, smallest margin first (margin below ${BORDERLINE_MARGIN}: nearly as close to the next nearest segment as to their own)`,
          page.customers.length
            ? renderTable(['customer', 'margin', 'next nearest segment', 'reasons', 'spend'], page.customers.map((c) => [c.customerId, fmt.num(c.margin ?? NaN, 4), c.runnerUp === null ? '-' : `${c.runnerUp} ${names.get(c.runnerUp) ?? ''}`, c.reasons.join(', '), fmt.brl(c.spend)]), { maxWidth: [34, 8, 40, 44] })
            : 'none: no customer of this segment is that close to another one',
          page.nextCursor ? `more: --cursor ${page.nextCursor}` : '(last page)',
        ].join('\n'),
      );
      return;
    }
    const page = await client.listSegmentCustomers(segmentId, { limit, cursor: o.cursor, order: (o.order as 'spendDesc' | 'spendAsc') ?? 'spendDesc' });
    print(o.json, page, () =>
      [
        `Segment ${segment.id} "${segment.name}": ${fmt.int(segment.size)} people in model ${page.modelVersion}, ${o.order === 'spendAsc' ? 'lowest' : 'highest'} spend first (spend: total of the customer's payments)`,
        renderTable(['customer', 'spend', 'orders', 'review', 'recency', 'previous'], page.customers.map((c) => [c.customerId, fmt.brl(c.spend), c.features.frequency, fmt.num(c.features.reviewScore), `${Math.round(c.features.recencyDays)} d`, c.previousSegmentId ?? '-'])),
        page.nextCursor ? `more: --cursor ${page.nextCursor}` : '(last page)',
      ].join('\n'),
    );
  });
}

export async function segmentsCommand(argv: string[]): Promise<void> {
  const o = parse(argv, SEGMENTS);
  await withClient(o, async (client) => {
    const list = await client.listSegments();
    if (!list.length) throw new Error('no active model yet');
    print(o.json, list, () =>
      list
        .map((s) => `${s.id}. ${s.name} — ${fmt.int(s.size)} customers (${fmt.pct(s.share)})\n   ${s.description}\n   median spend ${fmt.brl(s.profile.monetary.median)} (mean ${fmt.brl(s.profile.monetary.mean)}), ${fmt.num(s.profile.frequency.mean)} orders on average, mean review ${fmt.num(s.profile.reviewScore.mean)}, ${fmt.pct(s.profile.lateShare.mean, 0)} of orders late\n   action: ${s.action}`)
        .join('\n\n') + `\n\nThe customers of a segment (a campaign list): npx segments query --segment ${list[0].id} --limit 50`,
    );
  });
}

export async function modelsCommand(argv: string[]): Promise<void> {
  const o = parse(argv, MODELS);
  if (o.prune) return (require('./prune') as typeof import('./prune')).pruneCommand(o);
  if (o.keep !== undefined || o['dry-run']) throw new UsageError('--keep and --dry-run go with --prune; see segments models --help');
  await withClient(o, async (client) => {
    const [models, history] = await Promise.all([client.listModelVersions(), client.stabilityHistory(20)]);
    print(o.json, { models, stabilityHistory: history }, () =>
      [
        renderTable(['version', 'status', 'k', 'customers', 'silhouette', 'as of'], models.map((m) => [m.version, m.status, m.k, fmt.int(m.customers), fmt.num(m.metrics.silhouette, 3), m.asOf.slice(0, 10)])),
        '',
        history.length ? renderTable(['checked at', 'model', 'ARI', 'age (d)', 'verdict'], history.map((h) => [h.checkedAt.slice(0, 19), h.modelVersion, h.ari === null ? '-' : fmt.num(h.ari, 3), Math.round(h.ageDays), h.verdict])) : 'No stability check recorded yet.',
      ].join('\n'),
    );
  });
}
