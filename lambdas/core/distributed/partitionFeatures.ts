/**
 * Features of one partition, with the single-process code: the partition's tables (after the shuffle every
 * person's rows are in one partition) plus the broadcast dimension tables are loaded with olist/load.ts and
 * computeFeatures runs on them, as of the GLOBAL as-of date (the latest purchase over all partitions: recency is
 * measured from the same day everywhere). Per-person features only depend on that person's rows, so the union
 * of the partitions' feature tables is the single-process feature table (tested).
 *
 * Also here: what each partition contributes to the fit (transform moments, a deterministic sample).
 */
import { Readable } from 'node:stream';
import { computeFeatures, type FeatureTable, emptyUncounted } from '../features/customerFeatures';
import { loadOlist } from '../olist/load';
import type { TableSource } from '../olist/source';
import { createMatrix, type Matrix } from '../util/matrix';
import { inSample } from './hashing';
import { transformPartial, type TransformPartial } from './moments';
import { concatTables, TABLE_FILES } from './shuffle';

/** A TableSource over CSV texts held in memory (file name -> the chunks of that table). */
export function memorySource(location: string, tables: Record<string, readonly string[]>): TableSource {
  const text = new Map<string, Buffer>();
  for (const file of Object.values(TABLE_FILES)) text.set(file, Buffer.from(concatTables(tables[file] ?? [], file)));
  return {
    location,
    async size(file) {
      return text.get(file)?.length;
    },
    async open(file) {
      const buf = text.get(file);
      if (!buf) throw new Error(`${location}: no table ${file}`);
      return Readable.from([buf]);
    },
  };
}

export interface PartitionFeatures {
  table: FeatureTable;
  /** Orphan rows and similar issues counted by the loader in this partition. */
  issues: Record<string, number>;
}

/** An empty feature table (a partition that received no person). */
export function emptyFeatures(asOf: number, cols: number): FeatureTable {
  return { asOf, customerIds: [], customerIndex: new Int32Array(0), values: createMatrix(0, cols), firstPurchase: new Float64Array(0), notCounted: 0, customersWithOrders: 0, uncounted: emptyUncounted() };
}

export async function featuresOfPartition(location: string, tables: Record<string, readonly string[]>, asOf: number, cols: number): Promise<PartitionFeatures> {
  if (!(tables[TABLE_FILES.customers] ?? []).length) return { table: emptyFeatures(asOf, cols), issues: {} };
  // `now` far in the future: the "no event after the load time" check was already applied to the upload as a whole.
  const data = await loadOlist(memorySource(location, tables), { now: 8.64e15 } as Parameters<typeof loadOlist>[1]);
  return { table: computeFeatures(data, asOf), issues: { ...data.issues } };
}

export interface FitContribution {
  transform: TransformPartial;
  /** Sampled people: ids and raw feature rows (reviewScore NaN when unknown, encoded as null in JSON). */
  sample: { ids: string[]; values: (number | null)[][] };
}

/** Moments of this partition's features and its share of the deterministic sample. */
export function fitContribution(table: FeatureTable, sampleRate: number): FitContribution {
  const { values, customerIds } = table;
  const ids: string[] = [];
  const rows: (number | null)[][] = [];
  for (let i = 0; i < values.rows; i++) {
    if (!inSample(customerIds[i], sampleRate)) continue;
    ids.push(customerIds[i]);
    rows.push(Array.from(values.data.subarray(i * values.cols, (i + 1) * values.cols), (v) => (Number.isNaN(v) ? null : v)));
  }
  return { transform: transformPartial(values), sample: { ids, values: rows } };
}

/** The sample rows of several contributions as one matrix (NaN restored), ordered by customer id (independent of P). */
export function gatherSample(parts: readonly FitContribution[], cols: number): { ids: string[]; values: Matrix } {
  const all: { id: string; row: (number | null)[] }[] = [];
  for (const p of parts) p.sample.ids.forEach((id, i) => all.push({ id, row: p.sample.values[i] }));
  all.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const m = createMatrix(all.length, cols);
  all.forEach(({ row }, i) => row.forEach((v, j) => (m.data[i * cols + j] = v === null ? NaN : v)));
  return { ids: all.map((a) => a.id), values: m };
}
