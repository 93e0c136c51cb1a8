/**
 * activateModel: flipping MODEL/ACTIVE to a completely written version, without transactions (dynalite has none).
 * The guarantee comes from the order and the conditions of the writes (../README.md, "Why a reader never sees a
 * half-written version"): META's condition re-checks completeness atomically, the pointer's condition refuses a lost
 * race, and marking the previous version superseded comes last and is informational.
 */
import { marshallItem, type Item } from '../codec';
import { ActivationRefusedError, ConcurrentActivationError, ModelNotFoundError, StaleModelError } from '../errors';
import { ACTIVE_KEY, META_SK, modelPk } from '../keys';
import { countBorderlineMembers, countSegmentMembers } from '../assignments/index-queries';
import { conditionally, itemKey, S, type TableContext } from '../table';
import { GSI1_NAME, GSI2_NAME } from '../table-schema';
import type { VersionMeta } from './meta';
import type { ActivateOptions, ActivePointer, ModelRecord, ModelStatus } from './model-store';

/** What activation needs of the model store. */
export interface ActivationDeps extends TableContext {
  meta: VersionMeta;
  getModel(version: string): Promise<ModelRecord | undefined>;
  /** The pointer as stored now (never a cached one: the flip is conditional on it). */
  readPointer(): Promise<ActivePointer | undefined>;
  /** Called once this store flipped the pointer (drops a cached one). */
  pointerFlipped(): void;
}

export async function activateModel(deps: ActivationDeps, version: string, options: ActivateOptions = {}): Promise<ActivePointer> {
  if (!options.ifNotOlder) return activateOnce(deps, version, options);
  // Another pipeline run may flip the pointer between our decision and our write: re-decide against the new one.
  for (let attempt = 1; ; attempt++) {
    try {
      return await activateOnce(deps, version, options);
    } catch (err) {
      if (!(err instanceof ConcurrentActivationError) || attempt >= 5) throw err;
    }
  }
}

async function activateOnce(deps: ActivationDeps, version: string, options: ActivateOptions): Promise<ActivePointer> {
  const { table, clock } = deps;
  const record = await deps.getModel(version);
  if (!record) throw new ModelNotFoundError(version);
  const pointer = await deps.readPointer();
  if (options.ifNotOlder && pointer && pointer.version !== version) {
    // Decided against this pointer; the flip below is conditional on it, so the decision cannot go stale.
    const active = await deps.meta.get(pointer.version);
    if (active && active.asOf > record.model.asOf) {
      await markSuperseded(deps, version, pointer.version, 'writing'); // complete but older data: kept, not activated
      throw new StaleModelError(version, record.model.asOf, pointer.version, active.asOf);
    }
  }

  if (pointer?.version === version) {
    // Already active (possibly a re-run after a crash between the pointer flip and the bookkeeping).
    if (record.status !== 'active') await setStatus(deps, version, 'active', { activatedAt: pointer.activatedAt });
    if (pointer.previousVersion) await markSuperseded(deps, pointer.previousVersion, version, 'active');
    return pointer;
  }

  const reasons = refusalReasons(record);
  if (reasons.length) throw new ActivationRefusedError(version, reasons);

  if (options.verifyIndex ?? true) await waitForIndex(deps, version, record, options.indexTimeoutMs ?? 60_000);

  const activatedAt = clock.iso();
  // 1. The META condition re-checks completeness atomically and blocks concurrent writeAssignments/deletion.
  await conditionally(
    () =>
      table.update({
        Key: itemKey(modelPk(version), META_SK),
        UpdateExpression: 'SET #status = :active, activatedAt = :now REMOVE supersededAt, supersededBy',
        ConditionExpression: '#status IN (:writing, :active, :superseded) AND assignmentsWritten = expectedAssignments',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':active': S('active'), ':writing': S('writing'), ':superseded': S('superseded'), ':now': S(activatedAt) },
      }),
    () => {
      throw new ActivationRefusedError(version, ['the model META changed during activation (status or written count)']);
    },
  );

  // 2. Flip the pointer, only if nobody else flipped it since we read it.
  const next: ActivePointer = { version, previousVersion: pointer?.version, activatedAt };
  await conditionally(
    () =>
      table.put({
        Item: marshallItem({ ...ACTIVE_KEY, type: 'active', ...next }),
        ...(pointer
          ? { ConditionExpression: '#version = :prev', ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':prev': S(pointer.version) } }
          : { ConditionExpression: 'attribute_not_exists(PK)' }),
      }),
    async () => {
      await setStatus(deps, version, record.status, { ifActivatedAt: activatedAt }).catch(() => undefined);
      throw new ConcurrentActivationError(version, pointer?.version);
    },
  );
  deps.pointerFlipped();

  // 3. Bookkeeping on the previous version (the pointer is the truth; this is informational).
  if (pointer) await markSuperseded(deps, pointer.version, version, 'active');
  return next;
}

