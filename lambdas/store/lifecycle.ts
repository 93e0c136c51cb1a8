/**
 * Names shared by the stack's lifecycle rules (lib/constructs/data-buckets.ts) and the functions that mark objects for
 * them (lambdas/pipeline/train.ts): kept free of imports so that the CDK app can load it.
 */

/**
 * Put by train on a model version's per-customer artifacts (assignments.csv) when a newer version becomes active;
 * the artifacts bucket's rule `expire-superseded` deletes tagged objects after `retainSupersededDays`.
 */
export const SUPERSEDED_TAG = { key: 'lifecycle', value: 'superseded' } as const;
