/**
 * People's assignments to the segments of a model version: written in bulk by the pipeline (one writer, or one per
 * partition on the distributed path), read one by one or a segment page at a time. Implemented on DynamoDB by
 * dynamo-assignment-store.ts; the items and exact requests are in ../README.md.
 */
import type { CustomerAssignment } from '../../core/domain/types';
import type { RetryOptions } from '../batch-writer';

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

/** What one part (writeAssignmentPart) wrote. */
export interface AssignmentPartResult {
  /** Items written by this call. */
  written: number;
  /** Index of the first assignment not written (the assignments' length when complete). */
  next: number;
  /** Every assignment of the part is written (false: stopped by shouldStop, resume from `next`). */
  complete: boolean;
  batches: number;
  retries: number;
  /** Per segment id, the part's assignments (all of them, whatever this call wrote). */
  segmentCounts: Record<string, number>;
  /** Per segment id, the part's assignments with the borderline index's keys (margin below BORDERLINE_MARGIN). */
  borderlineCounts: Record<string, number>;
}

export interface WriteAssignmentsResult extends AssignmentPartResult {
  /** Every assignment is written and counted in META (false: stopped by shouldStop, resume from `next`). */
  complete: boolean;
  durationMs: number;
}

/** The parts' totals, recorded in META by completeAssignmentParts. */
export interface AssignmentTotals {
  written: number;
  segmentCounts: Record<string, number>;
  borderlineCounts?: Record<string, number>;
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

/** Reading assignments (the active version unless one is given). */
export interface AssignmentReader {
  /** The customer's assignment in the active version (or the given one); undefined if absent. */
  getCustomer(customerId: string, options?: { version?: string }): Promise<StoredAssignment | undefined>;
  /** One page of a segment's members of the active version, merged across GSI shards in spend order. */
  listSegmentMembers(segmentId: number, options?: ListMembersOptions): Promise<MembersPage>;
  /** One page of a segment's borderline members (margin below BORDERLINE_MARGIN) of the active version, smallest margin first. */
  listBorderlineMembers(segmentId: number, options?: ListBorderlineOptions): Promise<MembersPage>;
}

/** Writing a drafted version's assignments (the version must be 'writing': ModelStore.putModelDraft). */
export interface AssignmentWriter {
  /** Writes all assignments of a drafted version (BatchWriteItem by 25, bounded parallelism, retries), then records
   * the distinct count in META. Idempotent: re-running overwrites the same keys. Refused once the version is activated.
   * A write stopped by `shouldStop` records where it stopped in META (`writeNext`, nothing counted yet), and a call
   * with `from` = that index writes the rest and counts them all. */
  writeAssignments(version: string, assignments: readonly CustomerAssignment[], options?: WriteAssignmentsOptions): Promise<WriteAssignmentsResult>;
  /**
   * One part of a version's assignments written by one of several parallel writers (the distributed path: one writer
   * per feature partition; each customer is in exactly one part). The items are the ones writeAssignments writes, but
   * META's counters are left alone: the parts' counts are added up and recorded once, by completeAssignmentParts,
   * after every part succeeded (putModelDraft reset them to 0, so a version whose parts did not all finish can never be
   * activated). Re-running a part is idempotent; `from` resumes it (the caller keeps where it stopped).
   */
  writeAssignmentPart(version: string, assignments: readonly CustomerAssignment[], options?: Omit<WriteAssignmentsOptions, 'onProgress'>): Promise<AssignmentPartResult>;
  /** Records the total of the parts in META (what writeAssignments records at its end), while the version is 'writing'. */
  completeAssignmentParts(version: string, totals: AssignmentTotals): Promise<void>;
}

export type AssignmentStore = AssignmentReader & AssignmentWriter;
