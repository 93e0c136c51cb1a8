/**
 * deleteModelVersion: a non-active version's assignments (found through GSI1), its segment items, then META last, so
 * that an interrupted delete can be re-run. The META is marked 'deleting' first: activation refuses it from then on.
 */
import type { RetryOptions } from '../batch-writer';
import type { Item } from '../codec';
import { ModelNotFoundError, ModelStateError } from '../errors';
import { META_SK, modelPk } from '../keys';
import { segmentMemberKeys } from '../assignments/index-queries';
import { conditionally, itemKey, S, type TableContext } from '../table';
import type { VersionMeta } from './meta';
import type { ActivePointer, DeleteResult, ModelRecord } from './model-store';

export interface DeletionDeps extends TableContext {
  meta: VersionMeta;
  getModel(version: string): Promise<ModelRecord | undefined>;
  readPointer(): Promise<ActivePointer | undefined>;
}

/** Index passes over the version's assignments: a later pass catches items the eventually consistent index lagged on. */
const MAX_PASSES = 5;

export async function deleteModelVersion(deps: DeletionDeps, version: string, options: { retry?: RetryOptions; concurrency?: number } = {}): Promise<DeleteResult> {
  const { table } = deps;
  const pointer = await deps.readPointer();
  if (pointer?.version === version) throw new ModelStateError(version, 'cannot delete the active version');
  const record = await deps.getModel(version);
  if (!record) throw new ModelNotFoundError(version);

  // Mark 'deleting'. A META that says 'active' is only accepted when the pointer moved on after it was activated (a
  // crash left the status behind); otherwise an activation may be in flight.
  const values: Item = { ':deleting': S('deleting'), ':active': S('active') };
  let condition = 'attribute_exists(PK) AND #status <> :active';
  if (pointer) {
    condition = 'attribute_exists(PK) AND (#status <> :active OR activatedAt < :pointerAt)';
    values[':pointerAt'] = S(pointer.activatedAt);
  }
  await conditionally(
    () =>
      table.update({
        Key: itemKey(modelPk(version), META_SK),
        UpdateExpression: 'SET #status = :deleting',
        ConditionExpression: condition,
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: values,
      }),
    () => {
      throw new ModelStateError(version, 'cannot delete: the version is (being) activated');
    },
  );

  // Assignments: found through GSI1 (every segment x shard); keys are counted once.
  const segmentIds = new Set<number>([...record.model.segments.map((s) => s.id), ...Object.keys(record.segmentCounts).map(Number)]);
  const deleted = new Set<string>();
  const write = { retry: options.retry ?? deps.retry, concurrency: options.concurrency, label: `deleteModelVersion(${version})` };
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const keys: Item[] = [];
    for (const segmentId of segmentIds) keys.push(...(await segmentMemberKeys(table, version, segmentId, record.shards)));
    const fresh = keys.filter((k) => !deleted.has(k.PK.S!));
    if (keys.length === 0 || (pass > 0 && fresh.length === 0)) break;
    await table.batchWrite(keys.map((Key) => ({ DeleteRequest: { Key } })), write);
    for (const k of keys) deleted.add(k.PK.S!);
  }

  // Then the segment items, then META last.
  const modelKeys = await table.queryAll({
    KeyConditionExpression: 'PK = :pk',
    ExpressionAttributeValues: { ':pk': S(modelPk(version)) },
    ProjectionExpression: 'PK, SK',
    ConsistentRead: true,
  });
  const others = modelKeys.filter((k) => k.SK.S !== META_SK);
  await table.batchWrite(others.map((Key) => ({ DeleteRequest: { Key } })), write);
  await table.batchWrite([{ DeleteRequest: { Key: itemKey(modelPk(version), META_SK) } }], write);
  deps.meta.forget(version);
  return { version, deletedAssignments: deleted.size, deletedModelItems: others.length + 1 };
}
