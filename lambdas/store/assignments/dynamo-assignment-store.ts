/**
 * AssignmentStore on the segment table: one item per person and version (`CUSTOMER#id / MODEL#version`), in GSI1 by
 * segment shard and spend, and in GSI2 when borderline. Writes validate everything first (requests.ts), then go through
 * the batch writer; the counts that make a version activatable are recorded on its META item, conditional on the
 * version still being 'writing' (the model store's activation checks them).
 */
import { rateLimiter } from '../../core/util/tokenBucket';
import type { CustomerAssignment } from '../../core/domain/types';
import { marshallValue } from '../codec';
import { InvalidInputError, ModelNotFoundError, ModelStateError } from '../errors';
import { META_SK, assignmentSk, customerPk, modelPk } from '../keys';
import type { VersionMeta } from '../models/meta';
import type { ActivePointerReader } from '../models/model-store';
import { conditionally, itemKey, N, S, type TableContext } from '../table';
import type {
  AssignmentPartResult,
  AssignmentStore,
  AssignmentTotals,
  ListBorderlineOptions,
  ListMembersOptions,
  MembersPage,
  StoredAssignment,
  WriteAssignmentsOptions,
  WriteAssignmentsResult,
} from './assignment-store';
import { queryBorderline } from './borderline';
import { listSegmentMembers } from './members-page';
import { buildAssignmentRequests, toAssignment } from './requests';

/** The META condition of every counter update: only a draft's counters change. */
const WHILE_WRITING = { ConditionExpression: '#status = :writing', ExpressionAttributeNames: { '#status': 'status' } } as const;

export class DynamoAssignmentStore implements AssignmentStore {
  constructor(
    private readonly ctx: TableContext,
    private readonly meta: VersionMeta,
    /** Readers default to the active version (the model store's pointer, with its cache). */
    private readonly pointer: ActivePointerReader,
  ) {}

  async writeAssignments(version: string, assignments: readonly CustomerAssignment[], options: WriteAssignmentsOptions = {}): Promise<WriteAssignmentsResult> {
    const { table, clock } = this.ctx;
    const started = Date.now();
    const meta = await this.writableMeta(version);
    // Validate and build every item before writing anything.
    const { requests, segmentCounts, borderlineCounts } = buildAssignmentRequests(version, assignments, meta.shards, new Set<number>(meta.segmentIds));

    const from = options.from ?? 0;
    if (!Number.isInteger(from) || from < 0 || from > assignments.length) throw new InvalidInputError(`from must be an index into the ${assignments.length} assignments, got ${from}`);
    if (from === 0) {
      // Mark the write as in progress: a partial re-run never leaves an old "complete" count behind.
      await conditionally(
        () =>
          table.update({
            Key: itemKey(modelPk(version), META_SK),
            UpdateExpression: 'SET assignmentsWritten = :zero, segmentCounts = :empty, writeStartedAt = :now REMOVE writtenAt, borderlineCounts, writeNext',
            ...WHILE_WRITING,
            ExpressionAttributeValues: { ':zero': N(0), ':empty': { M: {} }, ':now': S(clock.iso()), ':writing': S('writing') },
          }),
        () => {
          throw new ModelStateError(version, 'cannot write assignments: the version left the writing state');
        },
      );
    } else if (meta.writeNext !== from) {
      throw new ModelStateError(version, `cannot resume the write at ${from}: it stopped at ${meta.writeNext ?? 'no recorded index'}`);
    }

    const result = await table.batchWrite(from ? requests.slice(from) : requests, {
      concurrency: options.concurrency,
      limiter: rateLimiter(options.itemsPerSecond),
      retry: options.retry ?? this.ctx.retry,
      label: `writeAssignments(${version})`,
      onBatch: options.onProgress,
      shouldStop: options.shouldStop,
    });
    const next = from + result.next;
    const complete = next === assignments.length;

    await conditionally(
      () =>
        table.update({
          Key: itemKey(modelPk(version), META_SK),
          // Stopped: only where (the counters stay 0, so the version cannot be activated half-written).
          ...(complete
            ? {
                UpdateExpression: 'SET assignmentsWritten = :n, segmentCounts = :counts, borderlineCounts = :borderline, writtenAt = :now REMOVE writeNext',
                ExpressionAttributeValues: {
                  ':n': N(assignments.length),
                  ':counts': marshallValue(segmentCounts),
                  ':borderline': marshallValue(borderlineCounts),
                  ':now': S(clock.iso()),
                  ':writing': S('writing'),
                },
              }
            : { UpdateExpression: 'SET writeNext = :next', ExpressionAttributeValues: { ':next': N(next), ':writing': S('writing') } }),
          ...WHILE_WRITING,
        }),
      () => {
        throw new ModelStateError(version, 'the version left the writing state during the write');
      },
    );
    return { written: result.written, next, complete, batches: result.batches, retries: result.retries, durationMs: Date.now() - started, segmentCounts, borderlineCounts };
  }

