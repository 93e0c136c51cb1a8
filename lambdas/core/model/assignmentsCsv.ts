/**
 * assignments.csv: one line per person of the export with their segment and features, produced lazily so that a
 * million customers stream to a file or an S3 upload without building one big string.
 *
 * Clustered customers first (feature row order), then the people of the rule segments. Values are the person's
 * own: reviewScore is their mean review where they have one and empty where none (review_imputed = 1 says the
 * model used the imputed value for a clustered customer); the delivery features and the PCA coordinates are empty
 * for people without a delivered order.
 *
 * Written through core/csv/writer.ts (RFC 4180 quoting, formula neutralisation of text cells) like every CSV for people.
 */
import type { Readable } from 'node:stream';
import { FeatureTable } from '../features/customerFeatures';
import { readTable } from '../csv/reader';
import type { TableSchema } from '../csv/schema';
import { csvChunks, CsvCell } from '../csv/writer';
import { FEATURE_NAMES, SegmentModel } from '../domain/types';

export const ASSIGNMENT_COLUMNS = ['customer_unique_id', 'segment_id', 'segment_name', ...FEATURE_NAMES, 'review_imputed', 'pc1', 'pc2'];

/** 4 decimals: the features as the table stores them (core/domain/types.ts); NaN (undefined) stays an empty cell. */
const round4 = (v: number) => (Number.isInteger(v) ? v : Math.round(v * 1e4) / 1e4);

export interface AssignedPeople {
  model: SegmentModel;
  features: FeatureTable;
  /** Segment id of each clustered customer (features row order). */
  labels: Int32Array;
  /** Segment id of each person without a counted order (features.uncounted row order). */
  ruleLabels: Int32Array;
}

/** CSV text in chunks of about `linesPerChunk` lines (header first), written by the product's safe CSV writer. */
export function assignmentsCsv(people: AssignedPeople, pca2d?: Float64Array, linesPerChunk = 5000): Generator<string> {
  return csvChunks(ASSIGNMENT_COLUMNS, assignmentRows(people, pca2d), linesPerChunk);
}

function* assignmentRows(people: AssignedPeople, pca2d?: Float64Array): Generator<CsvCell[]> {
  const { model, features, labels, ruleLabels } = people;
  const names = new Map(model.segments.map((s) => [s.id, s.name]));
  const d = FEATURE_NAMES.length;
  const ri = FEATURE_NAMES.indexOf('reviewScore');
  const row = (id: string, label: number, values: Float64Array, at: number, imputed: number, pc1: number, pc2: number): CsvCell[] => {
    const cells: CsvCell[] = [id, label, names.get(label)];
    for (let j = 0; j < d; j++) cells.push(round4(values[at + j]));
    cells.push(imputed, round4(pc1), round4(pc2));
    return cells;
  };
  const v = features.values.data;
  for (let i = 0; i < features.values.rows; i++) {
    yield row(features.customerIds[i], labels[i], v, i * d, Number.isNaN(v[i * d + ri]) ? 1 : 0, pca2d ? pca2d[2 * i] : NaN, pca2d ? pca2d[2 * i + 1] : NaN);
  }
  const u = features.uncounted;
  for (let i = 0; i < u.values.rows; i++) yield row(u.customerIds[i], ruleLabels[i], u.values.data, i * d, 0, NaN, NaN);
}

/** What is read back from an assignments.csv (the id as written: files of earlier versions may predate the id rule). */
const ASSIGNMENTS_READ: TableSchema = {
  name: 'assignments',
  file: 'assignments.csv',
  required: true,
  columns: [
    { name: 'customer_unique_id', type: { kind: 'string' } },
    { name: 'segment_id', type: { kind: 'int', min: 0 } },
    { name: 'pc1', type: { kind: 'number' }, nullable: true },
    { name: 'pc2', type: { kind: 'number' }, nullable: true },
  ],
};

/**
 * Reads an assignments.csv back with the product's RFC 4180 reader (core/csv/reader.ts): quoted cells, commas and line
 * ends inside them are read as written, never cut at the wrong place. `onRow` gets the id, the segment and the map
 * coordinates (NaN when empty). A malformed file is a DataFormatError naming `file`, the line and the column.
 */
export async function readAssignments(file: string, input: Readable, onRow: (customerId: string, segmentId: number, pc1: number, pc2: number) => void): Promise<number> {
  const res = await readTable(file, input, ASSIGNMENTS_READ, (v) => onRow(v[0] as string, v[1] as number, v[2] as number, v[3] as number));
  return res.rows;
}
