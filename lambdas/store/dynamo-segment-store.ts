/**
 * The four aggregate stores on one DynamoDB table (single-table design, see README.md in this folder), composed into
 * the SegmentStore the handlers' runtime carries. Uses only operations that both DynamoDB and dynalite support (no
 * transactions, TTL or streams): the "never a half-written version" guarantee comes from conditional writes on the
 * model's META item and on the MODEL/ACTIVE pointer (models/activation.ts).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { RetryOptions } from './batch-writer';
import { DynamoAssignmentStore } from './assignments/dynamo-assignment-store';
import { InvalidInputError } from './errors';
import { DynamoModelStore } from './models/dynamo-model-store';
import { VersionMeta } from './models/meta';
import { DynamoRunStore } from './runs/dynamo-run-store';
import type { SegmentStore } from './segment-store';
import { DynamoStabilityStore } from './stability/dynamo-stability-store';
import { Clock, Table, type TableContext } from './table';
import { DEFAULT_SEGMENT_SHARDS } from './table-schema';

export interface SegmentStoreOptions {
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

/**
 * One store per aggregate over the same table, clock and shard cache, and SegmentStore as their union: each method is
 * its aggregate's own (bound), so a caller typed with a narrower interface gets exactly the same object.
 */
export function createSegmentStore(options: SegmentStoreOptions): SegmentStore {
  const shards = options.shards ?? DEFAULT_SEGMENT_SHARDS;
  if (!Number.isInteger(shards) || shards < 1 || shards > 100) throw new InvalidInputError('shards must be an integer in 1..100');
  const ctx: TableContext = { table: new Table(options.client, options.tableName), clock: new Clock(options.now), retry: options.retry ?? {} };
  const meta = new VersionMeta(ctx.table);
  const models = new DynamoModelStore(ctx, meta, { shards, activePointerCacheMs: options.activePointerCacheMs ?? 0 });
  const assignments = new DynamoAssignmentStore(ctx, meta, models);
  const runs = new DynamoRunStore(ctx);
  const stability = new DynamoStabilityStore(ctx);
  return {
    putModelDraft: models.putModelDraft.bind(models),
    activateModel: models.activateModel.bind(models),
    getActivePointer: models.getActivePointer.bind(models),
    getActiveModel: models.getActiveModel.bind(models),
    getModel: models.getModel.bind(models),
    listModels: models.listModels.bind(models),
    listSegments: models.listSegments.bind(models),
    deleteModelVersion: models.deleteModelVersion.bind(models),

    writeAssignments: assignments.writeAssignments.bind(assignments),
    writeAssignmentPart: assignments.writeAssignmentPart.bind(assignments),
    completeAssignmentParts: assignments.completeAssignmentParts.bind(assignments),
    getCustomer: assignments.getCustomer.bind(assignments),
    listSegmentMembers: assignments.listSegmentMembers.bind(assignments),
    listBorderlineMembers: assignments.listBorderlineMembers.bind(assignments),

    claimRun: runs.claimRun.bind(runs),
    acquireRunLease: runs.acquireRunLease.bind(runs),
    renewRunLease: runs.renewRunLease.bind(runs),
    noteWaiting: runs.noteWaiting.bind(runs),
    updateRun: runs.updateRun.bind(runs),
    getRun: runs.getRun.bind(runs),

    putStabilityCheck: stability.putStabilityCheck.bind(stability),
    listStabilityChecks: stability.listStabilityChecks.bind(stability),
  };
}
