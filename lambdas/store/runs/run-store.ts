/**
 * Pipeline runs, one record per dataset: who works on it (a lease, handed from ingest to training), in which status,
 * with which counts and timings. Exactly one caller claims a run; a holder whose lease was taken over is fenced off
 * (LeaseLostError). Implemented on DynamoDB by dynamo-run-store.ts; the items and exact requests are in ../README.md.
 */

/** 'waiting': some required tables have not arrived yet (reasons name them); claimRun takes the record over.
 * claimed/ingesting/training: in progress, held by a lease; failed: a transient failure, a later event or retry may
 * take the run over; succeeded/rejected/skipped/superseded: final. superseded: the run's model is complete but a
 * model of newer data (later asOf) was already active, so it was not activated. */
export type RunStatus = 'waiting' | 'claimed' | 'ingesting' | 'training' | 'succeeded' | 'failed' | 'rejected' | 'skipped' | 'superseded';

/**
 * The token a run's holder hands its lease to (ingest → the training invocation). Derived from the holder, so that
 * the holder's own retry (same owner: Lambda retries keep the request id) can still take the run back if it died
 * between handing the lease over and starting training.
 */
export function handoffToken(owner: string): string {
  return `${owner}/handoff`;
}

/** Statuses in which a run is being worked on; a run in one of them whose lease expired may be taken over. */
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

export interface RunStore {
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
}
