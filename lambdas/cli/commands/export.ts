/**
 * `segments export --segment N [--out FILE] [--format csv|jsonl] [--version V]`: a campaign list, every customer of one
 * segment, read from the table page by page (1,000 customers a page, the order of `segments query --segment N`) and
 * written as it arrives, so memory stays the same whatever the segment's size. CSV rows are those of the files the stack
 * writes at activation (core/model/campaignList.ts): for the same customers the bytes are the same.
 * With --out the file is written beside its final name and renamed once complete.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { CAMPAIGN_COLUMNS, campaignRow, FileTally, type CampaignSegment } from '../../core/model/campaignList';
import { csvRecord } from '../../core/csv/writer';
import type { SegmentCustomer } from '../../store/client';
import { intOption, parse } from '../args';
import { EXPORT } from '../specs';
import { UsageError } from '../errors';
import { createProgress } from '../progress';
import { fmt } from '../table';
import { withClient } from './query';

/** Customers per page read from the table (the store's maximum). */
const PAGE = 1000;

export async function exportCommand(argv: string[]): Promise<void> {
  const o = parse(argv, EXPORT);
  const segmentId = intOption(o.segment, '--segment', 0)!;
  const format = o.format ?? EXPORT.options.format.default;
  if (format !== 'csv' && format !== 'jsonl') throw new UsageError(`--format expects csv or jsonl, got "${format}"`);
  if (o.json && !o.out) throw new UsageError('--json prints the summary of a file written with --out (without --out the list itself goes to standard output)');
  const progress = createProgress({ quiet: o.quiet || !o.out });
  await withClient(o, async (client) => {
    // The first page resolves the version (the active one unless --version); its cursor pins it for the others.
    let page = await client.listSegmentCustomers(segmentId, { limit: PAGE, version: o.version, order: 'spendDesc' });
    const version = page.modelVersion;
    if (!version) throw new Error('no active model yet: run `npm start` first');
    const segments = await client.listSegments(version).catch(() => []);
    if (!segments.length) throw new Error(`model version ${version} does not exist; \`segments models\` lists the versions`);
    const segment = segments.find((g) => g.id === segmentId);
    if (!segment) throw new Error(`segment ${segmentId} is not in model ${version}; its segments are ${segments.map((g) => `${g.id} "${g.name}"`).join(', ')}`);

    const path = o.out ? resolve(o.out) : undefined;
    const partial = path ? `${path}.partial-${process.pid}` : undefined;
    const out: NodeJS.WritableStream = partial ? createWriteStream(partial) : process.stdout;
    const tally = new FileTally();
    const write = async (text: string) => {
      if (!out.write(tally.add(text))) await once(out, 'drain');
    };
    let rows = 0;
    try {
      if (format === 'csv') await write(csvRecord(CAMPAIGN_COLUMNS));
      for (;;) {
        let text = '';
        for (const c of page.customers) text += format === 'csv' ? csvRecord(campaignRow(c, segment)) : jsonLine(c, segment);
        await write(text);
        rows += page.customers.length;
        progress.update(`segment ${segmentId}`, rows, segment.size, 'customers');
        if (!page.nextCursor) break;
        page = await client.listSegmentCustomers(segmentId, { limit: PAGE, cursor: page.nextCursor, order: 'spendDesc' });
      }
      if (partial) {
        (out as WriteStream).end();
        await once(out, 'finish');
        await rename(partial, path!);
      }
    } catch (err) {
      if (partial) {
        (out as WriteStream).destroy();
        await rm(partial, { force: true });
      }
      throw err;
    }
    progress.done();
    const summary = { file: path ?? null, modelVersion: version, segment: { id: segment.id, name: segment.name }, format, rows, bytes: tally.bytes, sha256: tally.sha256() };
    if (o.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
    else if (path && !o.quiet) process.stdout.write(`Wrote ${fmt.int(rows)} customers of segment ${segment.id} "${segment.name}" (model ${version}) to ${path} (${fmt.int(tally.bytes)} bytes, sha256 ${summary.sha256.slice(0, 12)}…)\n`);
    else if (!o.quiet) process.stderr.write(`${fmt.int(rows)} customers of segment ${segment.id} "${segment.name}" (model ${version})\n`);
  });
}

/** One JSON line: the customer as the table serves them, with the segment's name and action. */
function jsonLine(c: SegmentCustomer, segment: CampaignSegment): string {
  return JSON.stringify({ customerId: c.customerId, segmentId: segment.id, segmentName: segment.name, action: segment.action, spend: c.spend, features: c.features, reasons: c.reasons, runnerUp: c.runnerUp, margin: c.margin, ...(c.previousSegmentId !== undefined ? { previousSegmentId: c.previousSegmentId } : {}) }) + '\n';
}
