/**
 * Labelling customers with an existing model: the strategy for new customers between retrainings.
 * New data is transformed with the model's own stored parameters (imputation values, log flags, ranges and
 * weights, never refitted) and each customer goes to the nearest centroid; people without a delivered order go to
 * the rule segments (segments/ruleSegments.ts), by the same rules as at training.
 */
import { assignToCentroids } from '../cluster/kmeans';
import { FeatureTable, computeFeatures } from '../features/customerFeatures';
import { featureSpace } from '../features/transforms';
import { OlistData } from '../olist/load';
import { ruleLabels } from '../segments/ruleSegments';
import { Matrix } from '../util/matrix';
import { FEATURE_NAMES, SegmentModel } from '../domain/types';

export interface Assignment {
  features: FeatureTable;
  imputed: Matrix;
  X: Matrix;
  /** Segment id of each feature row. */
  labels: Int32Array;
  /** Segment id of each person without a counted order (features.uncounted rows). */
  ruleLabels: Int32Array;
}

export const MODEL_SCHEMA_VERSION = 2;

export function checkModel(model: SegmentModel): void {
  const names = model.features.map((f) => f.name);
  if ((model.schemaVersion as number) !== MODEL_SCHEMA_VERSION)
    throw new Error(`model ${model.version}: schemaVersion ${model.schemaVersion} is not supported by this version (${MODEL_SCHEMA_VERSION}): retrain the segmentation (segments run, or a new upload)`);
  if (names.join() !== FEATURE_NAMES.join()) throw new Error(`model ${model.version} uses features ${names.join(', ')}; this version computes ${FEATURE_NAMES.join(', ')}`);
  if (model.centroids.length !== model.k || model.centroids.some((c) => c.length !== names.length)) throw new Error(`model ${model.version}: centroids do not match k=${model.k} and ${names.length} features`);
}

/** The cluster segments of a model, in centroid order. */
export function clusterSegments(model: SegmentModel): SegmentModel['segments'] {
  return model.segments.filter((s) => s.kind === 'cluster');
}

/** Model coordinates of a feature table under a stored model. */
export function modelCoordinates(model: SegmentModel, features: FeatureTable): { imputed: Matrix; X: Matrix } {
  const { imputed, X } = featureSpace(features.values, { reviewImputation: model.reviewImputation, transforms: model.features });
  return { imputed, X };
}

export function assignFeatures(model: SegmentModel, features: FeatureTable): Assignment {
  checkModel(model);
  const { imputed, X } = modelCoordinates(model, features);
  const centroids = Float64Array.from(model.centroids.flat());
  // Segment ids of the clusters are stored in centroid row order.
  const rows = assignToCentroids(X, centroids, model.k);
  const ids = clusterSegments(model).map((s) => s.id);
  const labels = rows.map((r) => ids[r]);
  return { features, imputed, X, labels, ruleLabels: ruleLabels(features.uncounted) };
}

/** Every person of `data` labelled by the model (rule segments included). */
export function assignCustomers(model: SegmentModel, data: OlistData, asOf?: number): Assignment {
  return assignFeatures(model, computeFeatures(data, asOf, { uncounted: true, everyone: asOf === undefined }));
}
