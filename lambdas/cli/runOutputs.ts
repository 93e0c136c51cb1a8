/**
 * Reading back what `segments run` wrote (summary.json, model.json, assignments.csv), so that `segments report
 * --model` shows that run's model instead of segmenting the export again.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { RunSummary } from '../core/model/summary';
import { readAssignments } from '../core/model/assignmentsCsv';
import { UsageError } from './errors';

export interface RunOutputs {
  dir: string;
  summary: RunSummary;
  modelVersion: string;
  dataFingerprint: string;
  /** PCA coordinates of the customers placed on the map (interleaved x, y), and their segment ids. */
  coords: Float64Array;
  labels: Int32Array;
}

/** A run's output folder, or its model.json: the summary, the model's identity and the map coordinates. */
export async function readRunOutputs(path: string, flag = '--model'): Promise<RunOutputs> {
  if (!existsSync(path)) throw new UsageError(`${flag} ${path}: no such folder or file`);
  const dir = statSync(path).isDirectory() ? path : dirname(path);
  if (!statSync(path).isDirectory() && basename(path) !== 'model.json') throw new UsageError(`${flag} ${path}: expected a \`segments run\` output folder or its model.json`);
  const need = ['summary.json', 'model.json', 'assignments.csv'].filter((f) => !existsSync(join(dir, f)));
  if (need.length) throw new UsageError(`${flag} ${dir}: not a \`segments run\` output folder (no ${need.join(', ')})`);
  const summary = (await readJson(join(dir, 'summary.json'))) as RunSummary;
  const model = (await readJson(join(dir, 'model.json'))) as { version?: string; dataFingerprint?: string };
  if (!model.version || model.version !== summary.modelVersion) throw new UsageError(`${dir}: summary.json (model ${summary.modelVersion}) and model.json (model ${model.version}) are not from the same run`);
  const { coords, labels } = await readMap(join(dir, 'assignments.csv'));
  return { dir, summary, modelVersion: model.version, dataFingerprint: model.dataFingerprint ?? '', coords, labels };
}

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`${file}: not readable JSON (${(err as Error).message})`);
  }
}

/**
 * segment_id and pc1, pc2 of every row of assignments.csv (read with the product's CSV reader). People without
 * coordinates (the rule segments) are left off the map.
 */
async function readMap(file: string): Promise<{ coords: Float64Array; labels: Int32Array }> {
  const xs: number[] = [];
  const labels: number[] = [];
  await readAssignments(file, createReadStream(file), (_id, segment, pc1, pc2) => {
    if (Number.isNaN(pc1) || Number.isNaN(pc2)) return;
    xs.push(pc1, pc2);
    labels.push(segment);
  });
  return { coords: Float64Array.from(xs), labels: Int32Array.from(labels) };
}
