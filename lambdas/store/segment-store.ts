/**
 * The segment table as the pipeline and the marketing apps see it (access patterns, not DynamoDB).
 * Implemented by DynamoSegmentStore; see README.md in this folder for the items and exact queries.
 */
import type { CustomerAssignment, SegmentDescription, SegmentModel } from '../core/domain/types';

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
  /** Per segment id, the borderline assignments among them (those in GSI2); absent for versions written before GSI2. */
  borderlineCounts?: Record<string, number>;
  /** GSI1 shards per segment used by this version. */
  shards: number;
  draftedAt: string;
  /** When the last writeAssignments started (a draft's latest activity, with writtenAt). */
  writeStartedAt?: string;
  writtenAt?: string;
  /** A write that stopped at its function's time limit: the index of the first assignment not written (resumed from there). */
  writeNext?: number;
  activatedAt?: string;
  supersededAt?: string;
  supersededBy?: string;
  /** The pipeline run (dataset id) that drafted the version (putModelDraft's runId): retention checks its lease. */
  runId?: string;
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
  /**
   * Write budget in items per second (token bucket shared by the concurrent batches; retries count too).
   * Undefined / 0 = unlimited (local runs). In AWS it keeps a bulk load below what the table can absorb
   * (on-demand: ~1,000 WCU/s per partition) so that throttling stays the exception, not the flow control.
   */
  itemsPerSecond?: number;
  onProgress?: (progress: WriteProgress) => void;
  retry?: RetryOptions;
  /**
   * Resume a write that stopped (a function that met its time limit): the index of the first assignment not yet
   * written, as the stopped call returned it (`next`). The version's META must say the write stopped exactly there.
   */
  from?: number;
  /** Asked before each batch: true stops the write (batches in flight finish); the result says where (`next`). */
  shouldStop?: () => boolean;
}

