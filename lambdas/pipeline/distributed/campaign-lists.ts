/**
 * The campaign lists of a model trained on the distributed path: the same files as a single training writes
 * (lambdas/pipeline/exports.ts, core/model/campaignList.ts), built at any size without holding a list whole.
 *
 * Each writer, once its partition is complete, writes one part per segment of that partition's members, already in
 * the campaign order (work/<run>/exports/<segment>/p-<p>.csv). The activation then merges each segment's parts (a
 * k-way merge on a heap: one row per part in memory, streamed from S3 to S3) into exports/<version>/segment-<id>.csv
 * and writes the manifest last. The order is total (spend in cents descending, then id descending), so the file is
 * byte for byte the one writeCampaignLists writes for the same people.
 *
 * A part is a CSV (so that a deletion request, which rewrites every CSV under work/ without the person's rows, handles
 * it like any other work file) of three columns: the customer's spend as stored in the assignment (the sort key, at full
 * precision), their id (the tie-break) and the finished record of the list, quoted.
 */
import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { PriorityQueue } from '@datastructures-js/priority-queue';
import { CsvSyntaxError, CsvTokenizer } from '../../core/csv/tokenizer';
import { csvRecord } from '../../core/csv/writer';
import { csvLine } from '../../core/distributed/shuffle';
import { CAMPAIGN_COLUMNS, campaignOrder, campaignRow, type CampaignCustomer, type CampaignManifest } from '../../core/model/campaignList';
import type { CustomerAssignment, SegmentModel } from '../../core/domain/types';
import type { BlobStore } from '../../store/blob-store';
import { putCampaignFile, putCampaignManifest } from '../exports';

export const CAMPAIGN_PART_COLUMNS = ['monetary', 'customer_unique_id', 'record'] as const;
const PART_HEADER = CAMPAIGN_PART_COLUMNS.join(',');
/** Records per chunk of a part or a merged list (a few hundred KB). */
const LINES_PER_CHUNK = 2000;

/** A row of a part: its sort key and the list's record (without its line end). */
interface PartRow extends CampaignCustomer {
  record: string;
}

const monetaryText = (v: number | undefined) => (v === undefined ? '' : String(v));
const monetaryOf = (text: string) => (text === '' ? undefined : Number(text));

/**
 * One partition's part of every segment's list, each sorted in the campaign order; returns the rows per segment id
 * (segments without members in the partition have no part). `keyOf` names a segment's part.
 */
export async function writeCampaignParts(store: Pick<BlobStore, 'putStream'>, keyOf: (segmentId: number) => string, model: SegmentModel, assignments: readonly CustomerAssignment[]): Promise<Record<string, number>> {
  const bySegment = new Map(model.segments.map((s) => [s.id, { segment: s, rows: [] as number[] }]));
  assignments.forEach((a, i) => {
    const entry = bySegment.get(a.segmentId);
    if (!entry) throw new Error(`assignment of ${a.customerId}: segment ${a.segmentId} is not a segment of model ${model.version}`);
    entry.rows.push(i);
  });
  const counts: Record<string, number> = {};
  for (const { segment, rows } of bySegment.values()) {
    if (!rows.length) continue;
    rows.sort((a, b) => campaignOrder(assignments[a], assignments[b]));
    const chunks = function* () {
      let chunk = PART_HEADER + '\n';
      for (const [n, i] of rows.entries()) {
        const a = assignments[i];
        chunk += csvLine([monetaryText(a.features.monetary), a.customerId, csvRecord(campaignRow(a, segment)).slice(0, -1)]) + '\n';
        if ((n + 1) % LINES_PER_CHUNK === 0) {
          yield chunk;
          chunk = '';
        }
      }
      if (chunk) yield chunk;
    };
    await store.putStream(keyOf(segment.id), Readable.from(chunks()), { contentType: 'text/csv' });
    counts[segment.id] = rows.length;
  }
  return counts;
}

