/**
 * RunStore on the segment table: one item per dataset (`RUN#<datasetId> / META`). Every transition is one conditional
 * write on that item (atomic per item, so exactly one caller wins a claim or a takeover); the conditions are spelled
 * out in ../README.md (claimRun, acquireRunLease, updateRun).
 */
import { randomUUID } from 'node:crypto';
import { marshallItem, marshallValue, unmarshallItem, type Item } from '../codec';
import { InvalidInputError, LeaseLostError } from '../errors';
import { META_SK, assertKeyPart, runPk } from '../keys';
import { conditionally, itemKey, N, S, type Clock, type TableContext } from '../table';
import { toRun } from './mappers';
import { handoffToken, type AcquireLeaseOptions, type ClaimOptions, type ClaimResult, type RunRecord, type RunStatus, type RunStore, type RunUpdate } from './run-store';

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

export class DynamoRunStore implements RunStore {
  constructor(private readonly ctx: TableContext) {}

  async claimRun(datasetId: string, options: ClaimOptions): Promise<ClaimResult> {
    const { table, clock } = this.ctx;
    const owner = options.owner ?? randomUUID();
    const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    const run: RunRecord = { ...this.newRun(datasetId, 'claimed', options.tablesPresent, []), attempts: 1, leaseOwner: owner, leaseUntil: clock.isoIn(leaseMs) };
    if (await this.putUnclaimedRun(run)) return { claimed: true, run };

    // The run exists: take it over if it failed, its lease expired (crash, timeout), or it is this owner's own
    // earlier attempt (Lambda's retry of the same request, see TAKEOVER_CONDITION).
    const now = clock.iso();
    return conditionally(
      async (): Promise<ClaimResult> => {
        const res = await table.update({
          Key: itemKey(runPk(datasetId), META_SK),
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
            ':until': S(clock.isoIn(leaseMs)),
            ':zero': N(0),
            ':one': N(1),
          },
          ReturnValues: 'ALL_NEW',
        });
        return { claimed: true, takeover: true, run: toRun(unmarshallItem(res.Attributes!)) };
      },
      async (err): Promise<ClaimResult> => {
        const existing = await this.getRun(datasetId);
        if (!existing) throw new Error(`run ${datasetId}: claim refused but no run record found`, { cause: err });
        return { claimed: false, run: existing };
      },
    );
  }

  async acquireRunLease(datasetId: string, options: AcquireLeaseOptions): Promise<ClaimResult> {
    assertKeyPart('dataset id', datasetId);
    const now = this.ctx.clock.iso();
    const until = this.ctx.clock.isoIn(options.leaseMs);
    const values: Item = {
      ':status': S(options.status),
      ':now': S(now),
      ':failed': S('failed'),
      ':owner': S(options.owner),
      ':until': S(until),
      ':handoff': S(options.handoff ?? '-'),
    };
    const from = options.from.map((status, i) => {
      values[`:from${i}`] = S(status);
      return `:from${i}`;
    });
    // Held by the hand-off token, by this owner's earlier attempt (Lambda's retry of the same request, see
    // TAKEOVER_CONDITION), or by nobody any more (expired).
    const held = `(leaseOwner = :handoff OR leaseOwner = :owner OR attribute_not_exists(leaseUntil) OR leaseUntil < :now)`;
    return conditionally(
      async (): Promise<ClaimResult> => {
        const res = await this.ctx.table.update({
          Key: itemKey(runPk(datasetId), META_SK),
          UpdateExpression: 'SET #status = :status, updatedAt = :now, leaseOwner = :owner, leaseUntil = :until',
          ConditionExpression: `attribute_exists(PK) AND (#status = :failed${from.length ? ` OR (#status IN (${from.join(', ')}) AND ${held})` : ''})`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_OLD',
        });
        const old = toRun(unmarshallItem(res.Attributes!));
        const takeover = old.status === 'failed' || old.leaseOwner !== options.handoff;
        const run: RunRecord = { ...old, status: options.status, updatedAt: now, leaseOwner: options.owner, leaseUntil: until };
        if (takeover) {
          run.previousStatus = old.status;
          run.previousReasons = old.reasons;
        }
        return { claimed: true, takeover, run };
      },
      async (): Promise<ClaimResult> => {
        const existing = await this.getRun(datasetId);
        if (!existing) throw new InvalidInputError(`run ${datasetId} does not exist (claimRun first)`);
        return { claimed: false, run: existing };
      },
    );
  }

  async renewRunLease(datasetId: string, owner: string, leaseMs: number): Promise<boolean> {
    assertKeyPart('dataset id', datasetId);
    return conditionally(
      async () => {
        await this.ctx.table.update({
          Key: itemKey(runPk(datasetId), META_SK),
          UpdateExpression: 'SET leaseUntil = :until',
          ConditionExpression: 'leaseOwner = :owner',
          ExpressionAttributeValues: { ':owner': S(owner), ':until': S(this.ctx.clock.isoIn(leaseMs)) },
        });
        return true;
      },
      () => false,
    );
  }

  async noteWaiting(datasetId: string, options: { tablesPresent: string[]; reasons: string[] }): Promise<RunRecord | undefined> {
    const run = this.newRun(datasetId, 'waiting', options.tablesPresent, options.reasons);
    return (await this.putUnclaimedRun(run)) ? run : undefined; // not put: claimed meanwhile, the claim's record stands
  }

  async updateRun(datasetId: string, status: RunStatus, update: RunUpdate = {}): Promise<RunRecord> {
    assertKeyPart('dataset id', datasetId);
    const expression = runUpdateExpression(status, update, this.ctx.clock);
    return conditionally(
      async () => {
        const res = await this.ctx.table.update({ Key: itemKey(runPk(datasetId), META_SK), ...expression, ReturnValues: 'ALL_NEW' });
        return toRun(unmarshallItem(res.Attributes!));
      },
      async () => {
        if (update.ifOwner !== undefined && (await this.getRun(datasetId))) throw new LeaseLostError(datasetId, update.ifOwner);
        throw new InvalidInputError(`run ${datasetId} does not exist (claimRun first)`);
      },
    );
  }

  async getRun(datasetId: string): Promise<RunRecord | undefined> {
    assertKeyPart('dataset id', datasetId);
    const item = await this.ctx.table.getItem(runPk(datasetId), META_SK);
    return item ? toRun(item) : undefined;
  }

  private newRun(datasetId: string, status: RunStatus, tablesPresent: string[], reasons: string[]): RunRecord {
    assertKeyPart('dataset id', datasetId);
    const now = this.ctx.clock.iso();
    return { datasetId, status, tablesPresent: [...tablesPresent], claimedAt: now, updatedAt: now, reasons: [...reasons], counts: {}, timings: {} };
  }

  /** Puts a run record unless one exists that is not 'waiting' (conditional writes are atomic per item: one winner);
   * false when it was not put. */
  private putUnclaimedRun(run: RunRecord): Promise<boolean> {
    return conditionally(
      async () => {
        await this.ctx.table.put({
          Item: marshallItem({ PK: runPk(run.datasetId), SK: META_SK, type: 'run', ...run }),
          ConditionExpression: 'attribute_not_exists(PK) OR #status = :waiting',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':waiting': S('waiting') },
        });
        return true;
      },
      () => false,
    );
  }
}

/** The UpdateItem expression of updateRun: counts and timings merged key by key, reasons replaced, the lease handed
 * over or released, fenced by `ifOwner`. */
function runUpdateExpression(status: RunStatus, update: RunUpdate, clock: Clock) {
  const names: Record<string, string> = { '#status': 'status' };
  const values: Item = { ':status': S(status), ':now': S(clock.iso()) };
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
    values[':leaseUntil'] = S(clock.isoIn(update.lease.ms));
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
  return { UpdateExpression: `SET ${sets.join(', ')}`, ConditionExpression: condition, ExpressionAttributeNames: names, ExpressionAttributeValues: values };
}
