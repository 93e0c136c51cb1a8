/**
 * assignments.csv: one line per customer with its segment and features, produced lazily so that a
 * million customers stream to a file or an S3 upload without building one big string.
 */
import { FeatureTable } from '../features/customerFeatures';
import { Matrix } from '../util/matrix';
import { FEATURE_NAMES, SegmentModel } from './types';

export const ASSIGNMENT_COLUMNS = ['customer_unique_id', 'segment_id', 'segment_name', ...FEATURE_NAMES, 'review_imputed', 'pc1', 'pc2'];

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function num(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 1e4) / 1e4);
}

/** CSV text in chunks of about `linesPerChunk` lines (header first). */
export function* assignmentsCsv(
  model: SegmentModel,
  features: FeatureTable,
  imputed: Matrix,
  labels: Int32Array,
  pca2d?: Float64Array,
  linesPerChunk = 5000,
): Generator<string> {
  const names = new Map(model.segments.map((s) => [s.id, csvField(s.name)]));
  const d = imputed.cols;
  const ri = FEATURE_NAMES.indexOf('reviewScore');
  let chunk = ASSIGNMENT_COLUMNS.join(',') + '\n';
  for (let i = 0; i < imputed.rows; i++) {
    let line = `${features.customerIds[i]},${labels[i]},${names.get(labels[i])}`;
    for (let j = 0; j < d; j++) line += ',' + num(imputed.data[i * d + j]);
    line += Number.isNaN(features.values.data[i * d + ri]) ? ',1' : ',0';
    line += pca2d ? `,${num(pca2d[2 * i])},${num(pca2d[2 * i + 1])}` : ',,';
    chunk += line + '\n';
    if ((i + 1) % linesPerChunk === 0) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}
