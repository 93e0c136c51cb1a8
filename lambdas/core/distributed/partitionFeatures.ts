/**
 * Features of one partition, with the single-process code: the partition's tables (after the shuffle every
 * person's rows are in one partition) plus the broadcast dimension tables are loaded with olist/load.ts and
 * computeFeatures runs on them, as of the GLOBAL as-of date (where the whole export effectively ends: recency is
 * measured from the same day everywhere), people without a delivered order included (the rule segments). Per-person
 * features only depend on that person's rows, so the union of the partitions' feature tables is the single-process
 * feature table (tested).
 *
 * Also here: what each partition contributes to the fit (transform moments, counts, a deterministic sample in the
 * export's order) and to the exploration page (its statistics, merged later: report/explorationMerge.ts).
 */
import { Readable } from 'node:stream';
import { computeFeatures, type FeatureTable, emptyUncounted, type UncountedPeople } from '../features/customerFeatures';
import { featureCounts, type FeatureCounts } from '../model/summary';
import { loadOlist, type LoadIssues, type TableReport } from '../olist/load';
import { explorationStats, type ExplorationStats } from '../report/exploration';
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
  issues: LoadIssues;
  tables: TableReport[];
  /** The partition's exploration statistics (undefined for a partition without people). */
  exploration?: ExplorationStats;
}

/** An empty feature table (a partition that received no person). */
export function emptyFeatures(asOf: number, cols: number): FeatureTable {
  return { asOf, customerIds: [], customerIndex: new Int32Array(0), values: createMatrix(0, cols), firstPurchase: new Float64Array(0), notCounted: 0, customersWithOrders: 0, uncounted: emptyUncounted() };
}

const NO_ISSUES: LoadIssues = { orphanItems: 0, orphanPayments: 0, orphanReviews: 0, itemsWithUnknownProduct: 0, ordersWithoutPayment: 0, unknownStates: 0, firstUnknownStateLine: 0 };

export async function featuresOfPartition(location: string, tables: Record<string, readonly string[]>, asOf: number, cols: number): Promise<PartitionFeatures> {
  if (!(tables[TABLE_FILES.customers] ?? []).length) return { table: emptyFeatures(asOf, cols), issues: { ...NO_ISSUES }, tables: [] };
  // `now` far in the future: the "no event after the load time" check was already applied to the upload as a whole.
  const data = await loadOlist(memorySource(location, tables), { now: 8.64e15 } as Parameters<typeof loadOlist>[1]);
  // Everyone, as ingest computes them at the default as-of date (the distributed path always uses it).
  const table = computeFeatures(data, asOf, { uncounted: true, everyone: true });
  return { table, issues: { ...data.issues }, tables: data.tables, exploration: explorationStats(data) };
}

/** Sampled rows: ids, the position of each person in the export (ordinal), raw feature rows (NaN as null in JSON). */
export interface SampleRows {
  ids: string[];
  ordinals: number[];
  values: (number | null)[][];
}

export interface FitContribution {
  transform: TransformPartial;
  counts: FeatureCounts;
  /** Sampled customers (clustered) and sampled people without a delivered order (with their service group). */
  sample: SampleRows;
  uncounted: SampleRows & { group: number[] };
}

function rowOf(values: Matrix, i: number): (number | null)[] {
  return Array.from(values.data.subarray(i * values.cols, (i + 1) * values.cols), (v) => (Number.isNaN(v) ? null : v));
}

/**
 * Moments of this partition's features, its counts and its share of the deterministic sample (inSample: the same
 * people whatever P is). `ordinals`: person -> first position in the export (from the customers scatter).
 */
export function fitContribution(table: FeatureTable, sampleRate: number, ordinals: ReadonlyMap<string, number>): FitContribution {
  const ordinal = (id: string) => {
    const o = ordinals.get(id);
    if (o === undefined) throw new Error(`no ordinal for person ${id}: the customers scatter and the features disagree`);
    return o;
  };
  const sample: SampleRows = { ids: [], ordinals: [], values: [] };
  table.customerIds.forEach((id, i) => {
    if (!inSample(id, sampleRate)) return;
    sample.ids.push(id);
    sample.ordinals.push(ordinal(id));
    sample.values.push(rowOf(table.values, i));
  });
  const u = table.uncounted;
  const uncounted: FitContribution['uncounted'] = { ids: [], ordinals: [], values: [], group: [] };
  u.customerIds.forEach((id, i) => {
    if (!inSample(id, sampleRate)) return;
    uncounted.ids.push(id);
    uncounted.ordinals.push(ordinal(id));
    uncounted.values.push(rowOf(u.values, i));
    uncounted.group.push(u.group[i]);
  });
  return { transform: transformPartial(table.values), counts: featureCounts(table), sample, uncounted };
}

function matrixOf(rows: (number | null)[][], cols: number): Matrix {
  const m = createMatrix(rows.length, cols);
  rows.forEach((row, i) => row.forEach((v, j) => (m.data[i * cols + j] = v === null ? NaN : v)));
  return m;
}

/** Rows of several parts in the export's order (by ordinal): the order the single-process loader gives them. */
function inExportOrder<T extends SampleRows>(parts: readonly T[]): { part: T; row: number; ordinal: number }[] {
  const all: { part: T; row: number; ordinal: number }[] = [];
  for (const part of parts) part.ordinals.forEach((ordinal, row) => all.push({ part, row, ordinal }));
  return all.sort((a, b) => a.ordinal - b.ordinal);
}

/** The sampled people of every partition as one feature table (customers and uncounted), rows in the export's order. */
export function gatherSample(parts: readonly FitContribution[], cols: number, asOf: number): FeatureTable {
  const customers = inExportOrder(parts.map((p) => p.sample));
  const people = inExportOrder(parts.map((p) => p.uncounted));
  const uncounted: UncountedPeople = {
    customerIds: people.map((r) => r.part.ids[r.row]),
    customerIndex: Int32Array.from(people, (_, i) => customers.length + i),
    group: Uint8Array.from(people, (r) => r.part.group[r.row]),
    values: matrixOf(people.map((r) => r.part.values[r.row]), cols),
  };
  return {
    asOf,
    customerIds: customers.map((r) => r.part.ids[r.row]),
    customerIndex: Int32Array.from(customers, (_, i) => i),
    values: matrixOf(customers.map((r) => r.part.values[r.row]), cols),
    firstPurchase: new Float64Array(customers.length),
    notCounted: 0,
    customersWithOrders: customers.length,
    uncounted,
  };
}
