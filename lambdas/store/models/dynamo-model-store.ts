/**
 * ModelStore on the segment table: META and segment items per version, the MODEL/ACTIVE pointer. Activation
 * (activation.ts) and deletion (deletion.ts) are the long conditional sequences; this file holds the draft and reads.
 */
import type { WriteRequest } from '@aws-sdk/client-dynamodb';
import type { SegmentDescription, SegmentModel } from '../../core/domain/types';
import type { RetryOptions } from '../batch-writer';
import { marshallItem, unmarshallItem } from '../codec';
import { InvalidInputError, ModelStateError } from '../errors';
import { ACTIVE_KEY, META_SK, MODELS_GSI1PK, assertKeyPart, modelListSk, modelPk, segmentSk, segmentSkPrefix } from '../keys';
import { conditionally, S, type TableContext } from '../table';
import { GSI1_NAME } from '../table-schema';
import { activateModel, type ActivationDeps } from './activation';
import { deleteModelVersion } from './deletion';
import { nanAsNull, toModelRecord, toModelSummary, toPointer, toSegment } from './mappers';
import type { VersionMeta } from './meta';
import type { ActivateOptions, ActiveModel, ActivePointer, DeleteResult, ModelRecord, ModelStatus, ModelStore, ModelSummary } from './model-store';

export interface DynamoModelStoreOptions {
  /** GSI1 shards per segment for versions drafted by this store (readers use the count stored with each version). */
  shards: number;
  /** Cache the ACTIVE pointer for this long in readers (0: read it every time, strongly consistent). */
  activePointerCacheMs: number;
}

export class DynamoModelStore implements ModelStore {
  private pointerCache?: { value: ActivePointer | undefined; expires: number };
  /** Activation and deletion's view of this store. */
  private readonly deps: ActivationDeps;

  constructor(
    private readonly ctx: TableContext,
    private readonly meta: VersionMeta,
    private readonly options: DynamoModelStoreOptions,
  ) {
    this.deps = {
      ...ctx,
      meta,
      getModel: (version) => this.getModel(version),
      readPointer: () => this.readPointer(),
      pointerFlipped: () => (this.pointerCache = undefined),
    };
  }

  async putModelDraft(model: SegmentModel, options: { runId?: string } = {}): Promise<void> {
    const { table, clock } = this.ctx;
    const version = model.version;
    assertKeyPart('model version', version);
    if (!Number.isInteger(model.customers) || model.customers < 0) throw new InvalidInputError(`model ${version}: customers must be an integer >= 0`);
    const ids = model.segments.map((s) => s.id);
    if (ids.some((id) => !Number.isInteger(id) || id < 0 || id > 9999) || new Set(ids).size !== ids.length) {
      throw new InvalidInputError(`model ${version}: segment ids must be distinct integers in 0..9999`);
    }

    const existing = await this.meta.get(version);
    if (existing && existing.status !== 'writing') {
      throw new ModelStateError(version, `cannot draft: the version is already '${existing.status}'`);
    }
    const shards: number = existing?.shards ?? this.options.shards;
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
      draftedAt: clock.iso(),
      ...(options.runId !== undefined ? { runId: options.runId } : {}),
      model: body,
    };
    await conditionally(
      () =>
        table.put({
          Item: marshallItem(meta, 'model'),
          ConditionExpression: 'attribute_not_exists(PK) OR #status = :writing',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':writing': S('writing') },
        }),
      () => {
        throw new ModelStateError(version, 'cannot draft: the version was activated meanwhile');
      },
    );
    this.meta.remember(version, shards);

    // Segment items: remove those of an earlier draft that the new model no longer has, then put all.
    const keep = new Set(ids.map(segmentSk));
    const stale = (
      await table.queryAll({
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
    await table.batchWrite(requests, { retry: this.ctx.retry, label: `putModelDraft(${version})` });
  }

  activateModel(version: string, options: ActivateOptions = {}): Promise<ActivePointer> {
    return activateModel(this.deps, version, options);
  }

  deleteModelVersion(version: string, options: { retry?: RetryOptions; concurrency?: number } = {}): Promise<DeleteResult> {
    assertKeyPart('model version', version);
    return deleteModelVersion(this.deps, version, options);
  }

  /** The pointer as stored now (consistent read, no cache). */
  private async readPointer(): Promise<ActivePointer | undefined> {
    const item = await this.ctx.table.getItem(ACTIVE_KEY.PK, ACTIVE_KEY.SK);
    return item ? toPointer(item) : undefined;
  }

  async getActivePointer(): Promise<ActivePointer | undefined> {
    if (this.options.activePointerCacheMs <= 0) return this.readPointer();
    const now = Date.now();
    if (this.pointerCache && this.pointerCache.expires > now) return this.pointerCache.value;
    const value = await this.readPointer();
    this.pointerCache = { value, expires: now + this.options.activePointerCacheMs };
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
    const items = await this.ctx.table.queryAll({
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': S(modelPk(version)) },
      ConsistentRead: true,
    });
    return toModelRecord(items.map(unmarshallItem));
  }

  async listModels(): Promise<ModelSummary[]> {
    const items = await this.ctx.table.queryAll({
      IndexName: GSI1_NAME,
      KeyConditionExpression: 'GSI1PK = :pk',
      ExpressionAttributeValues: { ':pk': S(MODELS_GSI1PK) },
      ScanIndexForward: false,
    });
    return items.map(unmarshallItem).map(toModelSummary);
  }

  async listSegments(version?: string): Promise<SegmentDescription[]> {
    const v = version ?? (await this.getActivePointer())?.version;
    if (!v) return [];
    assertKeyPart('model version', v);
    const items = await this.ctx.table.queryAll({
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :seg)',
      ExpressionAttributeValues: { ':pk': S(modelPk(v)), ':seg': S(segmentSkPrefix) },
    });
    return items.map(unmarshallItem).map(toSegment);
  }
}
