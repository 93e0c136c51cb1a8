/**
 * SegmentStore on one DynamoDB table (single-table design, see README.md in this folder).
 * Uses only operations that both DynamoDB and dynalite support (no transactions, TTL or streams):
 * the "never a half-written version" guarantee comes from conditional writes on the model's META item
 * and on the MODEL/ACTIVE pointer, in an order that keeps the pointer on a complete version at all times.
 */
import { ID_RULE, isValidId } from '../core/ids';
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type DynamoDBClient,
  type QueryCommandInput,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import { FEATURE_NAMES, type CustomerAssignment, type SegmentDescription, type SegmentModel } from '../core/domain/types';
import { rateLimiter } from '../core/util/tokenBucket';
import { batchWrite } from './batch-writer';
import { marshallItem, marshallValue, unmarshallItem, type Item } from './codec';
import {
  ActivationRefusedError,
  LeaseLostError,
  StaleModelError,
  ConcurrentActivationError,
  InvalidCursorError,
  InvalidInputError,
  ModelNotFoundError,
  ModelStateError,
} from './errors';
import {
  ACTIVE_KEY,
  META_SK,
  MODELS_GSI1PK,
  STABILITY_PK,
  assertKeyPart,
  assignmentSk,
  borderlinePk,
  compareKeys,
  customerIdFromSortKey,
  customerPk,
  modelListSk,
  modelPk,
  runPk,
  segmentShardPk,
  segmentSk,
  segmentSkPrefix,
  shardOf,
  spendSortKey,
  stabilitySk,
} from './keys';
import type {
  AcquireLeaseOptions,
  ActivateOptions,
  ClaimOptions,
  ActiveModel,
  ActivePointer,
  ClaimResult,
  DeleteResult,
  ListBorderlineOptions,
  ListMembersOptions,
  MembersPage,
  ModelRecord,
  ModelStatus,
  ModelSummary,
  RetryOptions,
  RunRecord,
  RunStatus,
  RunUpdate,
  SegmentStore,
  StabilityCheckRecord,
  StoredAssignment,
  WriteAssignmentsOptions,
  WriteAssignmentsResult,
} from './segment-store';
import { handoffToken } from './segment-store';
import { DEFAULT_SEGMENT_SHARDS, GSI1_NAME, GSI2_NAME } from './table-schema';
import { queryBorderline, whyAttributes, whyOfItem } from './borderline';

export interface DynamoSegmentStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /** GSI1 shards per segment for versions drafted by this store (readers use the count stored with each version). */
  shards?: number;
  /** Default retry policy of batch writes. */
  retry?: RetryOptions;
  /** Cache the ACTIVE pointer for this long in readers (default 0: read it every time, strongly consistent). */
  activePointerCacheMs?: number;
  now?: () => Date;
}

const S = (value: string) => ({ S: value });
const N = (value: number) => marshallValue(value);

/** Lease of a claim when the caller names none: long enough for a few missed renewals. */
export const DEFAULT_LEASE_MS = 60_000;

/** A run may be taken over when it failed, or when it is in progress but its lease expired (or it predates leases),
 * or when the caller is the lease's owner itself: owners are Lambda request ids, and Lambda retries an async
 * invocation under the same request id only after the previous attempt ended (error, crash, timeout), so a claim
 * by the current owner is that retry, taking over its own dead attempt at once whatever the lease's expiry.
 * Assumption: the same owner never runs twice concurrently (true in AWS: a timeout kills the runtime before the
 * retry starts); a random owner (no request id) is unique, so it never matches. */
const TAKEOVER_CONDITION =
  '#status = :failed OR (#status IN (:tClaimed, :tIngesting, :tTraining) AND (leaseOwner IN (:owner, :ownerHandoff) OR attribute_not_exists(leaseUntil) OR leaseUntil < :now))';
function takeoverValues(now: string): Item {
  return { ':failed': S('failed'), ':tClaimed': S('claimed'), ':tIngesting': S('ingesting'), ':tTraining': S('training'), ':now': S(now) };
}

function isConditionFailure(err: unknown): boolean {
  return err instanceof ConditionalCheckFailedException || (err as Error)?.name === 'ConditionalCheckFailedException';
}

interface CursorState {
  /** version */
  v: string;
  /** segment id */
  s: number;
  /** 1: descending by spend */
  d: 0 | 1;
  /** shard count */
  n: number;
  /** per shard: 0 not started, 1 exhausted, string: GSI1SK of the last member returned */
  p: (0 | 1 | string)[];
}