  async writeAssignmentPart(version: string, assignments: readonly CustomerAssignment[], options: Omit<WriteAssignmentsOptions, 'onProgress'> = {}): Promise<AssignmentPartResult> {
    const meta = await this.writableMeta(version);
    const from = options.from ?? 0;
    const { requests, segmentCounts, borderlineCounts } = buildAssignmentRequests(version, assignments, meta.shards, new Set<number>(meta.segmentIds));
    const result = await this.ctx.table.batchWrite(from ? requests.slice(from) : requests, {
      concurrency: options.concurrency,
      limiter: rateLimiter(options.itemsPerSecond),
      retry: options.retry ?? this.ctx.retry,
      label: `writeAssignmentPart(${version})`,
      shouldStop: options.shouldStop,
    });
    const next = from + result.next;
    // Counts are those of the whole part (every assignment given), recorded once the part is complete.
    return { written: result.written, next, complete: next === assignments.length, batches: result.batches, retries: result.retries, segmentCounts, borderlineCounts };
  }

  async completeAssignmentParts(version: string, totals: AssignmentTotals): Promise<void> {
    await conditionally(
      () =>
        this.ctx.table.update({
          Key: itemKey(modelPk(version), META_SK),
          UpdateExpression: `SET assignmentsWritten = :n, segmentCounts = :counts, writtenAt = :now${totals.borderlineCounts ? ', borderlineCounts = :borderline' : ''}`,
          ...WHILE_WRITING,
          ExpressionAttributeValues: {
            ':n': N(totals.written),
            ':counts': marshallValue(totals.segmentCounts),
            ':now': S(this.ctx.clock.iso()),
            ':writing': S('writing'),
            ...(totals.borderlineCounts ? { ':borderline': marshallValue(totals.borderlineCounts) } : {}),
          },
        }),
      () => {
        throw new ModelStateError(version, 'cannot complete assignments: the version is not in the writing state');
      },
    );
  }

  async getCustomer(customerId: string, options: { version?: string } = {}): Promise<StoredAssignment | undefined> {
    const version = options.version ?? (await this.pointer.getActivePointer())?.version;
    if (!version) return undefined;
    // Eventually consistent: the item was written before the version was activated.
    const item = await this.ctx.table.getItem(customerPk(customerId), assignmentSk(version), false);
    return item ? toAssignment(item) : undefined;
  }

  listSegmentMembers(segmentId: number, options: ListMembersOptions = {}): Promise<MembersPage> {
    return listSegmentMembers({ table: this.ctx.table, meta: this.meta, pointer: this.pointer }, segmentId, options);
  }

  async listBorderlineMembers(segmentId: number, options: ListBorderlineOptions = {}): Promise<MembersPage> {
    const limit = options.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new InvalidInputError('limit must be an integer in 1..1000');
    if (!Number.isInteger(segmentId)) throw new InvalidInputError('segmentId must be an integer');
    const version = options.cursor ? options.version : (options.version ?? (await this.pointer.getActivePointer())?.version);
    if (!version && !options.cursor) return { version: undefined, segmentId, items: [] };
    const page = await queryBorderline(this.ctx.table, segmentId, { version, limit, cursor: options.cursor });
    return { version: page.version, segmentId, items: page.items.map(toAssignment), ...(page.cursor ? { cursor: page.cursor } : {}) };
  }

  /** The version's META, which must exist and be 'writing'. */
  private async writableMeta(version: string): Promise<Record<string, any>> {
    const meta = await this.meta.get(version);
    if (!meta) throw new ModelNotFoundError(version);
    if (meta.status !== 'writing') throw new ModelStateError(version, `cannot write assignments: the version is '${meta.status}'`);
    return meta;
  }
}
