/**
 * A feature table as one binary object, the hand-off from the ingest function to the train function:
 * [u32 header length][header JSON][blocks...], the header listing each block's byte length:
 *   values          float64, rows x features          firstPurchase   float64, rows
 *   uncountedValues float64, uncounted x features     uncountedGroups uint8, uncounted
 *   customerIds     JSON array of strings             uncountedIds    JSON array of strings
 *   uncountedPromise float64, uncounted (optional: tables written before it existed have none; NaN = unknown)
 * Typed arrays go through as raw bytes (a million customers: ~80 MB, no JSON number formatting). Ids are JSON
 * strings, so no character an id may hold (a newline, a quote, a comma) can shift a row.
 */
import { FEATURE_NAMES } from '../domain/types';
import { createMatrix } from '../util/matrix';
import { FeatureTable, SERVICE_GROUPS } from './customerFeatures';

const BLOCKS = ['values', 'firstPurchase', 'uncountedValues', 'uncountedGroups', 'customerIds', 'uncountedIds'] as const;
/** Blocks added later, after the required ones: a reader takes them when the header lists them. */
const OPTIONAL_BLOCKS = ['uncountedPromise'] as const;
type Block = (typeof BLOCKS)[number] | (typeof OPTIONAL_BLOCKS)[number];

interface Header {
  format: 'segments-features';
  version: 2;
  features: string[];
  serviceGroups: string[];
  rows: number;
  uncounted: number;
  asOf: number;
  fingerprint: string;
  notCounted: number;
  customersWithOrders: number;
  bytes: Record<(typeof BLOCKS)[number], number> & Partial<Record<(typeof OPTIONAL_BLOCKS)[number], number>>;
}

export interface StoredFeatures {
  table: FeatureTable;
  fingerprint: string;
}

const bytesOf = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

export function encodeFeatures(table: FeatureTable, fingerprint: string): Buffer {
  const u = table.uncounted;
  const blocks: Record<Block, Buffer> = {
    values: bytesOf(table.values.data),
    firstPurchase: bytesOf(table.firstPurchase),
    uncountedValues: bytesOf(u.values.data),
    uncountedGroups: bytesOf(u.group),
    customerIds: Buffer.from(JSON.stringify(table.customerIds)),
    uncountedIds: Buffer.from(JSON.stringify(u.customerIds)),
    uncountedPromise: bytesOf(u.promiseDays ?? new Float64Array(u.values.rows).fill(NaN)),
  };
  const header: Header = {
    format: 'segments-features',
    version: 2,
    features: [...FEATURE_NAMES],
    serviceGroups: [...SERVICE_GROUPS],
    rows: table.values.rows,
    uncounted: u.values.rows,
    asOf: table.asOf,
    fingerprint,
    notCounted: table.notCounted,
    customersWithOrders: table.customersWithOrders,
    bytes: Object.fromEntries([...BLOCKS, ...OPTIONAL_BLOCKS].map((b) => [b, blocks[b].length])) as Header['bytes'],
  };
  const head = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(head.length);
  return Buffer.concat([len, head, ...[...BLOCKS, ...OPTIONAL_BLOCKS].map((b) => blocks[b])]);
}

export function decodeFeatures(buf: Buffer, source = 'features object'): StoredFeatures {
  const fail = (why: string) => new Error(`${source}: not a feature table (${why})`);
  if (buf.length < 4) throw fail('too short');
  const hl = buf.readUInt32LE(0);
  let header: Header;
  try {
    header = JSON.parse(buf.subarray(4, 4 + hl).toString('utf8'));
  } catch {
    throw fail('unreadable header');
  }
  if (header.format !== 'segments-features' || header.version !== 2) throw fail(`format ${header.format} v${header.version}`);
  if (header.features.join() !== FEATURE_NAMES.join()) throw fail(`features ${header.features.join(', ')} differ from ${FEATURE_NAMES.join(', ')}`);
  if (header.serviceGroups.join() !== SERVICE_GROUPS.join()) throw fail(`service groups ${header.serviceGroups.join(', ')} differ from ${SERVICE_GROUPS.join(', ')}`);
  const n = header.rows;
  const m = header.uncounted;
  const d = FEATURE_NAMES.length;
  const expected: Record<Block, number> = { values: n * d * 8, firstPurchase: n * 8, uncountedValues: m * d * 8, uncountedGroups: m, customerIds: header.bytes.customerIds, uncountedIds: header.bytes.uncountedIds, uncountedPromise: m * 8 };
  let at = 4 + hl;
  const block: Partial<Record<Block, Buffer>> = {};
  for (const b of [...BLOCKS, ...OPTIONAL_BLOCKS.filter((o) => header.bytes[o] !== undefined)]) {
    if (header.bytes[b] !== expected[b]) throw fail(`block ${b} holds ${header.bytes[b]} bytes, expected ${expected[b]}`);
    if (at + header.bytes[b] > buf.length) throw fail(`block ${b} ends at byte ${at + header.bytes[b]}, past the end (${buf.length} bytes: truncated?)`);
    block[b] = buf.subarray(at, at + header.bytes[b]);
    at += header.bytes[b];
  }
  // Copy into fresh (aligned) typed arrays: a Buffer slice may sit at any byte offset.
  const floats = (b: Buffer) => {
    const out = new Float64Array(b.length / 8);
    new Uint8Array(out.buffer).set(b);
    return out;
  };
  const ids = (b: Block, count: number) => {
    let list: unknown;
    try {
      list = JSON.parse(block[b]!.toString('utf8'));
    } catch {
      throw fail(`unreadable ${b}`);
    }
    if (!Array.isArray(list) || list.length !== count || list.some((x) => typeof x !== 'string')) throw fail(`${b}: expected ${count} ids`);
    return list as string[];
  };
  return {
    fingerprint: header.fingerprint,
    table: {
      asOf: header.asOf,
      customerIds: ids('customerIds', n),
      customerIndex: Int32Array.from({ length: n }, (_, i) => i),
      values: createMatrix(n, d, floats(block.values!)),
      firstPurchase: floats(block.firstPurchase!),
      notCounted: header.notCounted,
      customersWithOrders: header.customersWithOrders,
      uncounted: {
        customerIds: ids('uncountedIds', m),
        customerIndex: Int32Array.from({ length: m }, (_, i) => n + i),
        group: Uint8Array.from(block.uncountedGroups!),
        values: createMatrix(m, d, floats(block.uncountedValues!)),
        ...(block.uncountedPromise ? { promiseDays: floats(block.uncountedPromise) } : {}),
      },
    },
  };
}