function encodeCursor(state: CursorState): string {
  return Buffer.from(JSON.stringify(state), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): CursorState {
  let state: CursorState;
  try {
    state = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError('not a cursor returned by listSegmentMembers');
  }
  const ok =
    state &&
    typeof state.v === 'string' &&
    Number.isInteger(state.s) &&
    (state.d === 0 || state.d === 1) &&
    Number.isInteger(state.n) &&
    state.n > 0 &&
    Array.isArray(state.p) &&
    state.p.length === state.n &&
    state.p.every((x) => x === 0 || x === 1 || typeof x === 'string');
  if (!ok) throw new InvalidCursorError('malformed');
  return state;
}

/**
 * The PutRequests of a version's assignments (validated: unique non-empty ids, known segments, finite features)
 * and the count per segment. Shared by writeAssignments and the partitioned writer (writeAssignmentPart).
 */
export function buildAssignmentRequests(
  version: string,
  assignments: readonly CustomerAssignment[],
  shards: number,
  segmentIds: ReadonlySet<number>,
): { requests: WriteRequest[]; segmentCounts: Record<string, number>; borderlineCounts: Record<string, number> } {
  const seen = new Set<string>();
  const segmentCounts: Record<string, number> = {};
  const borderlineCounts: Record<string, number> = {};
  const requests: WriteRequest[] = new Array(assignments.length);
  assignments.forEach((a, i) => {
    const where = `assignments[${i}] (customer ${a.customerId})`;
    // The loader's identifier rule (core/ids.ts): also what keeps the item keys within DynamoDB's limits.
    if (typeof a.customerId !== 'string' || !isValidId(a.customerId)) throw new InvalidInputError(`${where}: customerId must be ${ID_RULE}`);
    if (seen.has(a.customerId)) throw new InvalidInputError(`${where}: duplicate customerId`);
    seen.add(a.customerId);
    if (!segmentIds.has(a.segmentId)) throw new InvalidInputError(`${where}: segment ${a.segmentId} is not a segment of model ${version}`);
    // A feature may be undefined for a person (NaN: no review, or nothing delivered for the delivery features of a
    // rule segment's member): it is left out of the item. Anything else must be a finite number.
    const features: Partial<Record<string, number>> = {};
    for (const name of FEATURE_NAMES) {
      const v = a.features?.[name];
      if (typeof v === 'number' && Number.isNaN(v)) continue;
      if (!Number.isFinite(v)) throw new InvalidInputError(`${where}: feature ${name} must be a finite number or NaN (undefined)`);
      features[name] = v;
    }
    const spend = a.features.monetary;
    if (!Number.isFinite(spend)) throw new InvalidInputError(`${where}: feature monetary must be a finite number`);
    segmentCounts[a.segmentId] = (segmentCounts[a.segmentId] ?? 0) + 1;
    // Why the person is there, and the borderline index's keys when the margin is small (borderline.ts).
    const why = whyAttributes(version, a, segmentIds, where);
    if (why.borderline) borderlineCounts[a.segmentId] = (borderlineCounts[a.segmentId] ?? 0) + 1;
    const item = {
      PK: customerPk(a.customerId),
      SK: assignmentSk(version),
      GSI1PK: segmentShardPk(version, a.segmentId, shardOf(a.customerId, shards)),
      GSI1SK: spendSortKey(spend, a.customerId),
      type: 'assignment',
      customerId: a.customerId,
      version,
      segmentId: a.segmentId,
      segmentName: a.segmentName,
      previousSegmentId: a.previousSegmentId,
      spend,
      features,
      ...why.attributes,
    };
    requests[i] = { PutRequest: { Item: marshallItem(item, where) } };
  });
  return { requests, segmentCounts, borderlineCounts };
}

export class DynamoSegmentStore implements SegmentStore {
  private readonly client: DynamoDBClient;
  readonly tableName: string;
  private readonly shards: number;
  private readonly retry: RetryOptions;
  private readonly pointerCacheMs: number;
  private readonly now: () => Date;
  private pointerCache?: { value: ActivePointer | undefined; expires: number };
  /** Shard count per version (immutable once drafted). */
  private readonly shardCache = new Map<string, number>();

  constructor(options: DynamoSegmentStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.shards = options.shards ?? DEFAULT_SEGMENT_SHARDS;
    if (!Number.isInteger(this.shards) || this.shards < 1 || this.shards > 100) throw new InvalidInputError('shards must be an integer in 1..100');
    this.retry = options.retry ?? {};
    this.pointerCacheMs = options.activePointerCacheMs ?? 0;
    this.now = options.now ?? (() => new Date());
  }

  private iso(): string {
    return this.now().toISOString();
  }

  private isoIn(ms: number): string {
    return new Date(this.now().getTime() + ms).toISOString();
  }

  // ------------------------------------------------------------------------------------------
  // low-level helpers

  private async getItem(PK: string, SK: string, consistent = true): Promise<Record<string, any> | undefined> {
    const res = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: { PK: S(PK), SK: S(SK) }, ConsistentRead: consistent }),
    );
    return res.Item ? unmarshallItem(res.Item) : undefined;
  }

  private async queryAll(input: Omit<QueryCommandInput, 'TableName'>): Promise<Item[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const res = await this.client.send(new QueryCommand({ ...input, TableName: this.tableName, ExclusiveStartKey: start }));
      items.push(...(res.Items ?? []));
      start = res.LastEvaluatedKey;
    } while (start);
    return items;
  }

  private async countAll(input: Omit<QueryCommandInput, 'TableName' | 'Select'>): Promise<number> {
    let count = 0;
    let start: Item | undefined;
    do {
      const res = await this.client.send(
        new QueryCommand({ ...input, TableName: this.tableName, Select: 'COUNT', ExclusiveStartKey: start }),
      );
      count += res.Count ?? 0;
      start = res.LastEvaluatedKey;
    } while (start);
    return count;
  }

  private async getMeta(version: string): Promise<Record<string, any> | undefined> {
    return this.getItem(modelPk(version), META_SK);
  }

  private async shardsOf(version: string): Promise<number | undefined> {
    const cached = this.shardCache.get(version);
    if (cached !== undefined) return cached;
    const meta = await this.getMeta(version);
    if (!meta) return undefined;
    this.shardCache.set(version, meta.shards);
    return meta.shards;
  }

  // ------------------------------------------------------------------------------------------
  // models

  async putModelDraft(model: SegmentModel, options: { runId?: string } = {}): Promise<void> {
    const version = model.version;
    assertKeyPart('model version', version);
    if (!Number.isInteger(model.customers) || model.customers < 0) throw new InvalidInputError(`model ${version}: customers must be an integer >= 0`);
    const ids = model.segments.map((s) => s.id);
    if (ids.some((id) => !Number.isInteger(id) || id < 0 || id > 9999) || new Set(ids).size !== ids.length) {
      throw new InvalidInputError(`model ${version}: segment ids must be distinct integers in 0..9999`);
    }

    const existing = await this.getMeta(version);
    if (existing && existing.status !== 'writing') {
      throw new ModelStateError(version, `cannot draft: the version is already '${existing.status}'`);
    }
    const shards: number = existing?.shards ?? this.shards;
    const { segments, ...body } = model;
    const meta = {
      PK: modelPk(version),
      SK: META_SK,
      GSI1PK: MODELS_GSI1PK,
      GSI1SK: modelListSk(model.createdAt, version),
      type: 'model',
      version,
      status: 'writing' satisfies ModelStatus,
      createdAt: model.createdAt,
      asOf: model.asOf,
      k: model.k,
      customers: model.customers,
      algorithm: model.algorithm,
      dataFingerprint: model.dataFingerprint,
      metrics: model.metrics,
      // Everyone gets an assignment: the clustered customers and the people of the rule segments.
      expectedAssignments: model.people ?? model.customers,
      assignmentsWritten: 0,
      segmentCounts: {},
      segmentIds: ids,
      shards,
      draftedAt: this.iso(),
      ...(options.runId !== undefined ? { runId: options.runId } : {}),
      model: body,
    };
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshallItem(meta, 'model'),
          ConditionExpression: 'attribute_not_exists(PK) OR #status = :writing',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':writing': S('writing') },
        }),
      );
    } catch (err) {
      if (isConditionFailure(err)) throw new ModelStateError(version, 'cannot draft: the version was activated meanwhile');
      throw err;
    }
    this.shardCache.set(version, shards);

    // Segment items: remove those of an earlier draft that the new model no longer has, then put all.
    const keep = new Set(ids.map(segmentSk));
    const stale = (
      await this.queryAll({
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :seg)',
        ExpressionAttributeValues: { ':pk': S(modelPk(version)), ':seg': S(segmentSkPrefix) },
        ProjectionExpression: 'PK, SK',
        ConsistentRead: true,
      })
    ).filter((item) => !keep.has(item.SK.S!));
    const requests: WriteRequest[] = [
      ...stale.map((Key) => ({ DeleteRequest: { Key } })),
      ...segments.map((segment) => ({
        PutRequest: {
          Item: marshallItem(
            // NaN (a statistic over no value: a rule segment's delivery features) is stored as null (toSegment reverses it).
            { PK: modelPk(version), SK: segmentSk(segment.id), type: 'segment', version, ...nanAsNull(segment) },
            `segment ${segment.id}`,
          ),
        },
      })),
    ];
    await batchWrite(this.client, this.tableName, requests, { retry: this.retry, label: `putModelDraft(${version})` });
  }

  async writeAssignments(
    version: string,
    assignments: readonly CustomerAssignment[],
    options: WriteAssignmentsOptions = {},
  ): Promise<WriteAssignmentsResult> {
    const started = Date.now();
    const meta = await this.getMeta(version);
    if (!meta) throw new ModelNotFoundError(version);
    if (meta.status !== 'writing') throw new ModelStateError(version, `cannot write assignments: the version is '${meta.status}'`);
    const shards: number = meta.shards;
    const segmentIds = new Set<number>(meta.segmentIds);

    // Validate and build every item before writing anything.
    const { requests, segmentCounts, borderlineCounts } = buildAssignmentRequests(version, assignments, shards, segmentIds);

    const statusIsWriting = {
      ConditionExpression: '#status = :writing',
      ExpressionAttributeNames: { '#status': 'status' },
    };
    const from = options.from ?? 0;
    if (!Number.isInteger(from) || from < 0 || from > assignments.length) throw new InvalidInputError(`from must be an index into the ${assignments.length} assignments, got ${from}`);
    try {
      if (from === 0) {
        // Mark the write as in progress: a partial re-run never leaves an old "complete" count behind.
        await this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: { PK: S(modelPk(version)), SK: S(META_SK) },
            UpdateExpression: 'SET assignmentsWritten = :zero, segmentCounts = :empty, writeStartedAt = :now REMOVE writtenAt, borderlineCounts, writeNext',
            ...statusIsWriting,
            ExpressionAttributeValues: { ':zero': N(0), ':empty': { M: {} }, ':now': S(this.iso()), ':writing': S('writing') },
          }),
        );
      } else if (meta.writeNext !== from) {
        throw new ModelStateError(version, `cannot resume the write at ${from}: it stopped at ${meta.writeNext ?? 'no recorded index'}`);
      }
    } catch (err) {
      if (isConditionFailure(err)) throw new ModelStateError(version, 'cannot write assignments: the version left the writing state');
      throw err;
    }

    const result = await batchWrite(this.client, this.tableName, from ? requests.slice(from) : requests, {
      concurrency: options.concurrency,
      limiter: rateLimiter(options.itemsPerSecond),
      retry: options.retry ?? this.retry,
      label: `writeAssignments(${version})`,
      onBatch: options.onProgress,
      shouldStop: options.shouldStop,
    });
    const next = from + result.next;
    const complete = next === assignments.length;

    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { PK: S(modelPk(version)), SK: S(META_SK) },
          // Stopped: only where (the counters stay 0, so the version cannot be activated half-written).
          ...(complete
            ? {
                UpdateExpression: 'SET assignmentsWritten = :n, segmentCounts = :counts, borderlineCounts = :borderline, writtenAt = :now REMOVE writeNext',
                ExpressionAttributeValues: {
                  ':n': N(assignments.length),
                  ':counts': marshallValue(segmentCounts),
                  ':borderline': marshallValue(borderlineCounts),
                  ':now': S(this.iso()),
                  ':writing': S('writing'),
                },
              }
            : { UpdateExpression: 'SET writeNext = :next', ExpressionAttributeValues: { ':next': N(next), ':writing': S('writing') } }),
          ...statusIsWriting,
        }),
      );
    } catch (err) {
      if (isConditionFailure(err)) throw new ModelStateError(version, 'the version left the writing state during the write');
      throw err;
    }
    return { written: result.written, next, complete, batches: result.batches, retries: result.retries, durationMs: Date.now() - started, segmentCounts, borderlineCounts };
  }

  /**
   * One part of a version's assignments written by one of several parallel writers (the distributed path:
   * one writer per feature partition; each customer is in exactly one part). Items are the ones writeAssignments
   * writes, but META's counters are left alone: the parts' counts are added up and recorded once, by
   * completeAssignmentParts, after every part succeeded (putModelDraft reset them to 0, so a version whose parts
   * did not all finish can never be activated). Re-running a part is idempotent.
   */
  async writeAssignmentPart(
    version: string,
    assignments: readonly CustomerAssignment[],
    options: Omit<WriteAssignmentsOptions, 'onProgress'> = {},
  ): Promise<{ written: number; next: number; complete: boolean; batches: number; retries: number; segmentCounts: Record<string, number>; borderlineCounts: Record<string, number> }> {
    const meta = await this.getMeta(version);
    if (!meta) throw new ModelNotFoundError(version);
    if (meta.status !== 'writing') throw new ModelStateError(version, `cannot write assignments: the version is '${meta.status}'`);
    const from = options.from ?? 0;
    const { requests, segmentCounts, borderlineCounts } = buildAssignmentRequests(version, assignments, meta.shards, new Set<number>(meta.segmentIds));
    const result = await batchWrite(this.client, this.tableName, from ? requests.slice(from) : requests, {
      concurrency: options.concurrency,
      limiter: rateLimiter(options.itemsPerSecond),
      retry: options.retry ?? this.retry,
      label: `writeAssignmentPart(${version})`,
      shouldStop: options.shouldStop,
    });
    const next = from + result.next;
    // Counts are those of the whole part (every assignment given), recorded once the part is complete.
    return { written: result.written, next, complete: next === assignments.length, batches: result.batches, retries: result.retries, segmentCounts, borderlineCounts };
  }

  /** Records the total of the parts in META (what writeAssignments records at its end), while the version is 'writing'. */
  async completeAssignmentParts(version: string, totals: { written: number; segmentCounts: Record<string, number>; borderlineCounts?: Record<string, number> }): Promise<void> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { PK: S(modelPk(version)), SK: S(META_SK) },
          UpdateExpression: `SET assignmentsWritten = :n, segmentCounts = :counts, writtenAt = :now${totals.borderlineCounts ? ', borderlineCounts = :borderline' : ''}`,
          ConditionExpression: '#status = :writing',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':n': N(totals.written),
            ':counts': marshallValue(totals.segmentCounts),
            ':now': S(this.iso()),
            ':writing': S('writing'),
            ...(totals.borderlineCounts ? { ':borderline': marshallValue(totals.borderlineCounts) } : {}),
          },
        }),
      );
    } catch (err) {
      if (isConditionFailure(err)) throw new ModelStateError(version, 'cannot complete assignments: the version is not in the writing state');
      throw err;
    }
  }

  async activateModel(version: string, options: ActivateOptions = {}): Promise<ActivePointer> {
    if (!options.ifNotOlder) return this.activateOnce(version, options);
    // Another pipeline run may flip the pointer between our decision and our write: re-decide against the new one.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.activateOnce(version, options);
      } catch (err) {
        if (!(err instanceof ConcurrentActivationError) || attempt >= 5) throw err;
      }
    }
  }

  private async activateOnce(version: string, options: ActivateOptions): Promise<ActivePointer> {
    const record = await this.getModel(version);
    if (!record) throw new ModelNotFoundError(version);
    const pointer = await this.readPointer();
    if (options.ifNotOlder && pointer && pointer.version !== version) {
      // Decided against this pointer; the flip below is conditional on it, so the decision cannot go stale.
      const active = await this.getMeta(pointer.version);
      if (active && active.asOf > record.model.asOf) {
        await this.markStale(version, pointer.version);
        throw new StaleModelError(version, record.model.asOf, pointer.version, active.asOf);
      }
    }

    if (pointer?.version === version) {
      // Already active (possibly a re-run after a crash between the pointer flip and the bookkeeping).
      if (record.status !== 'active') await this.setStatus(version, 'active', { activatedAt: pointer.activatedAt });
      if (pointer.previousVersion) await this.supersede(pointer.previousVersion, version);
      return pointer;
    }

    const reasons: string[] = [];
    if (record.status === 'deleting') reasons.push('the version is being deleted');
    if (record.expectedAssignments <= 0) reasons.push('the model has no customers');
    if (record.assignmentsWritten !== record.expectedAssignments) {
      reasons.push(`assignments written ${record.assignmentsWritten} of ${record.expectedAssignments} (writeAssignments not completed for all customers)`);
    }
    const clusters = record.model.segments.filter((s) => s.kind !== 'rule').length;
    if (clusters !== record.model.k) reasons.push(`cluster segments stored ${clusters} of k=${record.model.k}`);
    if (reasons.length) throw new ActivationRefusedError(version, reasons);

    if (options.verifyIndex ?? true) await this.waitForIndex(version, record, options.indexTimeoutMs ?? 60_000);

    const activatedAt = this.iso();
    // 1. The META condition re-checks completeness atomically and blocks concurrent writeAssignments/deletion.
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { PK: S(modelPk(version)), SK: S(META_SK) },
          UpdateExpression: 'SET #status = :active, activatedAt = :now REMOVE supersededAt, supersededBy',
          ConditionExpression: '#status IN (:writing, :active, :superseded) AND assignmentsWritten = expectedAssignments',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':active': S('active'),
            ':writing': S('writing'),
            ':superseded': S('superseded'),
            ':now': S(activatedAt),
          },
        }),
      );
    } catch (err) {
      if (isConditionFailure(err)) throw new ActivationRefusedError(version, ['the model META changed during activation (status or written count)']);
      throw err;
    }

    // 2. Flip the pointer, only if nobody else flipped it since we read it.
    const next: ActivePointer = { version, previousVersion: pointer?.version, activatedAt };
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshallItem({ ...ACTIVE_KEY, type: 'active', ...next }),
          ...(pointer
            ? {
                ConditionExpression: '#version = :prev',
                ExpressionAttributeNames: { '#version': 'version' },
                ExpressionAttributeValues: { ':prev': S(pointer.version) },
              }
            : { ConditionExpression: 'attribute_not_exists(PK)' }),
        }),
      );
    } catch (err) {
      if (isConditionFailure(err)) {
        await this.setStatus(version, record.status, { ifActivatedAt: activatedAt }).catch(() => undefined);
        throw new ConcurrentActivationError(version, pointer?.version);
      }
      throw err;
    }
    this.pointerCache = undefined;

    // 3. Bookkeeping on the previous version (the pointer is the truth; this is informational).
    if (pointer) await this.supersede(pointer.version, version);
    return next;
  }

  /**
   * Polls GSI1 counts of the version until each segment has the written number of members, and GSI2 counts until each
   * has its borderline members (versions written before GSI2 record no borderlineCounts: nothing to wait for there).
   */
  private async waitForIndex(version: string, record: ModelRecord, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (let delay = 200; ; delay = Math.min(delay * 2, 5000)) {
      const missing: string[] = [];
      for (const [segmentId, expected] of Object.entries(record.borderlineCounts ?? {})) {
        const indexed = await this.countAll({ IndexName: GSI2_NAME, KeyConditionExpression: 'GSI2PK = :pk', ExpressionAttributeValues: { ':pk': S(borderlinePk(version, Number(segmentId))) } });
        if (indexed !== expected) missing.push(`segment ${segmentId}: ${indexed} of ${expected} borderline in ${GSI2_NAME}`);
      }
      for (const [segmentId, expected] of Object.entries(record.segmentCounts)) {
        const counts = await Promise.all(
          Array.from({ length: record.shards }, (_, shard) =>
            this.countAll({
              IndexName: GSI1_NAME,
              KeyConditionExpression: 'GSI1PK = :pk',
              ExpressionAttributeValues: { ':pk': S(segmentShardPk(version, Number(segmentId), shard)) },
            }),
          ),
        );
        const indexed = counts.reduce((a, b) => a + b, 0);
        if (indexed !== expected) missing.push(`segment ${segmentId}: ${indexed} of ${expected} in ${GSI1_NAME}`);
      }
      if (missing.length === 0) return;
      if (Date.now() + delay > deadline) {
        throw new ActivationRefusedError(version, [`index not complete after ${timeoutMs} ms: ${missing.join(', ')}`]);
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  private async setStatus(
    version: string,
    status: ModelStatus,
    opts: { activatedAt?: string; ifActivatedAt?: string } = {},
  ): Promise<void> {
    const values: Item = { ':status': S(status) };
    let update = 'SET #status = :status';
    if (opts.activatedAt) {
      update += ', activatedAt = :at';
      values[':at'] = S(opts.activatedAt);
    }
    let condition = 'attribute_exists(PK)';
    if (opts.ifActivatedAt) {
      condition += ' AND activatedAt = :if';
      values[':if'] = S(opts.ifActivatedAt);
    }
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: { PK: S(modelPk(version)), SK: S(META_SK) },
        UpdateExpression: update,
        ConditionExpression: condition,
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: values,
      }),
    );
  }

  /** A complete version that lost to newer data: kept (it can still be activated on purpose), marked 'superseded'. */
  private markStale(version: string, by: string): Promise<void> {
    return this.markSuperseded(version, by, 'writing');
  }

  /** The version the pointer just left. */
  private supersede(previous: string, by: string): Promise<void> {
    return this.markSuperseded(previous, by, 'active');
  }

  private async markSuperseded(version: string, by: string, from: 'writing' | 'active'): Promise<void> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { PK: S(modelPk(version)), SK: S(META_SK) },
          UpdateExpression: 'SET #status = :superseded, supersededAt = :now, supersededBy = :by',
          ConditionExpression: 'attribute_exists(PK) AND #status = :from',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':superseded': S('superseded'), ':from': S(from), ':now': S(this.iso()), ':by': S(by) },
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err; // no longer in `from` (already superseded, activated or deleted): nothing to do
    }
  }

  private async readPointer(): Promise<ActivePointer | undefined> {
    const item = await this.getItem(ACTIVE_KEY.PK, ACTIVE_KEY.SK);
    return item ? { version: item.version, previousVersion: item.previousVersion, activatedAt: item.activatedAt } : undefined;
  }

  async getActivePointer(): Promise<ActivePointer | undefined> {
    if (this.pointerCacheMs <= 0) return this.readPointer();
    const now = Date.now();
    if (this.pointerCache && this.pointerCache.expires > now) return this.pointerCache.value;
    const value = await this.readPointer();
    this.pointerCache = { value, expires: now + this.pointerCacheMs };
    return value;
  }

  async getActiveModel(): Promise<ActiveModel | undefined> {
    const pointer = await this.getActivePointer();
    if (!pointer) return undefined;
    const record = await this.getModel(pointer.version);
    if (!record) throw new Error(`the ACTIVE pointer names model ${pointer.version}, which does not exist`);
    return { pointer, record };
  }

  async getModel(version: string): Promise<ModelRecord | undefined> {
    assertKeyPart('model version', version);
    const items = (
      await this.queryAll({
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': S(modelPk(version)) },
        ConsistentRead: true,
      })
    ).map(unmarshallItem);
    const meta = items.find((i) => i.SK === META_SK);
    if (!meta) return undefined;
    // The model's own segment order (META's segmentIds), not the items' key order: a cluster segment's place in that
    // order is its centroid's row (ids are permuted when a model continues the previous one's).
    const order = new Map<number, number>((meta.segmentIds ?? []).map((id: number, i: number) => [id, i]));
    const segments = items
      .filter((i) => i.SK.startsWith(segmentSkPrefix))
      .map(toSegment)
      .sort((a, b) => (order.get(a.id) ?? a.id) - (order.get(b.id) ?? b.id));
    return {
      model: { ...meta.model, segments } as SegmentModel,
      status: meta.status,
      expectedAssignments: meta.expectedAssignments,
      assignmentsWritten: meta.assignmentsWritten,
      segmentCounts: meta.segmentCounts ?? {},
      ...(meta.borderlineCounts ? { borderlineCounts: meta.borderlineCounts } : {}),
      shards: meta.shards,
      draftedAt: meta.draftedAt,
      writeStartedAt: meta.writeStartedAt,
      writtenAt: meta.writtenAt,
      ...(meta.writeNext !== undefined ? { writeNext: meta.writeNext } : {}),
      activatedAt: meta.activatedAt,
      supersededAt: meta.supersededAt,
      supersededBy: meta.supersededBy,
      runId: meta.runId,
    };
  }

  async listModels(): Promise<ModelSummary[]> {
    const items = await this.queryAll({
      IndexName: GSI1_NAME,
      KeyConditionExpression: 'GSI1PK = :pk',
      ExpressionAttributeValues: { ':pk': S(MODELS_GSI1PK) },
      ScanIndexForward: false,
    });
    return items.map(unmarshallItem).map((m) => ({
      version: m.version,
      createdAt: m.createdAt,
      asOf: m.asOf,
      k: m.k,
      customers: m.customers,
      dataFingerprint: m.dataFingerprint,
      algorithm: m.algorithm,
      metrics: m.metrics,
      status: m.status,
      expectedAssignments: m.expectedAssignments,
      assignmentsWritten: m.assignmentsWritten,
      shards: m.shards,
      draftedAt: m.draftedAt,
      writeStartedAt: m.writeStartedAt,
      writtenAt: m.writtenAt,
      activatedAt: m.activatedAt,
      supersededAt: m.supersededAt,
      supersededBy: m.supersededBy,
      runId: m.runId,
    }));
  }

  async listSegments(version?: string): Promise<SegmentDescription[]> {
    const v = version ?? (await this.getActivePointer())?.version;
    if (!v) return [];
    assertKeyPart('model version', v);
    const items = await this.queryAll({
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :seg)',
      ExpressionAttributeValues: { ':pk': S(modelPk(v)), ':seg': S(segmentSkPrefix) },
    });
    return items.map(unmarshallItem).map(toSegment);
  }

  async deleteModelVersion(version: string, options: { retry?: RetryOptions; concurrency?: number } = {}): Promise<DeleteResult> {
    assertKeyPart('model version', version);
    const pointer = await this.readPointer();
    if (pointer?.version === version) throw new ModelStateError(version, 'cannot delete the active version');
    const record = await this.getModel(version);
    if (!record) throw new ModelNotFoundError(version);

    // Mark 'deleting' (activation refuses it from now on). A META that says 'active' is only accepted when the
    // pointer moved on after it was activated (a crash left the status behind); otherwise an activation may be in flight.
    const values: Item = { ':deleting': S('deleting'), ':active': S('active') };
    let condition = 'attribute_exists(PK) AND #status <> :active';
    if (pointer) {
      condition = 'attribute_exists(PK) AND (#status <> :active OR activatedAt < :pointerAt)';
      values[':pointerAt'] = S(pointer.activatedAt);
    }
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { PK: S(modelPk(version)), SK: S(META_SK) },
          UpdateExpression: 'SET #status = :deleting',
          ConditionExpression: condition,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: values,
        }),
      );
    } catch (err) {
      if (isConditionFailure(err)) throw new ModelStateError(version, 'cannot delete: the version is (being) activated');
      throw err;
    }

    // Assignments: found through GSI1 (every segment x shard). A second pass catches index lag; keys are counted once.
    const segmentIds = new Set<number>([...record.model.segments.map((s) => s.id), ...Object.keys(record.segmentCounts).map(Number)]);
    const deleted = new Set<string>();
    const write = { retry: options.retry ?? this.retry, concurrency: options.concurrency, label: `deleteModelVersion(${version})` };
    for (let pass = 0; pass < 5; pass++) {
      const keys: Item[] = [];
      for (const segmentId of segmentIds) {
        const found = await Promise.all(
          Array.from({ length: record.shards }, (_, shard) =>
            this.queryAll({
              IndexName: GSI1_NAME,
              KeyConditionExpression: 'GSI1PK = :pk',
              ExpressionAttributeValues: { ':pk': S(segmentShardPk(version, segmentId, shard)) },
              ProjectionExpression: 'PK, SK',
            }),
          ),
        );
        keys.push(...found.flat());
      }
      const fresh = keys.filter((k) => !deleted.has(k.PK.S!));
      if (keys.length === 0 || (pass > 0 && fresh.length === 0)) break;
      await batchWrite(this.client, this.tableName, keys.map((Key) => ({ DeleteRequest: { Key } })), write);
      for (const k of keys) deleted.add(k.PK.S!);
    }

    // Then the segment items, then META last (so an interrupted delete can be re-run).
    const modelKeys = await this.queryAll({
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': S(modelPk(version)) },
      ProjectionExpression: 'PK, SK',
      ConsistentRead: true,
    });
    const others = modelKeys.filter((k) => k.SK.S !== META_SK);
    await batchWrite(this.client, this.tableName, others.map((Key) => ({ DeleteRequest: { Key } })), write);
    await batchWrite(this.client, this.tableName, [{ DeleteRequest: { Key: { PK: S(modelPk(version)), SK: S(META_SK) } } }], write);
    this.shardCache.delete(version);
    return { version, deletedAssignments: deleted.size, deletedModelItems: others.length + 1 };
  }

  // ------------------------------------------------------------------------------------------
  // customers

  async getCustomer(customerId: string, options: { version?: string } = {}): Promise<StoredAssignment | undefined> {
    const version = options.version ?? (await this.getActivePointer())?.version;
    if (!version) return undefined;
    const item = await this.getItem(customerPk(customerId), assignmentSk(version), false);
    return item ? toAssignment(item) : undefined;
  }

  async listSegmentMembers(segmentId: number, options: ListMembersOptions = {}): Promise<MembersPage> {
    const limit = options.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new InvalidInputError('limit must be an integer in 1..1000');
    if (!Number.isInteger(segmentId)) throw new InvalidInputError('segmentId must be an integer');

    let state: CursorState;
    if (options.cursor) {
      state = decodeCursor(options.cursor);
      if (state.s !== segmentId) throw new InvalidCursorError(`it belongs to segment ${state.s}, not ${segmentId}`);
      if (options.bySpendDesc !== undefined && options.bySpendDesc !== (state.d === 1)) {
        throw new InvalidCursorError('the sort direction differs from the one the cursor was created with');
      }
      if (options.version !== undefined && options.version !== state.v) throw new InvalidCursorError(`it belongs to version ${state.v}`);
    } else {
      const version = options.version ?? (await this.getActivePointer())?.version;
      if (!version) return { version: undefined, segmentId, items: [] };
      const shards = await this.shardsOf(version);
      if (shards === undefined) throw new ModelNotFoundError(version);
      state = { v: version, s: segmentId, d: options.bySpendDesc ? 1 : 0, n: shards, p: new Array(shards).fill(0) };
    }
    const desc = state.d === 1;
    const version = state.v;

    interface Shard {
      pk: string;
      buffer: Record<string, any>[];
      idx: number;
      /** GSI1SK of the last item fetched (the next fetch starts after it). */
      fetchedAfter?: string;
      /** GSI1SK of the last item returned to the caller (the cursor position). */
      returnedAfter?: string;
      more: boolean;
    }
    const shardStates: Shard[] = state.p.map((pos, shard) => ({
      pk: segmentShardPk(version, segmentId, shard),
      buffer: [],
      idx: 0,
      fetchedAfter: typeof pos === 'string' ? pos : undefined,
      returnedAfter: typeof pos === 'string' ? pos : undefined,
      more: pos !== 1,
    }));

    const fetch = async (sh: Shard, n: number) => {
      const res = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: GSI1_NAME,
          KeyConditionExpression: 'GSI1PK = :pk',
          ExpressionAttributeValues: { ':pk': S(sh.pk) },
          ScanIndexForward: !desc,
          Limit: Math.min(Math.max(n, 1), 1000),
          ExclusiveStartKey: sh.fetchedAfter
            ? {
                GSI1PK: S(sh.pk),
                GSI1SK: S(sh.fetchedAfter),
                PK: S(customerPk(customerIdFromSortKey(sh.fetchedAfter))),
                SK: S(assignmentSk(version)),
              }
            : undefined,
        }),
      );
      sh.buffer = (res.Items ?? []).map(unmarshallItem);
      sh.idx = 0;
      if (sh.buffer.length) sh.fetchedAfter = sh.buffer[sh.buffer.length - 1].GSI1SK;
      sh.more = res.LastEvaluatedKey !== undefined;
    };
    const drained = (sh: Shard) => sh.idx >= sh.buffer.length;

    // First round: a share of the page from every shard, in parallel.
    const initial = Math.min(limit + 1, Math.ceil((1.5 * limit) / state.n) + 2);
    await Promise.all(shardStates.filter((sh) => sh.more).map((sh) => fetch(sh, initial)));

    // k-way merge on GSI1SK; a shard that runs dry is refilled before the next comparison.
    const items: StoredAssignment[] = [];
    while (items.length < limit) {
      const refill = shardStates.filter((sh) => drained(sh) && sh.more);
      if (refill.length) await Promise.all(refill.map((sh) => fetch(sh, limit - items.length + 1)));
      let best: Shard | undefined;
      for (const sh of shardStates) {
        if (drained(sh)) continue;
        if (!best) best = sh;
        else {
          const c = compareKeys(sh.buffer[sh.idx].GSI1SK, best.buffer[best.idx].GSI1SK);
          if (desc ? c > 0 : c < 0) best = sh;
        }
      }
      if (!best) break;
      const item = best.buffer[best.idx++];
      best.returnedAfter = item.GSI1SK;
      items.push(toAssignment(item));
    }

    // Is there anything left? Probe shards that are dry but reported more (DynamoDB may report more at an exact end).
    let more = shardStates.some((sh) => !drained(sh));
    while (!more) {
      const probe = shardStates.filter((sh) => drained(sh) && sh.more);
      if (!probe.length) break;
      await Promise.all(probe.map((sh) => fetch(sh, 1)));
      more = shardStates.some((sh) => !drained(sh));
    }
    const page: MembersPage = { version, segmentId, items };
    if (more) {
      page.cursor = encodeCursor({
        ...state,
        p: shardStates.map((sh) => (drained(sh) && !sh.more ? 1 : (sh.returnedAfter ?? 0))),
      });
    }
    return page;
  }

  async listBorderlineMembers(segmentId: number, options: ListBorderlineOptions = {}): Promise<MembersPage> {
    const limit = options.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new InvalidInputError('limit must be an integer in 1..1000');
    if (!Number.isInteger(segmentId)) throw new InvalidInputError('segmentId must be an integer');
    const version = options.cursor ? options.version : (options.version ?? (await this.getActivePointer())?.version);
    if (!version && !options.cursor) return { version: undefined, segmentId, items: [] };
    const page = await queryBorderline(this.client, this.tableName, segmentId, { version, limit, cursor: options.cursor });
    return { version: page.version, segmentId, items: page.items.map(toAssignment), ...(page.cursor ? { cursor: page.cursor } : {}) };
  }

  // ------------------------------------------------------------------------------------------
  // runs

  async claimRun(datasetId: string, options: ClaimOptions): Promise<ClaimResult> {
    const owner = options.owner ?? randomUUID();
    const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    const run: RunRecord = {
      ...this.newRun(datasetId, 'claimed', options.tablesPresent, []),
      attempts: 1,
      leaseOwner: owner,
      leaseUntil: this.isoIn(leaseMs),
    };
    try {
      await this.putUnclaimedRun(run);
      return { claimed: true, run };
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
    // The run exists: take it over if it failed, its lease expired (crash, timeout), or it is this owner's own
    // earlier attempt (Lambda's retry of the same request, see TAKEOVER_CONDITION).
    const now = this.iso();
    try {
      const res = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { PK: S(runPk(datasetId)), SK: S(META_SK) },
          UpdateExpression:
            'SET previousStatus = #status, previousReasons = reasons, #status = :claimed, tablesPresent = :tables, claimedAt = :now, ' +
            'updatedAt = :now, reasons = :none, leaseOwner = :owner, leaseUntil = :until, attempts = if_not_exists(attempts, :zero) + :one',
          ConditionExpression: `attribute_exists(PK) AND (${TAKEOVER_CONDITION})`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ...takeoverValues(now),
            ':claimed': S('claimed'),
            ':tables': marshallValue([...options.tablesPresent]),
            ':none': { L: [] },
            ':owner': S(owner),
            ':ownerHandoff': S(handoffToken(owner)),
            ':until': S(this.isoIn(leaseMs)),
            ':zero': N(0),
            ':one': N(1),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { claimed: true, takeover: true, run: toRun(unmarshallItem(res.Attributes!)) };
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      const existing = await this.getRun(datasetId);
      if (!existing) throw new Error(`run ${datasetId}: claim refused but no run record found`, { cause: err });
      return { claimed: false, run: existing };
    }
  }

  async acquireRunLease(datasetId: string, options: AcquireLeaseOptions): Promise<ClaimResult> {
    assertKeyPart('dataset id', datasetId);
    const now = this.iso();
    const names: Record<string, string> = { '#status': 'status' };
    const values: Item = {
      ':status': S(options.status),
      ':now': S(now),
      ':failed': S('failed'),
      ':owner': S(options.owner),
      ':until': S(this.isoIn(options.leaseMs)),
      ':handoff': S(options.handoff ?? '-'),
    };
    const from = options.from.map((status, i) => {
      values[`:from${i}`] = S(status);
      return `:from${i}`;
    });
    // Held by the hand-off token, by this owner's earlier attempt (Lambda's retry of the same request, see
    // TAKEOVER_CONDITION), or by nobody any more (expired).
    const held = `(leaseOwner = :handoff OR leaseOwner = :owner OR attribute_not_exists(leaseUntil) OR leaseUntil < :now)`;
    try {
      const res = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { PK: S(runPk(datasetId)), SK: S(META_SK) },
          UpdateExpression: 'SET #status = :status, updatedAt = :now, leaseOwner = :owner, leaseUntil = :until',
          ConditionExpression: `attribute_exists(PK) AND (#status = :failed${from.length ? ` OR (#status IN (${from.join(', ')}) AND ${held})` : ''})`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_OLD',
        }),
      );
      const old = toRun(unmarshallItem(res.Attributes!));
      const takeover = old.status === 'failed' || old.leaseOwner !== options.handoff;
      const run: RunRecord = { ...old, status: options.status, updatedAt: now, leaseOwner: options.owner, leaseUntil: values[':until'].S };
      if (takeover) {
        run.previousStatus = old.status;
        run.previousReasons = old.reasons;
      }
      return { claimed: true, takeover, run };
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      const existing = await this.getRun(datasetId);
      if (!existing) throw new InvalidInputError(`run ${datasetId} does not exist (claimRun first)`);
      return { claimed: false, run: existing };
    }
  }

  async renewRunLease(datasetId: string, owner: string, leaseMs: number): Promise<boolean> {
    assertKeyPart('dataset id', datasetId);
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { PK: S(runPk(datasetId)), SK: S(META_SK) },
          UpdateExpression: 'SET leaseUntil = :until',
          ConditionExpression: 'leaseOwner = :owner',
          ExpressionAttributeValues: { ':owner': S(owner), ':until': S(this.isoIn(leaseMs)) },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  async noteWaiting(datasetId: string, options: { tablesPresent: string[]; reasons: string[] }): Promise<RunRecord | undefined> {
    const run = this.newRun(datasetId, 'waiting', options.tablesPresent, options.reasons);
    try {
      await this.putUnclaimedRun(run);
      return run;
    } catch (err) {
      if (isConditionFailure(err)) return undefined; // claimed meanwhile: the claim's record stands
      throw err;
    }
  }

  private newRun(datasetId: string, status: RunStatus, tablesPresent: string[], reasons: string[]): RunRecord {
    assertKeyPart('dataset id', datasetId);
    const now = this.iso();
    return { datasetId, status, tablesPresent: [...tablesPresent], claimedAt: now, updatedAt: now, reasons: [...reasons], counts: {}, timings: {} };
  }

  /** Puts a run record unless one exists that is not 'waiting' (conditional writes are atomic per item: one winner). */
  private async putUnclaimedRun(run: RunRecord): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: marshallItem({ PK: runPk(run.datasetId), SK: META_SK, type: 'run', ...run }),
        ConditionExpression: 'attribute_not_exists(PK) OR #status = :waiting',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':waiting': S('waiting') },
      }),
    );
  }

  async updateRun(datasetId: string, status: RunStatus, update: RunUpdate = {}): Promise<RunRecord> {
    assertKeyPart('dataset id', datasetId);
    const names: Record<string, string> = { '#status': 'status' };
    const values: Item = { ':status': S(status), ':now': S(this.iso()) };
    const sets = ['#status = :status', 'updatedAt = :now'];
    if (update.reasons) {
      sets.push('reasons = :reasons');
      values[':reasons'] = marshallValue(update.reasons);
    }
    if (update.modelVersion !== undefined) {
      sets.push('modelVersion = :mv');
      values[':mv'] = S(update.modelVersion);
    }
    if (update.route !== undefined) {
      sets.push('#route = :route');
      names['#route'] = 'route';
      values[':route'] = marshallValue(update.route, 'route');
    }
    if (update.lease === 'release') {
      sets.push('leaseUntil = :now'); // expired from now on: a retry or a later event may take the run over
    } else if (update.lease) {
      sets.push('leaseOwner = :leaseOwner', 'leaseUntil = :leaseUntil');
      values[':leaseOwner'] = S(update.lease.owner);
      values[':leaseUntil'] = S(this.isoIn(update.lease.ms));
    }
    let condition = 'attribute_exists(PK)';
    if (update.ifOwner !== undefined) {
      condition += ' AND leaseOwner = :ifOwner';
      values[':ifOwner'] = S(update.ifOwner);
    }
    for (const [attr, map] of [['counts', update.counts], ['timings', update.timings]] as const) {
      Object.entries(map ?? {}).forEach(([key, value], i) => {
        if (!key) throw new InvalidInputError(`${attr}: keys must be non-empty`);
        names[`#${attr}${i}`] = key;
        values[`:${attr}${i}`] = marshallValue(value, `${attr}.${key}`);
        sets.push(`${attr}.#${attr}${i} = :${attr}${i}`);
      });
    }
    try {
      const res = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { PK: S(runPk(datasetId)), SK: S(META_SK) },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toRun(unmarshallItem(res.Attributes!));
    } catch (err) {
      if (isConditionFailure(err)) {
        if (update.ifOwner !== undefined && (await this.getRun(datasetId))) throw new LeaseLostError(datasetId, update.ifOwner);
        throw new InvalidInputError(`run ${datasetId} does not exist (claimRun first)`);
      }
      throw err;
    }
  }

  async getRun(datasetId: string): Promise<RunRecord | undefined> {
    assertKeyPart('dataset id', datasetId);
    const item = await this.getItem(runPk(datasetId), META_SK);
    return item ? toRun(item) : undefined;
  }

  // ------------------------------------------------------------------------------------------
  // stability history

  async putStabilityCheck(record: StabilityCheckRecord): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: marshallItem(
          { PK: STABILITY_PK, SK: stabilitySk(record.checkedAt, record.modelVersion), type: 'stability', ...record },
          'stability check',
        ),
      }),
    );
  }

  async listStabilityChecks(limit = 20): Promise<StabilityCheckRecord[]> {
    if (!Number.isInteger(limit) || limit < 1) throw new InvalidInputError('limit must be a positive integer');
    const out: StabilityCheckRecord[] = [];
    let start: Item | undefined;
    do {
      const res = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'PK = :pk',
          ExpressionAttributeValues: { ':pk': S(STABILITY_PK) },
          ScanIndexForward: false,
          Limit: limit - out.length,
          ExclusiveStartKey: start,
        }),
      );
      for (const raw of res.Items ?? []) {
        const { PK, SK, type, ...record } = unmarshallItem(raw);
        out.push(record as StabilityCheckRecord);
      }
      start = res.LastEvaluatedKey;
    } while (start && out.length < limit);
    return out;
  }
}

