/**
 * The segment table as the pipeline and the marketing apps see it (access patterns, not DynamoDB).
 * Implemented by DynamoSegmentStore; see README.md in this folder for the items and exact queries.
 */
import type { CustomerAssignment, SegmentDescription, SegmentModel } from '../core/model/types';

/** writing: draft, assignments being written; active: the ACTIVE pointer was flipped to it;
 * superseded: a later version was activated; deleting: cleanup in progress. */
export type ModelStatus = 'writing' | 'active' | 'superseded' | 'deleting';

export interface ModelRecord {
  model: SegmentModel;
  status: ModelStatus;
  /** Assignments the model says it has (model.customers). Activation requires assignmentsWritten === expectedAssignments. */
  expectedAssignments: number;
  /** Distinct customers written by the last completed writeAssignments call (0 while a write is in progress). */
  assignmentsWritten: number;
  /** Per segment id, the assignments written by the last completed writeAssignments call. */
  segmentCounts: Record<string, number>;
  /** GSI1 shards per segment used by this version. */
  shards: number;
  draftedAt: string;
  writtenAt?: string;
  activatedAt?: string;
  supersededAt?: string;
  supersededBy?: string;
}

export type ModelSummary = Omit<ModelRecord, 'model' | 'segmentCounts'> &
  Pick<SegmentModel, 'version' | 'createdAt' | 'asOf' | 'k' | 'customers' | 'dataFingerprint' | 'algorithm' | 'metrics'>;

export interface ActivePointer {
  version: string;
  previousVersion?: string;
  activatedAt: string;
}

export interface ActiveModel {
  pointer: ActivePointer;
  record: ModelRecord;
}

/** An assignment as stored for one model version. */
export interface StoredAssignment extends CustomerAssignment {
  version: string;
  /** features.monetary, also encoded (in cents) in the GSI sort key. */
  spend: number;
}

export interface WriteProgress {
  written: number;
  total: number;
  batches: number;
  /** Retries so far (UnprocessedItems re-sends plus throttled calls). */
  retries: number;
}

