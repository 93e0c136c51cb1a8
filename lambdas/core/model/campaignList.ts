/**
 * A campaign list: the customers of one segment as the tool that sends the campaign imports them. One format for the
 * files the stack writes at activation (exports/<version>/, lambdas/pipeline/exports.ts) and for `segments export`
 * (lambdas/cli/commands/export.ts), so that both give the same bytes for the same customers.
 *
 * CSV (RFC 4180 and formula neutralisation: core/csv/writer.ts), one row per customer, highest spend first, ties by
 * customer id descending: the order of `segments query --segment N` (the table's GSI1 sort key, read descending).
 *
 *   customer_unique_id   the id to join with the CRM (the export has no e-mail addresses: they stay in the CRM)
 *   segment_id, segment_name, action
 *   recency_days         days since the last purchase (whole days)
 *   orders               delivered orders
 *   spend                total paid, R$ (2 decimals)
 *   review_score         their mean review (1-5, 2 decimals); empty when they never reviewed
 *   margin               how much closer their own segment's centre is than the next nearest (model/explain.ts); empty
 *                        in a rule segment. A campaign can leave out borderline customers (margin below 0.05).
 *   runner_up_segment_id the next nearest segment; empty in a rule segment
 */
import { createHash } from 'node:crypto';
import { csvChunks, type CsvCell } from '../csv/writer';
import type { AssignmentWhy, FeatureVector } from '../domain/types';

export const CAMPAIGN_COLUMNS = ['customer_unique_id', 'segment_id', 'segment_name', 'action', 'recency_days', 'orders', 'spend', 'review_score', 'margin', 'runner_up_segment_id'] as const;

export const CAMPAIGN_ORDER = 'highest spend first, ties by customer id descending (the order of `segments query --segment N`)';

/** What one row needs: a stored assignment, or one about to be stored. */
export interface CampaignCustomer extends Partial<Pick<AssignmentWhy, 'runnerUp' | 'margin'>> {
  customerId: string;
  features: Partial<FeatureVector>;
}

export interface CampaignSegment {
  id: number;
  name: string;
  action: string;
}

const round = (v: number | undefined, digits: number): number | undefined => (v === undefined || !Number.isFinite(v) ? undefined : Math.round(v * 10 ** digits) / 10 ** digits);

export function campaignRow(c: CampaignCustomer, segment: CampaignSegment): CsvCell[] {
  const f = c.features;
  return [c.customerId, segment.id, segment.name, segment.action, round(f.recencyDays, 0), f.frequency, round(f.monetary, 2), round(f.reviewScore, 2), c.margin ?? undefined, c.runnerUp ?? undefined];
}

/** The file as text chunks (header first), lazily: rows are produced as the chunks are consumed. */
export function campaignCsv(customers: Iterable<CampaignCustomer>, segment: CampaignSegment, linesPerChunk = 2000): Generator<string> {
  return csvChunks(CAMPAIGN_COLUMNS, rowsOf(customers, segment), linesPerChunk);
}

function* rowsOf(customers: Iterable<CampaignCustomer>, segment: CampaignSegment): Generator<CsvCell[]> {
  for (const c of customers) yield campaignRow(c, segment);
}

/** Spend in whole cents: the precision of the order (the table's sort key is the same). */
const cents = (c: CampaignCustomer) => Math.round((c.features.monetary ?? 0) * 100);

/** The campaign order (CAMPAIGN_ORDER). Ids obey the id rule (ASCII), so code-unit order is DynamoDB's byte order. */
export function campaignOrder(a: CampaignCustomer, b: CampaignCustomer): number {
  return cents(b) - cents(a) || (a.customerId < b.customerId ? 1 : a.customerId > b.customerId ? -1 : 0);
}

/** One file of the campaign lists in the manifest. */
export interface CampaignFile {
  segmentId: number;
  name: string;
  kind: 'cluster' | 'rule';
  action: string;
  /** Object key in the artifacts bucket. */
  key: string;
  /** Customers (rows after the header). */
  rows: number;
  bytes: number;
  /** SHA-256 of the file's bytes, hex. */
  sha256: string;
}

/** exports/<version>/manifest.json: written last, so a manifest means every file it lists is complete. */
export interface CampaignManifest {
  format: 'segments-campaign-lists';
  formatVersion: 1;
  modelVersion: string;
  /** The data the model was trained on ends here. */
  asOf: string;
  writtenAt: string;
  columns: string[];
  order: string;
  /** What margin means, and the threshold below which a customer is borderline. */
  margin: { rule: string; borderlineBelow: number };
  files: CampaignFile[];
  /** Total rows over the files. */
  rows: number;
  /** Set when a deletion request rewrote files (their counts and checksums are updated then). */
  updatedAt?: string;
}

/** Bytes, rows and checksum of a file as it is produced. */
export class FileTally {
  private readonly hash = createHash('sha256');
  bytes = 0;
  lines = 0;

  add(chunk: string): Buffer {
    const buf = Buffer.from(chunk, 'utf8');
    this.hash.update(buf);
    this.bytes += buf.length;
    return buf;
  }

  sha256(): string {
    return this.hash.digest('hex');
  }
}

export const sha256Hex = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
