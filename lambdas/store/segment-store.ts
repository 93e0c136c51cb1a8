/**
 * The segment table as the pipeline and the marketing apps see it: four aggregates, each with its own interface and
 * DynamoDB implementation (see README.md in this folder for the items and exact requests):
 *
 *   models/       ModelStore       drafts, activation (the ACTIVE pointer), listings, deletion of versions
 *   assignments/  AssignmentStore  people's assignments: bulk writes (whole or by part), reads by customer and segment
 *   runs/         RunStore         one record per dataset: claims, leases, hand-offs, status, counts
 *   stability/    StabilityStore   the history of the scheduled stability checks
 *
 * SegmentStore is all four on one table, built by createSegmentStore (dynamo-segment-store.ts): what the handlers'
 * runtime carries. A caller declares the narrowest of these interfaces it uses.
 */
import type { AssignmentStore } from './assignments/assignment-store';
import type { ModelStore } from './models/model-store';
import type { RunStore } from './runs/run-store';
import type { StabilityStore } from './stability/stability-store';

export type SegmentStore = ModelStore & AssignmentStore & RunStore & StabilityStore;

export type { RetryOptions } from './batch-writer';
export type * from './models/model-store';
export type * from './assignments/assignment-store';
export type * from './runs/run-store';
export { handoffToken, IN_PROGRESS_RUN_STATUSES } from './runs/run-store';
export type * from './stability/stability-store';
