/**
 * The domain's vocabulary, the bottom layer of the core (ARCHITECTURE.md): the customer features, the model artifact,
 * the segment descriptions and a customer's assignment. Everything that crosses a boundary (CLI files, S3 objects,
 * DynamoDB items, the marketing client) is one of these. Types and constants only: this folder imports nothing, so
 * every other folder of core/ (features/, segments/, model/, ...) may import it without pointing upwards.
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

/**
 * How one feature is turned into a model coordinate (features/transforms.ts):
 * weight x clamp((t(x) - lo) / (hi - lo), 0, 1), with t = log1p when `log`.
 */
export interface FeatureTransform {
  name: FeatureName;
  log: boolean;
  lo: number;
  hi: number;
  weight: number;
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

/**
 * 'cluster': a k-means segment of the customers with a delivered order; 'rule': a fixed, rule-based segment of the
 * people without one (segments/ruleSegments.ts), outside the fit.
 */
export type SegmentKind = 'cluster' | 'rule';

export interface SegmentDescription {
  /** Stable numeric id (kept across model versions when the segment is the same group; fixed for rule segments). */
  id: number;
  kind: SegmentKind;
  /** Plain-language name derived from the profile by rules. */
  name: string;
  /** One-sentence description of who these customers are. */
  description: string;
  /** Recommended marketing action derived from the profile by rules. */
  action: string;
  /** Rule tags that produced the name (e.g. 'high-value', 'unsatisfied'). */
  traits: string[];
  size: number;
  /** size / people: shares of all segments, clustered and rule-based, add up to 1. */
  share: number;
  profile: Record<FeatureName, SegmentProfileEntry>;
  /** Per trait the name rests on: the share of members for whom it holds individually (segments/traits.ts). */
  fidelity: Record<string, number>;
}

export interface SegmentModel {
  /** 2: bounded, weighted feature space (transforms lo/hi/weight), rule segments, segment kinds. */
  schemaVersion: 2;
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
  /** Centroids in transformed (model) space, k rows of features.length values, in the order of the cluster segments. */
  centroids: number[][];
  metrics: ClusterMetrics;
  /** The k cluster segments (centroid order) followed by the rule segments. */
  segments: SegmentDescription[];
  /** Customers clustered (with a delivered order as of asOf). */
  customers: number;
  /** Everyone in the export with a segment: clustered customers and people in rule segments. */
  people: number;
  /**
   * The clustered customers' mean model coordinate per feature (FEATURE_NAMES order): what a customer's reasons are
   * measured against (model/explain.ts). Added after schemaVersion 2 was defined, hence optional: a model without it
   * uses the size-weighted mean of its centroids, the same point once k-means has converged.
   */
  populationMeanCoordinates?: number[];
}

/**
 * Why a person is in their segment, computed with the assignment (model/explain.ts). A reason is a code: the name of a
 * feature that sets a clustered customer apart from the population in the model's space, or the service group of a
 * person in a rule segment. Readers turn codes into sentences with the person's and the population's values.
 */
export type ReasonCode = FeatureName | 'never-delivered' | 'in-transit' | 'canceled';

export interface AssignmentWhy {
  /** Two or three feature names, strongest first (clustered); the service group (rule segments); [] for someone typical on every feature. */
  reasons: ReasonCode[];
  /** The segment of the second-nearest centroid; null in a rule segment. */
  runnerUp: number | null;
  /** 1 - d(assigned centroid) / d(runner-up centroid), in [0, 1]: 0 = halfway between the two; null in a rule segment. */
  margin: number | null;
  /** Rule segments: days from the earliest promised delivery date of their open orders to the as-of date (> 0: past it; absent when unknown or canceled). */
  promiseDays?: number;
}

export interface CustomerAssignment extends Partial<AssignmentWhy> {
  customerId: string;
  segmentId: number;
  segmentName: string;
  features: FeatureVector;
  previousSegmentId?: number;
}