/** The rows of one part as they stream from the store, checked to be in the campaign order. */
async function* partRows(store: Pick<BlobStore, 'get' | 'bucket'>, key: string): AsyncGenerator<PartRow> {
  const source = `s3://${store.bucket}/${key}`;
  let header = true;
  let ready: PartRow[] = [];
  let last: PartRow | undefined;
  const tokenizer = new CsvTokenizer((fields, count) => {
    if (header) {
      if (fields.slice(0, count).join(',') !== PART_HEADER) throw new Error(`${source}: line 1: expected the header "${PART_HEADER}", got "${fields.slice(0, count).join(',')}"`);
      header = false;
      return;
    }
    if (count !== CAMPAIGN_PART_COLUMNS.length) throw new Error(`${source}: expected ${CAMPAIGN_PART_COLUMNS.length} fields in a row, got ${count}`);
    const row: PartRow = { customerId: fields[1], features: { monetary: monetaryOf(fields[0]) }, record: fields[2] };
    if (last && campaignOrder(last, row) > 0) throw new Error(`${source}: customer ${row.customerId} is out of the campaign order (after ${last.customerId})`);
    last = row;
    ready.push(row);
  });
  const decoder = new StringDecoder('utf8');
  const drain = function* () {
    const rows = ready;
    ready = [];
    yield* rows;
  };
  const tokenize = (text: string, last = false) => {
    try {
      tokenizer.push(text);
      if (last) tokenizer.end();
    } catch (err) {
      if (err instanceof CsvSyntaxError) throw new Error(`${source}: unreadable CSV (${err.message})`);
      throw err;
    }
  };
  for await (const chunk of await store.get(key)) {
    tokenize(decoder.write(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string)));
    yield* drain();
  }
  tokenize(decoder.end(), true);
  yield* drain();
  if (header) throw new Error(`${source}: expected a header line, got an empty object`);
}

/** The parts' rows merged in the campaign order, as the list's text (header first); `tally.rows` counts them. */
async function* mergedList(store: Pick<BlobStore, 'get' | 'bucket'>, partKeys: readonly string[], tally: { rows: number }): AsyncGenerator<string> {
  const heads = new PriorityQueue<{ row: PartRow; rest: AsyncGenerator<PartRow> }>((a, b) => campaignOrder(a.row, b.row));
  for (const key of partKeys) {
    const rest = partRows(store, key);
    const first = await rest.next();
    if (!first.done) heads.enqueue({ row: first.value, rest });
  }
  let chunk = csvRecord(CAMPAIGN_COLUMNS);
  let lines = 1;
  while (!heads.isEmpty()) {
    const head = heads.dequeue()!;
    chunk += head.row.record + '\n';
    tally.rows++;
    if (++lines >= LINES_PER_CHUNK) {
      yield chunk;
      chunk = '';
      lines = 0;
    }
    const next = await head.rest.next();
    if (!next.done) heads.enqueue({ row: next.value, rest: head.rest });
  }
  if (chunk) yield chunk;
}

/**
 * Every segment's list from its parts (`parts`: segment id -> keys of its parts; a segment without any gets a header
 * only), then the manifest. `expectedRows`: the writers' count per segment, which each merged list must match.
 */
export async function joinCampaignLists(
  store: Pick<BlobStore, 'get' | 'bucket' | 'putStream' | 'putJson'>,
  model: SegmentModel,
  parts: ReadonlyMap<number, readonly string[]>,
  expectedRows: Record<string, number>,
  now: Date = new Date(),
): Promise<{ key: string; manifest: CampaignManifest }> {
  const files = [];
  for (const segment of model.segments) {
    const tally = { rows: 0 };
    const file = await putCampaignFile(store, model, segment, mergedList(store, parts.get(segment.id) ?? [], tally), 0);
    if (tally.rows !== (expectedRows[segment.id] ?? 0)) throw new Error(`campaign list of segment ${segment.id} (model ${model.version}): ${tally.rows} rows merged from its parts, ${expectedRows[segment.id] ?? 0} assignments written`);
    files.push({ ...file, rows: tally.rows });
  }
  return putCampaignManifest(store, model, files, now);
}
