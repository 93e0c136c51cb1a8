/**
 * Model versions as the pipeline and the readers see them: a draft (META + one item per segment), its activation
 * (the MODEL/ACTIVE pointer), listings and deletion. Implemented on DynamoDB by dynamo-model-store.ts; the items and
 * exact requests are in ../README.md.
 */
import type { SegmentDescription, SegmentModel } from '../../core/domain/types';
import type { RetryOptions } from '../batch-writer';

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

export interface DeleteResult {
  version: string;
  deletedAssignments: number;
  deletedModelItems: number;
}

/** The ACTIVE pointer alone: what readers resolve first (and all that the assignment store needs of the models). */
export interface ActivePointerReader {
  getActivePointer(): Promise<ActivePointer | undefined>;
}

/** Reading model versions: the readers' (SegmentsClient) and the pipeline's view. */
export interface ModelReader extends ActivePointerReader {
  getActiveModel(): Promise<ActiveModel | undefined>;
  getModel(version: string): Promise<ModelRecord | undefined>;
  /** All versions, newest createdAt first. */
  listModels(): Promise<ModelSummary[]>;
  /** Segments of version (default: the active one), by id; [] when there is no active version. */
  listSegments(version?: string): Promise<SegmentDescription[]>;
}

export interface ModelStore extends ModelReader {
  /** Writes the model META (status 'writing', assignment counter 0) and one item per segment. Re-running for a
   * version that is not yet activated overwrites it; an activated version is refused (ModelStateError). */
  putModelDraft(model: SegmentModel, options?: { runId?: string }): Promise<void>;
  /** Flips MODEL/ACTIVE to version iff its META says all assignments are written; marks it 'active' and the previous
   * active version 'superseded'. Idempotent. Also used to roll back to a superseded (complete) version. */
  activateModel(version: string, options?: ActivateOptions): Promise<ActivePointer>;
  /** Deletes a non-active version: its assignments (through GSI1), segments and META (last). */
  deleteModelVersion(version: string, options?: { retry?: RetryOptions; concurrency?: number }): Promise<DeleteResult>;
}
