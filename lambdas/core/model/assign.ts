/**
 * Labelling customers with an existing model: the strategy for new customers between retrainings.
 * New data is transformed with the model's own stored parameters (imputation values, log flags, means and
 * standard deviations, never refitted) and each customer goes to the nearest centroid.
 */
import { assignToCentroids } from '../cluster/kmeans';
import { FeatureTable, computeFeatures } from '../features/customerFeatures';
import { applyTransforms, imputeReviews } from '../features/transforms';
import { OlistData } from '../olist/load';
import { Matrix } from '../util/matrix';
import { FEATURE_NAMES, SegmentModel } from './types';

export interface Assignment {
  features: FeatureTable;
  imputed: Matrix;
  X: Matrix;
  /** Segment id of each feature row. */
  labels: Int32Array;
}

export function checkModel(model: SegmentModel): void {
  const names = model.features.map((f) => f.name);
  if (model.schemaVersion !== 1) throw new Error(`model ${model.version}: unsupported schemaVersion ${model.schemaVersion}`);
  if (names.join() !== FEATURE_NAMES.join()) throw new Error(`model ${model.version} uses features ${names.join(', ')}; this version computes ${FEATURE_NAMES.join(', ')}`);
  if (model.centroids.length !== model.k || model.centroids.some((c) => c.length !== names.length)) throw new Error(`model ${model.version}: centroids do not match k=${model.k} and ${names.length} features`);
}

/** Model coordinates of a feature table under a stored model. */
export function modelCoordinates(model: SegmentModel, features: FeatureTable): { imputed: Matrix; X: Matrix } {
  const imputed = imputeReviews(features.values, model.reviewImputation);
  return { imputed, X: applyTransforms(imputed, model.features) };
}

export function assignFeatures(model: SegmentModel, features: FeatureTable): Assignment {
  checkModel(model);
  const { imputed, X } = modelCoordinates(model, features);
  const centroids = Float64Array.from(model.centroids.flat());
  // Segment ids are the centroid row order of the model (ids are stored in that order).
  const rows = assignToCentroids(X, centroids, model.k);
  const ids = model.segments.map((s) => s.id);
  const labels = rows.map((r) => ids[r]);
  return { features, imputed, X, labels };
}

export function assignCustomers(model: SegmentModel, data: OlistData, asOf?: number): Assignment {
  return assignFeatures(model, computeFeatures(data, asOf));
}