export interface WriteAssignmentsResult {
  /** Items written by this call. */
  written: number;
  /** Index of the first assignment not written (the assignments' length when complete). */
  next: number;
  /** Every assignment is written and counted in META (false: stopped by shouldStop, resume from `next`). */
  complete: boolean;
  batches: number;
  retries: number;
  durationMs: number;
  segmentCounts: Record<string, number>;
  /** Per segment id, the assignments written with the borderline index's keys (margin below BORDERLINE_MARGIN). */
  borderlineCounts: Record<string, number>;
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
  /**
   * The pipeline's rule for concurrent datasets: refuse (StaleModelError; the version is marked 'superseded') when the
   * active version was trained on newer data (a later model.asOf), and re-decide when another activation wins a race.
   * Off by default (an operator's rollback activates an older version on purpose).
   */
  ifNotOlder?: boolean;
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

export interface ListBorderlineOptions {
  /** Page size, 1..1000 (default 100). */
  limit?: number;
  /** The opaque cursor returned by the previous page (it pins the version). */
  cursor?: string;
  /** Read this version instead of the active one. */
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

/** 'waiting': some required tables have not arrived yet (reasons name them); claimRun takes the record over.
 * claimed/ingesting/training: in progress, held by a lease; failed: a transient failure, a later event or retry may
 * take the run over; succeeded/rejected/skipped/superseded: final. superseded: the run's model is complete but a
 * model of newer data (later asOf) was already active, so it was not activated. */
export type RunStatus = 'waiting' | 'claimed' | 'ingesting' | 'training' | 'succeeded' | 'failed' | 'rejected' | 'skipped' | 'superseded';

/** Statuses in which a run is being worked on; a run in one of them whose lease expired may be taken over. */
/**
 * The token a run's holder hands its lease to (ingest → the training invocation). Derived from the holder, so that
 * the holder's own retry (same owner: Lambda retries keep the request id) can still take the run back if it died
 * between handing the lease over and starting training.
 */
export function handoffToken(owner: string): string {
  return `${owner}/handoff`;
}

export const IN_PROGRESS_RUN_STATUSES: readonly RunStatus[] = ['claimed', 'ingesting', 'training'];

/** Which path trains a dataset and why (lambdas/pipeline/route.ts): set by ingest before anything is loaded. */
export interface RunRoute {
  path: 'single' | 'distributed';
  /** In words, with the figures behind the decision. */
  reason: string;
  /** People estimated from the size of the customers table (before reading the export). */
  estimatedPeople: number;
  /** The largest export (people) the single-function path takes with its margin, or the configured override. */
  threshold: number;
  thresholdSource: 'estimate' | 'override';
  /** The distributed path's execution (its name), when it runs. */
  execution?: string;
}

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
  /** Claims and takeovers so far (1 for a run claimed once; 0 or absent before the first claim). */
  attempts?: number;
  /** Who works on the run now (an invocation's random token, or a hand-off token) and until when (ISO time). */
  leaseOwner?: string;
  leaseUntil?: string;
  route?: RunRoute;
  /** The status the run had when it was last taken over (a failed or abandoned attempt), and its reasons. */
  previousStatus?: RunStatus;
  previousReasons?: string[];
}

export interface ClaimOptions {
  tablesPresent: string[];
  /** The caller's lease token (default: a random one, returned in run.leaseOwner): the Lambda request id, so that
   * Lambda's retry of the same request (same id) takes its dead attempt's run over at once. */
  owner?: string;
  /** Lease length (the pipeline: the invocation's timeout + a margin; renewRunLease extends it). Default 60 s. */
  leaseMs?: number;
}

export interface ClaimResult {
  /** true for exactly one caller at a time: a new (or 'waiting') run, a 'failed' one, one whose lease expired, or
   * one whose lease the caller's own owner holds (a retry of the same request). */
  claimed: boolean;
  /** The run record (the caller's, or the existing one when not claimed). */
  run: RunRecord;
  /** true when an existing run was taken over (run.previousStatus says from what). */
  takeover?: boolean;
}

export interface AcquireLeaseOptions {
  owner: string;
  leaseMs: number;
  /** Status to set (e.g. 'training'). */
  status: RunStatus;
  /** Statuses the run may be in (besides 'failed', always accepted); a valid lease held by another owner refuses
   * (one held by `owner` itself is a retry of the same request: acquired at once). */
  from: RunStatus[];
  /** A hand-off token: a run leased to this token is acquired even though its lease is still valid. */
  handoff?: string;
}

export interface RunUpdate {
  /** Replaces the reasons list. */
  reasons?: string[];
  /** Merged into the existing counts, key by key. */
  counts?: Record<string, number>;
  /** Merged into the existing timings, key by key. */
  timings?: Record<string, number>;
  modelVersion?: string;
  route?: RunRoute;
  /** Fencing: the update applies only while the run's lease is held by this owner (else LeaseLostError). */
  ifOwner?: string;
  /** Hand the lease to another owner (e.g. the training invocation) for ms, or release it (a failure: others may retry now). */
  lease?: { owner: string; ms: number } | 'release';
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
  putModelDraft(model: SegmentModel, options?: { runId?: string }): Promise<void>;
  /** Writes all assignments of a drafted version (BatchWriteItem by 25, bounded parallelism, retries), then records
   * the distinct count in META. Idempotent: re-running overwrites the same keys. Refused once the version is activated.
   * A write stopped by `shouldStop` records where it stopped in META (`writeNext`, nothing counted yet), and a call
   * with `from` = that index writes the rest and counts them all. */
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
  /** One page of a segment's borderline members (margin below BORDERLINE_MARGIN) of the active version, smallest margin first. */
  listBorderlineMembers(segmentId: number, options?: ListBorderlineOptions): Promise<MembersPage>;

  // --- pipeline runs ------------------------------------------------------------------------
  /** Exactly one caller gets claimed: true; a 'waiting' record counts as unclaimed, and so do a 'failed' run, an
   * in-progress run whose lease expired (its holder crashed or timed out) and an in-progress run leased to the same
   * owner (Lambda's retry of the same request id after its attempt died): those are taken over. */
  claimRun(datasetId: string, options: ClaimOptions): Promise<ClaimResult>;
  /** Takes the lease of an existing run (the training step); claimed: false when someone else holds it or the run is final. */
  acquireRunLease(datasetId: string, options: AcquireLeaseOptions): Promise<ClaimResult>;
  /** Extends the lease while its owner works; false when the lease was lost (taken over after it expired). */
  renewRunLease(datasetId: string, owner: string, leaseMs: number): Promise<boolean>;
  /** Writes a 'waiting' run (the missing tables as reasons) unless the dataset is already claimed; then undefined. */
  noteWaiting(datasetId: string, options: { tablesPresent: string[]; reasons: string[] }): Promise<RunRecord | undefined>;
  updateRun(datasetId: string, status: RunStatus, update?: RunUpdate): Promise<RunRecord>;
  getRun(datasetId: string): Promise<RunRecord | undefined>;

  // --- stability history --------------------------------------------------------------------
  putStabilityCheck(record: StabilityCheckRecord): Promise<void>;
  /** Newest first. */
  listStabilityChecks(limit?: number): Promise<StabilityCheckRecord[]>;
}
