/**
 * Key prefixes of the two data buckets, shared by the stack (notifications, lifecycle rules, prefix-scoped grants)
 * and the functions (the keys they write: lambdas/pipeline/datasets.ts). Each ends with '/'.
 */

/** Raw bucket: uploads under it start ingestion (`incoming/<dataset-id>/<table>.csv`). */
export const INCOMING_PREFIX = 'incoming/';

/** Artifacts bucket. */
export const ARTIFACT_PREFIXES = {
  /** Feature tables and dataset facts, written by ingest. */
  features: 'features/',
  /** Model versions' files (model.json, assignments.csv ...), written by train and publish. */
  models: 'models/',
  /** The HTML pages of each version. */
  reports: 'reports/',
  /** Rejected inputs and failed runs, for people. */
  errors: 'errors/',
  /** The campaign lists of each model version (lambdas/pipeline/exports.ts). */
  exports: 'exports/',
  /** The distributed path's intermediate files (expired after 7 days). */
  work: 'work/',
} as const;

export type ArtifactPrefix = keyof typeof ARTIFACT_PREFIXES;