/** Why a version that is not active cannot become so (empty: it can). */
function refusalReasons(record: ModelRecord): string[] {
  const reasons: string[] = [];
  if (record.status === 'deleting') reasons.push('the version is being deleted');
  if (record.expectedAssignments <= 0) reasons.push('the model has no customers');
  if (record.assignmentsWritten !== record.expectedAssignments) {
    reasons.push(`assignments written ${record.assignmentsWritten} of ${record.expectedAssignments} (writeAssignments not completed for all customers)`);
  }
  const clusters = record.model.segments.filter((s) => s.kind !== 'rule').length;
  if (clusters !== record.model.k) reasons.push(`cluster segments stored ${clusters} of k=${record.model.k}`);
  return reasons;
}

/**
 * Polls GSI1 counts of the version until each segment has the written number of members, and GSI2 counts until each
 * has its borderline members (versions written before GSI2 record no borderlineCounts: nothing to wait for there).
 */
async function waitForIndex(deps: ActivationDeps, version: string, record: ModelRecord, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 200; ; delay = Math.min(delay * 2, 5000)) {
    const missing: string[] = [];
    for (const [segmentId, expected] of Object.entries(record.borderlineCounts ?? {})) {
      const indexed = await countBorderlineMembers(deps.table, version, Number(segmentId));
      if (indexed !== expected) missing.push(`segment ${segmentId}: ${indexed} of ${expected} borderline in ${GSI2_NAME}`);
    }
    for (const [segmentId, expected] of Object.entries(record.segmentCounts)) {
      const indexed = await countSegmentMembers(deps.table, version, Number(segmentId), record.shards);
      if (indexed !== expected) missing.push(`segment ${segmentId}: ${indexed} of ${expected} in ${GSI1_NAME}`);
    }
    if (missing.length === 0) return;
    if (Date.now() + delay > deadline) {
      throw new ActivationRefusedError(version, [`index not complete after ${timeoutMs} ms: ${missing.join(', ')}`]);
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

async function setStatus(deps: ActivationDeps, version: string, status: ModelStatus, opts: { activatedAt?: string; ifActivatedAt?: string } = {}): Promise<void> {
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
  await deps.table.update({
    Key: itemKey(modelPk(version), META_SK),
    UpdateExpression: update,
    ConditionExpression: condition,
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: values,
  });
}

/**
 * Marks a version superseded by `by`: the version the pointer just left (from 'active'), or a complete version that
 * lost to newer data (from 'writing'; it can still be activated on purpose). A version no longer in `from` (already
 * superseded, activated or deleted) is left alone.
 */
async function markSuperseded(deps: ActivationDeps, version: string, by: string, from: 'writing' | 'active'): Promise<void> {
  await conditionally(
    () =>
      deps.table.update({
        Key: itemKey(modelPk(version), META_SK),
        UpdateExpression: 'SET #status = :superseded, supersededAt = :now, supersededBy = :by',
        ConditionExpression: 'attribute_exists(PK) AND #status = :from',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':superseded': S('superseded'), ':from': S(from), ':now': S(deps.clock.iso()), ':by': S(by) },
      }),
    () => undefined,
  );
}