function toSegment(item: Record<string, any>): SegmentDescription {
  return {
    id: item.id,
    kind: item.kind ?? 'cluster',
    name: item.name,
    description: item.description,
    action: item.action,
    traits: item.traits,
    size: item.size,
    share: item.share,
    profile: nullAsNaN(item.profile),
    fidelity: item.fidelity ?? {},
  };
}

/** A copy with NaN numbers replaced by null (DynamoDB stores no NaN). */
function nanAsNull<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === 'number' && Number.isNaN(v) ? null : v)));
}

/** The reverse of nanAsNull for a segment profile (every stored null there was a NaN). */
function nullAsNaN<T>(profile: T): T {
  return JSON.parse(JSON.stringify(profile), (_k, v) => (v === null ? NaN : v));
}

function toAssignment(item: Record<string, any>): StoredAssignment {
  const out: StoredAssignment = {
    customerId: item.customerId,
    version: item.version,
    segmentId: item.segmentId,
    segmentName: item.segmentName,
    spend: item.spend,
    features: item.features,
    ...whyOfItem(item),
  };
  if (item.previousSegmentId !== undefined) out.previousSegmentId = item.previousSegmentId;
  return out;
}

function toRun(item: Record<string, any>): RunRecord {
  const run: RunRecord = {
    datasetId: item.datasetId,
    status: item.status,
    tablesPresent: item.tablesPresent ?? [],
    claimedAt: item.claimedAt,
    updatedAt: item.updatedAt,
    reasons: item.reasons ?? [],
    counts: item.counts ?? {},
    timings: item.timings ?? {},
  };
  if (item.modelVersion !== undefined) run.modelVersion = item.modelVersion;
  for (const key of ['attempts', 'leaseOwner', 'leaseUntil', 'previousStatus', 'previousReasons', 'route'] as const) {
    if (item[key] !== undefined) (run as any)[key] = item[key];
  }
  return run;
}
