/**
 * A feature table as one binary object, the hand-off from the ingest function to the train function:
 * [u32 header length][header JSON][float64 values][float64 first purchases][customer ids, '\n'-joined].
 * Typed arrays go through as raw bytes (a million customers: ~80 MB, no JSON number formatting).
 */
import { FEATURE_NAMES } from '../model/types';
import { createMatrix } from '../util/matrix';
import { FeatureTable } from './customerFeatures';

interface Header {
  format: 'segments-features';
  version: 1;
  features: string[];
  rows: number;
  asOf: number;
  fingerprint: string;
  notCounted: number;
  customersWithOrders: number;
}

export interface StoredFeatures {
  table: FeatureTable;
  fingerprint: string;
}

export function encodeFeatures(table: FeatureTable, fingerprint: string): Buffer {
  const header: Header = {
    format: 'segments-features',
    version: 1,
    features: [...FEATURE_NAMES],
    rows: table.values.rows,
    asOf: table.asOf,
    fingerprint,
    notCounted: table.notCounted,
    customersWithOrders: table.customersWithOrders,
  };
  const head = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(head.length);
  return Buffer.concat([
    len,
    head,
    Buffer.from(table.values.data.buffer, table.values.data.byteOffset, table.values.data.byteLength),
    Buffer.from(table.firstPurchase.buffer, table.firstPurchase.byteOffset, table.firstPurchase.byteLength),
    Buffer.from(table.customerIds.join('\n')),
  ]);
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
  if (header.format !== 'segments-features' || header.version !== 1) throw fail(`format ${header.format} v${header.version}`);
  if (header.features.join() !== FEATURE_NAMES.join()) throw fail(`features ${header.features.join(', ')} differ from ${FEATURE_NAMES.join(', ')}`);
  const n = header.rows;
  const d = FEATURE_NAMES.length;
  let at = 4 + hl;
  // Copy into fresh (aligned) typed arrays: a Buffer slice may sit at any byte offset.
  const values = new Float64Array(n * d);
  new Uint8Array(values.buffer).set(buf.subarray(at, at + n * d * 8));
  at += n * d * 8;
  const firstPurchase = new Float64Array(n);
  new Uint8Array(firstPurchase.buffer).set(buf.subarray(at, at + n * 8));
  at += n * 8;
  const customerIds = n ? buf.subarray(at).toString('utf8').split('\n') : [];
  if (customerIds.length !== n) throw fail(`${customerIds.length} customer ids for ${n} rows (truncated?)`);
  return {
    fingerprint: header.fingerprint,
    table: {
      asOf: header.asOf,
      customerIds,
      customerIndex: Int32Array.from({ length: n }, (_, i) => i),
      values: createMatrix(n, d, values),
      firstPurchase,
      notCounted: header.notCounted,
      customersWithOrders: header.customersWithOrders,
    },
  };
}