export interface RetryOptions {
  /** Attempts per batch (first try included) before BatchWriteError. Default 10. */
  maxAttempts?: number;
  /** Full-jitter exponential backoff: delay = random(0, min(maxDelayMs, baseDelayMs * 2^attempt)). Defaults 50 / 5000. */
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export interface WriteAssignmentsOptions {
  /** BatchWriteItem calls in flight at once (default 8). */
  concurrency?: number;
  onProgress?: (progress: WriteProgress) => void;
  retry?: RetryOptions;
}

export interface WriteAssignmentsResult {
  written: number;
  batches: number;
  retries: number;
  durationMs: number;
  segmentCounts: Record<string, number>;
}

export interface ActivateOptions {
  /**
   * Before flipping the pointer, count the version's items in GSI1 (per segment, all shards) until they match
   * the written counts, so that member listings are complete when readers switch (GSIs are eventually
   * consistent in AWS). Default true.
   */
  verifyIndex?: boolean;
  /** How long to wait for the index to catch up (default 60 s). */
  indexTimeoutMs?: number;
}

export interface ListMembersOptions {
  /** Page size, 1..1000 (default 100). */
  limit?: number;
  /** The opaque cursor returned by the previous page. */
  cursor?: string;
  /** Highest spend first (default false: lowest first). Ties are ordered by customer id in the same direction. */
  bySpendDesc?: boolean;
  /** Read this version instead of the active one (the cursor pins the version anyway). */
  version?: string;
}

export interface MembersPage {
  /** The version read (undefined when there is no active version). */
  version?: string;
  segmentId: number;
  items: StoredAssignment[];
  /** Present iff there are more members. */
  cursor?: string;
}

export type RunStatus = 'claimed' | 'ingesting' | 'training' | 'succeeded' | 'failed' | 'rejected' | 'skipped';

export interface RunRecord {
  datasetId: string;
  status: RunStatus;
  tablesPresent: string[];
  claimedAt: string;
  updatedAt: string;
  reasons: string[];
  counts: Record<string, number>;
  /** Durations in milliseconds, by step name. */
  timings: Record<string, number>;
  modelVersion?: string;
}

export interface ClaimResult {
  /** true for exactly one caller per dataset id. */
  claimed: boolean;
  /** The run record (the caller's new one, or the existing one when not claimed). */
  run: RunRecord;
}

export interface RunUpdate {
  /** Replaces the reasons list. */
  reasons?: string[];
  /** Merged into the existing counts, key by key. */
  counts?: Record<string, number>;
  /** Merged into the existing timings, key by key. */
  timings?: Record<string, number>;
  modelVersion?: string;
}

export interface StabilityCheckRecord {
  /** ISO time of the check (the sort key, with the model version). */
  checkedAt: string;
  modelVersion: string;
  /** Adjusted Rand index between the active model and a fresh fit (null when not computed). */
  ari: number | null;
  /** Drift measures by feature (or any named measure). */
  drift: Record<string, number>;
  ageDays: number;
  verdict: string;
  reasons: string[];
  /** Any other JSON-like details. */
  details?: Record<string, unknown>;
}

export interface DeleteResult {
  version: string;
  deletedAssignments: number;
  deletedModelItems: number;
}

export interface SegmentStore {
  // --- models -------------------------------------------------------------------------------
  /** Writes the model META (status 'writing', assignment counter 0) and one item per segment. Re-running for a
   * version that is not yet activated overwrites it; an activated version is refused (ModelStateError). */
  putModelDraft(model: SegmentModel): Promise<void>;
  /** Writes all assignments of a drafted version (BatchWriteItem by 25, bounded parallelism, retries), then records
   * the distinct count in META. Idempotent: re-running overwrites the same keys. Refused once the version is activated. */
  writeAssignments(
    version: string,
    assignments: readonly CustomerAssignment[],
    options?: WriteAssignmentsOptions,
  ): Promise<WriteAssignmentsResult>;
  /** Flips MODEL/ACTIVE to version iff its META says all assignments are written; marks it 'active' and the previous
   * active version 'superseded'. Idempotent. Also used to roll back to a superseded (complete) version. */
  activateModel(version: string, options?: ActivateOptions): Promise<ActivePointer>;
  getActivePointer(): Promise<ActivePointer | undefined>;
  getActiveModel(): Promise<ActiveModel | undefined>;
  getModel(version: string): Promise<ModelRecord | undefined>;
  /** All versions, newest createdAt first. */
  listModels(): Promise<ModelSummary[]>;
  /** Segments of version (default: the active one), by id; [] when there is no active version. */
  listSegments(version?: string): Promise<SegmentDescription[]>;
  /** Deletes a non-active version: its assignments (through GSI1), segments and META (last). */
  deleteModelVersion(version: string, options?: { retry?: RetryOptions; concurrency?: number }): Promise<DeleteResult>;

  // --- customers ----------------------------------------------------------------------------
  /** The customer's assignment in the active version (or the given one); undefined if absent. */
  getCustomer(customerId: string, options?: { version?: string }): Promise<StoredAssignment | undefined>;
  /** One page of a segment's members of the active version, merged across GSI shards in spend order. */
  listSegmentMembers(segmentId: number, options?: ListMembersOptions): Promise<MembersPage>;

  // --- pipeline runs ------------------------------------------------------------------------
  claimRun(datasetId: string, options: { tablesPresent: string[] }): Promise<ClaimResult>;
  updateRun(datasetId: string, status: RunStatus, update?: RunUpdate): Promise<RunRecord>;
  getRun(datasetId: string): Promise<RunRecord | undefined>;

  // --- stability history --------------------------------------------------------------------
  putStabilityCheck(record: StabilityCheckRecord): Promise<void>;
  /** Newest first. */
  listStabilityChecks(limit?: number): Promise<StabilityCheckRecord[]>;
}
