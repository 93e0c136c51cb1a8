/**
 * The domain's data shapes: the customer features, the model artifact and the segment descriptions.
 * Everything that crosses a boundary (CLI files, S3 objects, DynamoDB items, the marketing client) is one of these.
 */

/** The features computed for each customer_unique_id (see features/customerFeatures.ts for the definitions). */
export const FEATURE_NAMES = [
  'recencyDays',
  'frequency',
  'monetary',
  'reviewScore',
  'deliveryDelayDays',
  'lateShare',
  'items',
  'categories',
  'installments',
] as const;
export type FeatureName = (typeof FEATURE_NAMES)[number];
export type FeatureVector = Record<FeatureName, number>;

/** How one feature is turned into a model coordinate: optional log1p, then standardisation with fitted mean/std. */
export interface FeatureTransform {
  name: FeatureName;
  log: boolean;
  mean: number;
  std: number;
}

export interface ClusterMetrics {
  silhouette: number;
  daviesBouldin: number;
  calinskiHarabasz: number;
  inertia: number;
}

export interface SweepPoint extends ClusterMetrics {
  k: number;
  /** Median adjusted Rand index between the partitions of differently seeded initialisations. */
  initStability?: number;
}

export interface FeatureStats {
  mean: number;
  median: number;
}

export interface SegmentProfileEntry extends FeatureStats {
  /** Population mean and median of the same feature, for comparison. */
  populationMean: number;
  populationMedian: number;
  /** (segment mean - population mean) / population std: how unusual the segment is on this feature. */
  zScore: number;
}

export interface SegmentDescription {
  /** Stable numeric id (kept across model versions when the segment is the same group). */
  id: number;
  /** Plain-language name derived from the profile by rules. */
  name: string;
  /** One-sentence description of who these customers are. */
  description: string;
  /** Recommended marketing action derived from the profile by rules. */
  action: string;
  /** Rule tags that produced the name (e.g. 'high-value', 'unsatisfied'). */
  traits: string[];
  size: number;
  share: number;
  profile: Record<FeatureName, SegmentProfileEntry>;
}

export interface SegmentModel {
  schemaVersion: 1;
  /** Version id: creation time plus a short hash of the data fingerprint and parameters. */
  version: string;
  createdAt: string;
  /** The date the features were computed as of (ISO). */
  asOf: string;
  /** SHA-256 over the input tables' bytes (or rows), so a model names the data it was fitted on. */
  dataFingerprint: string;
  algorithm: 'kmeans';
  k: number;
  seed: number;
  features: FeatureTransform[];
  /** The rule for customers without any review, with its fitted values. */
  reviewImputation: { rule: string; onTime: number; late: number };
  /** Centroids in transformed (model) space, k rows of features.length values. */
  centroids: number[][];
  metrics: ClusterMetrics;
  segments: SegmentDescription[];
  customers: number;
}

export interface CustomerAssignment {
  customerId: string;
  segmentId: number;
  segmentName: string;
  features: FeatureVector;
  previousSegmentId?: number;
}
