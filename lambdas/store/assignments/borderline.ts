/**
 * The "why" of an assignment item and the borderline index (GSI2), beside the store that writes and reads them
 * (dynamo-assignment-store.ts, members-page.ts).
 *
 * Item attributes: `reasons` (list of codes: feature names, or the service group of a rule segment), `runnerUp` and
 * `margin` (numbers; absent in rule segments), `promiseDays` (rule segments, when known). About 60 bytes an item: the
 * items stay under 1 KB, one write unit each as before.
 *
 * GSI2 is sparse: only an assignment whose margin is below BORDERLINE_MARGIN gets `GSI2PK = BORDER#<version>#<segment>`
 * and `GSI2SK = <margin in 1e-4, 5 digits>#<customer id>`, so the index holds the borderline customers of each segment,
 * smallest margin first, and costs one index write per borderline customer (7.6% of the customers on the Olist export)
 * instead of one per customer. One partition per segment: at the default write budget (1,000 items/s over all
 * segments) a segment's borderline writes stay far below a partition's 1,000 writes/s, so no sharding (and no merge on
 * read) is needed.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { BORDERLINE_MARGIN } from '../../core/model/margin';
import { SERVICE_GROUPS } from '../../core/features/customerFeatures';
import { FEATURE_NAMES, type AssignmentWhy, type CustomerAssignment } from '../../core/domain/types';
import { unmarshallItem } from '../codec';
import { InvalidCursorError, InvalidInputError } from '../errors';
import { assignmentSk, borderlinePk, customerIdFromSortKey, customerPk, marginSortKey } from '../keys';
import type { Table } from '../table';
import { encodeCursor, parseCursor } from './cursor';
import { GSI2_NAME } from '../table-schema';

const REASON_CODES = new Set<string>([...FEATURE_NAMES, ...SERVICE_GROUPS]);

/**
 * The why attributes of one assignment item (validated), and its GSI2 keys when it is borderline. `where` names the
 * assignment in errors; `segmentIds` are the version's.
 */
export function whyAttributes(version: string, a: CustomerAssignment, segmentIds: ReadonlySet<number>, where: string): { attributes: Record<string, unknown>; borderline: boolean } {
  const attributes: Record<string, unknown> = {};
  if (a.reasons !== undefined) {
    if (!Array.isArray(a.reasons) || a.reasons.length > 3 || a.reasons.some((r) => !REASON_CODES.has(r))) {
      throw new InvalidInputError(`${where}: reasons must be at most 3 codes among ${[...REASON_CODES].join(', ')}`);
    }
    attributes.reasons = [...a.reasons];
  }
  const { runnerUp, margin } = a;
  if ((runnerUp ?? null) === null !== ((margin ?? null) === null)) throw new InvalidInputError(`${where}: runnerUp and margin go together`);
  let borderline = false;
  if (runnerUp !== undefined && runnerUp !== null && margin !== undefined && margin !== null) {
    if (!segmentIds.has(runnerUp) || runnerUp === a.segmentId) throw new InvalidInputError(`${where}: runnerUp ${runnerUp} must be another segment of model ${version}`);
    if (!(margin >= 0 && margin <= 1)) throw new InvalidInputError(`${where}: margin ${margin} must be in [0, 1]`);
    attributes.runnerUp = runnerUp;
    attributes.margin = margin;
    if (margin < BORDERLINE_MARGIN) {
      borderline = true;
      attributes.GSI2PK = borderlinePk(version, a.segmentId);
      attributes.GSI2SK = marginSortKey(margin, a.customerId);
    }
  }
  if (a.promiseDays !== undefined) {
    if (!Number.isFinite(a.promiseDays)) throw new InvalidInputError(`${where}: promiseDays must be a finite number`);
    attributes.promiseDays = a.promiseDays;
  }
  return { attributes, borderline };
}

/** The why fields of a stored item (absent on items written before reasons existed). */
export function whyOfItem(item: Record<string, any>): Partial<AssignmentWhy> {
  const out: Partial<AssignmentWhy> = {};
  if (item.reasons !== undefined) out.reasons = item.reasons;
  if (item.reasons !== undefined || item.runnerUp !== undefined) {
    out.runnerUp = item.runnerUp ?? null;
    out.margin = item.margin ?? null;
  }
  if (item.promiseDays !== undefined) out.promiseDays = item.promiseDays;
  return out;
}

interface BorderlineCursor {
  v: string;
  s: number;
  /** GSI2SK of the last member returned. */
  k: string;
}

function encode(c: BorderlineCursor): string {
  return encodeCursor({ b: 1, ...c });
}

function decode(cursor: string): BorderlineCursor {
  const c = parseCursor(cursor, 'listBorderlineMembers');
  if (!c || c.b !== 1 || typeof c.v !== 'string' || !Number.isInteger(c.s) || typeof c.k !== 'string') throw new InvalidCursorError('not a borderline cursor');
  return { v: c.v, s: c.s, k: c.k };
}

/**
 * One page of a segment's borderline members of `version` (smallest margin first): `Query IndexName: GSI2,
 * GSI2PK = BORDER#<version>#<segment>, Limit: limit + 1` from the cursor's position (the extra item says whether there is
 * a next page, so the last page never carries a cursor).
 */
export async function queryBorderline(
  table: Table,
  segmentId: number,
  options: { version?: string; limit: number; cursor?: string },
): Promise<{ version: string; items: Record<string, any>[]; cursor?: string }> {
  const position = options.cursor ? decode(options.cursor) : undefined;
  if (position && position.s !== segmentId) throw new InvalidCursorError(`it belongs to segment ${position.s}, not ${segmentId}`);
  if (position && options.version !== undefined && options.version !== position.v) throw new InvalidCursorError(`it belongs to version ${position.v}`);
  const version = position?.v ?? options.version;
  if (!version) throw new InvalidInputError('a version is needed');
  const pk = borderlinePk(version, segmentId);
  const items: Record<string, any>[] = [];
  let start: Record<string, AttributeValue> | undefined = position
    ? { GSI2PK: { S: pk }, GSI2SK: { S: position.k }, PK: { S: customerPk(customerIdFromSortKey(position.k)) }, SK: { S: assignmentSk(version) } }
    : undefined;
  // A page may stop short of Limit (1 MB per Query): continue until limit + 1 items or the end.
  do {
    const res = await table.query({
      IndexName: GSI2_NAME,
      KeyConditionExpression: 'GSI2PK = :pk',
      ExpressionAttributeValues: { ':pk': { S: pk } },
      ScanIndexForward: true,
      Limit: options.limit + 1 - items.length,
      ExclusiveStartKey: start,
    });
    items.push(...(res.Items ?? []).map(unmarshallItem));
    start = res.LastEvaluatedKey;
  } while (start && items.length <= options.limit);
  const more = items.length > options.limit;
  const page = items.slice(0, options.limit);
  return { version, items: page, ...(more ? { cursor: encode({ v: version, s: segmentId, k: page[page.length - 1].GSI2SK }) } : {}) };
}
