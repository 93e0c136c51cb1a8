/**
 * One page of a segment's members in spend order: GSI1 spreads a segment over shards (keys.ts: shardOf), so a page is
 * a k-way merge of the shards' queries on GSI1SK, and the cursor holds each shard's position (it pins the version).
 * The exact requests are in ../README.md (listSegmentMembers).
 */
import { unmarshallItem } from '../codec';
import { InvalidCursorError, InvalidInputError, ModelNotFoundError } from '../errors';
import { assignmentSk, compareKeys, customerIdFromSortKey, customerPk, segmentShardPk } from '../keys';
import type { VersionMeta } from '../models/meta';
import type { ActivePointerReader } from '../models/model-store';
import { S, type Table } from '../table';
import { GSI1_NAME } from '../table-schema';
import type { ListMembersOptions, MembersPage, StoredAssignment } from './assignment-store';
import { encodeCursor, parseCursor } from './cursor';
import { toAssignment } from './requests';

export interface MembersDeps {
  table: Table;
  meta: VersionMeta;
  pointer: ActivePointerReader;
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

function decodeCursor(cursor: string): CursorState {
  const state: CursorState = parseCursor(cursor, 'listSegmentMembers');
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

export async function listSegmentMembers(deps: MembersDeps, segmentId: number, options: ListMembersOptions = {}): Promise<MembersPage> {
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
    const version = options.version ?? (await deps.pointer.getActivePointer())?.version;
    if (!version) return { version: undefined, segmentId, items: [] };
    const shards = await deps.meta.shardsOf(version);
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
    const res = await deps.table.query({
      IndexName: GSI1_NAME,
      KeyConditionExpression: 'GSI1PK = :pk',
      ExpressionAttributeValues: { ':pk': S(sh.pk) },
      ScanIndexForward: !desc,
      Limit: Math.min(Math.max(n, 1), 1000),
      ExclusiveStartKey: sh.fetchedAfter
        ? { GSI1PK: S(sh.pk), GSI1SK: S(sh.fetchedAfter), PK: S(customerPk(customerIdFromSortKey(sh.fetchedAfter))), SK: S(assignmentSk(version)) }
        : undefined,
    });
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
