/**
 * Stable segment identities across versions: the new model's segments are matched to the active model's
 * (Hungarian assignment on centroid distances, lambdas/core/stability/matching.ts) so that a segment
 * keeps its id and name when it is the same group; each customer's previous segment is read from the
 * previous version's assignments.csv, and the transition matrix is written beside the new model.
 */
import { DataFormatError } from '../core/csv/errors';
import { MODEL_SCHEMA_VERSION } from '../core/model/assign';
import { readAssignments } from '../core/model/assignmentsCsv';
import { TrainResult } from '../core/model/train';
import { SegmentModel } from '../core/domain/types';
import { matchSegments, relabel, transitionMatrix } from '../core/stability/matching';
import { BlobStore } from '../store/blob-store';
import { artifactKeys } from './datasets';

export async function reconcileWithPrevious(artifacts: BlobStore, result: TrainResult, previous: SegmentModel | undefined): Promise<Map<string, number> | undefined> {
  if (!previous) return undefined;
  // A model of an earlier schema (standardised features, no rule segments) lives in another space: no carry-over.
  if ((previous.schemaVersion as number) !== MODEL_SCHEMA_VERSION) return undefined;
  const match = matchSegments(previous, result.model);
  result.model = match.model;
  result.labels = relabel(result.labels, match.idMap);

  const before = await previousAssignments(artifacts, previous.version);
  if (!before) return undefined;
  const after = new Map<string, number>();
  result.features.customerIds.forEach((id, i) => after.set(id, result.labels[i]));
  result.features.uncounted.customerIds.forEach((id, i) => after.set(id, result.ruleLabels[i]));
  await artifacts.putJson(artifactKeys.transitions(result.model.version), {
    previousVersion: previous.version,
    version: result.model.version,
    matches: match.matches,
    retired: match.retired,
    transitions: transitionMatrix(before, after),
  });
  return before;
}

/**
 * customer_unique_id -> segment id from a version's assignments.csv, streamed through the product's CSV reader (quoted
 * cells read as written). undefined when the version has none; a file that does not parse is a located error.
 */
export async function previousAssignments(artifacts: BlobStore, version: string): Promise<Map<string, number> | undefined> {
  const key = artifactKeys.assignments(version);
  if (!(await artifacts.exists(key))) return undefined;
  const map = new Map<string, number>();
  try {
    await readAssignments(key, await artifacts.get(key), (id, segment) => map.set(id, segment));
  } catch (err) {
    // The previous model's own file is damaged: an operational fault (retried, alarmed), not a fault of the new data.
    if (err instanceof DataFormatError) throw new Error(`previous model ${version}: ${err.message}`);
    throw err;
  }
  return map;
}
