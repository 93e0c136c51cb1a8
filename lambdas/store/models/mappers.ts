/** Model items ↔ model records: META, the segment items and the ACTIVE pointer (the items are in ../README.md). */
import type { SegmentDescription, SegmentModel } from '../../core/domain/types';
import { META_SK, segmentSkPrefix } from '../keys';
import type { ActivePointer, ModelRecord, ModelSummary } from './model-store';

export function toSegment(item: Record<string, any>): SegmentDescription {
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
export function nanAsNull<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === 'number' && Number.isNaN(v) ? null : v)));
}

/** The reverse of nanAsNull for a segment profile (every stored null there was a NaN). */
function nullAsNaN<T>(profile: T): T {
  return JSON.parse(JSON.stringify(profile), (_k, v) => (v === null ? NaN : v));
}

export function toPointer(item: Record<string, any>): ActivePointer {
  return { version: item.version, previousVersion: item.previousVersion, activatedAt: item.activatedAt };
}

/** A version's items (META and its segments, unmarshalled) as a record; undefined without META. */
export function toModelRecord(items: Record<string, any>[]): ModelRecord | undefined {
  const meta = items.find((i) => i.SK === META_SK);
  if (!meta) return undefined;
  // The model's own segment order (META's segmentIds), not the items' key order: a cluster segment's place in that
  // order is its centroid's row (ids are permuted when a model continues the previous one's).
  // A segment META does not list (none: the draft records every id) goes after the listed ones, by id.
  const order = new Map<number, number>((meta.segmentIds ?? []).map((id: number, i: number) => [id, i]));
  const rank = (id: number) => order.get(id) ?? order.size + id;
  const segments = items
    .filter((i) => i.SK.startsWith(segmentSkPrefix))
    .map(toSegment)
    .sort((a, b) => rank(a.id) - rank(b.id));
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

/** A META item as listed by listModels (GSI1 `MODELS`). */
export function toModelSummary(m: Record<string, any>): ModelSummary {
  return {
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
  };
}
