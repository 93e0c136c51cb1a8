/** Assignments → the PutRequests of their items (validated before anything is written), and mapping items back. */
import type { WriteRequest } from '@aws-sdk/client-dynamodb';
import { ID_RULE, isValidId } from '../../core/ids';
import { FEATURE_NAMES, type CustomerAssignment } from '../../core/domain/types';
import { marshallItem } from '../codec';
import { InvalidInputError } from '../errors';
import { assignmentSk, customerPk, segmentShardPk, shardOf, spendSortKey } from '../keys';
import type { StoredAssignment } from './assignment-store';
import { whyAttributes, whyOfItem } from './borderline';

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

/** An assignment item (unmarshalled) as the readers get it. */
export function toAssignment(item: Record<string, any>): StoredAssignment {
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
