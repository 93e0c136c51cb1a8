/**
 * assignments.csv: one line per person of the export with their segment and features, produced lazily so that a
 * million customers stream to a file or an S3 upload without building one big string.
 *
 * Clustered customers first (feature row order), then the people of the rule segments. Values are the person's
 * own: reviewScore is their mean review where they have one and empty where none (review_imputed = 1 says the
 * model used the imputed value for a clustered customer); the delivery features and the PCA coordinates are empty
 * for people without a delivered order.
 */
import { FeatureTable } from '../features/customerFeatures';
import { FEATURE_NAMES, SegmentModel } from './types';

export const ASSIGNMENT_COLUMNS = ['customer_unique_id', 'segment_id', 'segment_name', ...FEATURE_NAMES, 'review_imputed', 'pc1', 'pc2'];

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function num(v: number): string {
  if (Number.isNaN(v)) return '';
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 1e4) / 1e4);
}

export interface AssignedPeople {
  model: SegmentModel;
  features: FeatureTable;
  /** Segment id of each clustered customer (features row order). */
  labels: Int32Array;
  /** Segment id of each person without a counted order (features.uncounted row order). */
  ruleLabels: Int32Array;
}

/** CSV text in chunks of about `linesPerChunk` lines (header first). */
export function* assignmentsCsv(people: AssignedPeople, pca2d?: Float64Array, linesPerChunk = 5000): Generator<string> {
  const { model, features, labels, ruleLabels } = people;
  const names = new Map(model.segments.map((s) => [s.id, csvField(s.name)]));
  const d = FEATURE_NAMES.length;
  const ri = FEATURE_NAMES.indexOf('reviewScore');
  let chunk = ASSIGNMENT_COLUMNS.join(',') + '\n';
  let lines = 0;
  const emit = function* (id: string, label: number, values: Float64Array, at: number, imputed: string, pc: string) {
    let line = `${csvField(id)},${label},${names.get(label)}`;
    for (let j = 0; j < d; j++) line += ',' + num(values[at + j]);
    chunk += `${line},${imputed},${pc}\n`;
    if (++lines % linesPerChunk === 0) {
      yield chunk;
      chunk = '';
    }
  };
  const v = features.values.data;
  for (let i = 0; i < features.values.rows; i++) {
    const pc = pca2d ? `${num(pca2d[2 * i])},${num(pca2d[2 * i + 1])}` : ',';
    yield* emit(features.customerIds[i], labels[i], v, i * d, Number.isNaN(v[i * d + ri]) ? '1' : '0', pc);
  }
  const u = features.uncounted;
  for (let i = 0; i < u.values.rows; i++) yield* emit(u.customerIds[i], ruleLabels[i], u.values.data, i * d, '0', ',');
  if (chunk) yield chunk;
}
