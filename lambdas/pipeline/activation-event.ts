/**
 * "Segmentation model activated": published after each activation (train, and the distributed path's activate step),
 * so that marketing apps and automation subscribe to new segments instead of polling the table. The detail says which
 * version went live, its segments with their sizes, how many customers changed segment, and where its files are
 * (lambdas/pipeline/events.ts: ModelActivatedDetail).
 *
 * Publishing is best effort once the pointer has flipped: the new version is live whatever happens to the event, and
 * failing the run would make Lambda retrain it all. A failure is logged and returned (the run record says so).
 */
import type { CustomerAssignment, SegmentModel } from '../core/domain/types';
import type { ActivePointer } from '../store/segment-store';
import { artifactKeys } from './datasets';
import { DETAIL_TYPES, type ModelActivatedDetail } from './events';
import { describe } from './ingest';
import type { Log } from './log';

export interface ActivationFacts {
  datasetId: string;
  model: SegmentModel;
  pointer: ActivePointer;
  artifactsBucket: string;
  tableName: string;
  /** Customers that moved and new customers, when the previous assignments were compared (null: not measured). */
  changes: { changed: number; new: number } | null;
  /** Which optional files this path wrote beside the model; `exports`: the campaign lists' manifest key (exports.ts). */
  written: { summary: boolean; transitions: boolean; reports: boolean; exports?: string };
}

/** Customers whose segment differs from their previous one, and customers the previous version did not have. */
export function segmentChanges(assignments: CustomerAssignment[]): { changed: number; new: number } {
  let changed = 0;
  let fresh = 0;
  for (const a of assignments) {
    if (a.previousSegmentId === undefined) fresh++;
    else if (a.previousSegmentId !== a.segmentId) changed++;
  }
  return { changed, new: fresh };
}

export function activationDetail(facts: ActivationFacts): ModelActivatedDetail {
  const { model } = facts;
  const url = (key: string) => `s3://${facts.artifactsBucket}/${key}`;
  return {
    version: model.version,
    previousVersion: facts.pointer.previousVersion ?? null,
    activatedAt: facts.pointer.activatedAt,
    datasetId: facts.datasetId,
    asOf: model.asOf,
    k: model.k,
    customers: model.customers,
    segments: model.segments.map((s) => ({ id: s.id, name: s.name, size: s.size, share: s.share, action: s.action })),
    customersChangedSegment: facts.changes?.changed ?? null,
    newCustomers: facts.changes?.new ?? null,
    artifacts: {
      bucket: facts.artifactsBucket,
      model: url(artifactKeys.model(model.version)),
      summary: facts.written.summary ? url(artifactKeys.summary(model.version)) : null,
      segments: url(artifactKeys.segments(model.version)),
      assignments: url(artifactKeys.assignments(model.version)),
      distribution: url(artifactKeys.distribution(model.version)),
      transitions: facts.written.transitions ? url(artifactKeys.transitions(model.version)) : null,
      reports: facts.written.reports ? url(`${artifactKeys.reports(model.version)}index.html`) : null,
      exports: facts.written.exports ? url(facts.written.exports) : null,
      table: facts.tableName,
    },
  };
}

/** Publishes the event; returns why it could not be published (undefined when it was). */
export async function publishActivation(
  deps: { publishEvent?: (detailType: string, detail: Record<string, unknown>) => Promise<void>; log: Log },
  facts: ActivationFacts,
): Promise<string | undefined> {
  if (!deps.publishEvent) return undefined;
  const detail = activationDetail(facts);
  try {
    await deps.publishEvent(DETAIL_TYPES.activated, detail as unknown as Record<string, unknown>);
    return undefined;
  } catch (err) {
    deps.log.error('activation event not published (the model is active)', { version: detail.version, error: describe(err) });
    return `activation event not published: ${describe(err)}`;
  }
}
