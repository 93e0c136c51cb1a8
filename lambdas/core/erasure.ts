/**
 * Removing one person from a stored object (a deletion request: lambdas/pipeline/forget.ts), whatever the object:
 *
 * - a CSV (raw export tables, assignments.csv, the distributed path's work files): every record whose
 *   customer_unique_id, customer_id, order_id or review_id is one of the person's is dropped; the other records are
 *   kept as they were written (raw text, csv-parse's `raw` record), the line ends becoming LF;
 * - a feature table (features.bin): decoded, the person's rows dropped, encoded again;
 * - any other text (JSON, HTML, notes): each of the person's identifiers, as a whole token, becomes "[erased]" (an error
 *   report quotes the values of a rejected row, a run's reasons too);
 * - anything else that holds one of the identifiers is reported as not handled, never silently kept.
 *
 * The person's identifiers are found in the export itself: their customer_unique_id, the customer_ids of their
 * customers rows, the order_ids of those customers' orders and the review_ids of those orders (`PersonIds`).
 */
import { parseCsvText } from './distributed/shuffle';
import { decodeFeatures, encodeFeatures } from './features/serialize';
import { withoutPeople } from './features/withoutPeople';

export interface PersonIds {
  customerUniqueId: string;
  customerIds: Set<string>;
  orderIds: Set<string>;
  reviewIds: Set<string>;
}

export const ERASED = '[erased]';

export function personIds(customerUniqueId: string): PersonIds {
  return { customerUniqueId, customerIds: new Set(), orderIds: new Set(), reviewIds: new Set() };
}

/** Every identifier of the person, longest first (so that a shorter one never cuts a longer one in redaction). */
export function tokensOf(p: PersonIds): string[] {
  return [p.customerUniqueId, ...p.customerIds, ...p.orderIds, ...p.reviewIds].sort((a, b) => b.length - a.length);
}

/** Whether the bytes hold any of the tokens (a fast first look before anything is parsed). */
export function mentions(bytes: Buffer, tokens: readonly string[]): boolean {
  return tokens.some((t) => bytes.includes(t));
}

/**
 * Widens the person's identifiers with what a CSV links to them: customer_ids of rows with their customer_unique_id,
 * order_ids of rows with one of their customer_ids, review_ids of rows with one of their order_ids. Returns whether
 * anything was added (call again until nothing is: the tables link in that order).
 */
export function collectLinkedIds(text: string, source: string, p: PersonIds): boolean {
  if (!mentions(Buffer.from(text), tokensOf(p))) return false;
  const csv = parseCsvText(text, source);
  const col = (name: string) => csv.columns.indexOf(name);
  const links: [from: number, has: (v: string) => boolean, to: number, into: Set<string>][] = [
    [col('customer_unique_id'), (v) => v === p.customerUniqueId, col('customer_id'), p.customerIds],
    [col('customer_id'), (v) => p.customerIds.has(v), col('order_id'), p.orderIds],
    [col('order_id'), (v) => p.orderIds.has(v), col('review_id'), p.reviewIds],
  ];
  let added = false;
  for (const [from, has, to, into] of links) {
    if (from < 0 || to < 0) continue;
    for (const r of csv.records) {
      const v = r.fields[to];
      if (has(r.fields[from]) && v && !into.has(v)) {
        into.add(v);
        added = true;
      }
    }
  }
  return added;
}

export type ErasureResult = { bytes: Buffer; removed: string } | { unhandled: string } | undefined;

/** The object without the person (undefined: it does not name them). `key` picks the format. */
export function eraseFromObject(key: string, bytes: Buffer, p: PersonIds): ErasureResult {
  const tokens = tokensOf(p);
  if (!mentions(bytes, tokens)) return undefined;
  if (key.endsWith('.bin')) return eraseFromFeatures(key, bytes, p);
  const text = bytes.toString('utf8');
  if (Buffer.byteLength(text) !== bytes.length || text.includes('\uFFFD')) return { unhandled: 'binary object of an unknown format' };
  if (key.endsWith('.csv')) return eraseFromCsv(key, text, p);
  return redact(text, tokens);
}

const ID_COLUMNS = ['customer_unique_id', 'customer_id', 'order_id', 'review_id'] as const;

function eraseFromCsv(key: string, text: string, p: PersonIds): ErasureResult {
  const csv = parseCsvText(text, key);
  const sets: Record<(typeof ID_COLUMNS)[number], Set<string>> = { customer_unique_id: new Set([p.customerUniqueId]), customer_id: p.customerIds, order_id: p.orderIds, review_id: p.reviewIds };
  const checks = ID_COLUMNS.map((name) => [csv.columns.indexOf(name), sets[name]] as const).filter(([i]) => i >= 0);
  const kept = csv.records.filter((r) => !checks.some(([i, set]) => set.has(r.fields[i])));
  const removed = csv.records.length - kept.length;
  // The identifiers may also sit in free text of a kept row (a review comment quoting an order id): redacted there.
  const body = `${csv.header}\n${kept.map((r) => r.raw).join('\n')}${kept.length ? '\n' : ''}`;
  const rest = redact(body, tokensOf(p));
  if (!removed && !rest) return undefined;
  const out = rest && 'bytes' in rest ? rest.bytes : Buffer.from(body);
  return { bytes: out, removed: [removed ? `${removed} row${removed === 1 ? '' : 's'} removed` : '', rest && 'removed' in rest ? rest.removed : ''].filter(Boolean).join(', ') };
}

function eraseFromFeatures(key: string, bytes: Buffer, p: PersonIds): ErasureResult {
  let stored;
  try {
    stored = decodeFeatures(bytes, key);
  } catch {
    return { unhandled: 'a .bin object that is not a feature table' };
  }
  const { table, dropped } = withoutPeople(stored.table, (id) => id === p.customerUniqueId);
  if (!dropped) return { unhandled: 'a feature table that names the person outside its rows' };
  return { bytes: encodeFeatures(table, stored.fingerprint), removed: `${dropped} row${dropped === 1 ? '' : 's'} removed` };
}

/** Each token, as a whole identifier (not inside a longer one), replaced by ERASED. */
function redact(text: string, tokens: readonly string[]): { bytes: Buffer; removed: string } | undefined {
  let count = 0;
  let out = text;
  for (const t of tokens) {
    const re = new RegExp(`(?<![A-Za-z0-9_-])${t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9_-])`, 'g');
    out = out.replace(re, () => {
      count++;
      return ERASED;
    });
  }
  return count ? { bytes: Buffer.from(out), removed: `${count} mention${count === 1 ? '' : 's'} redacted` } : undefined;
}
