/**
 * The scheduled stability check: the active model against fresh fits on the latest dataset (ARI), the
 * drift of every feature, the model's age against the cadence (lambdas/core/stability/check.ts). The
 * result is recorded as history; drift or an overdue model publishes "Segmentation drift detected" and,
 * when enabled, starts a retraining on the latest features.
 */
import { loadOlist } from '../core/olist/load';
import { CheckResult, contractOf, runStabilityCheck } from '../core/stability/check';
import { effectiveEnd } from '../core/stability/simulate';
import { TrainingDistribution } from '../core/stability/drift';
import { BlobStore } from '../store/blob-store';
import type { ModelReader, RunStore, StabilityCheckRecord, StabilityStore } from '../store/segment-store';
import { artifactKeys, blobTableSource, datasetContents, retrainingId } from './datasets';
import { TrainRequest } from './ingest';
import { Log } from './log';
import { DEFAULT_LEASE_TIMES } from './lease';
import { randomUUID } from 'node:crypto';
import { DETAIL_TYPES } from './events';

export const DRIFT_EVENT = DETAIL_TYPES.drift;

export interface StabilityDeps {
  raw: BlobStore;
  artifacts: BlobStore;
  segments: ModelReader & StabilityStore & RunStore;
  log: Log;
  publishEvent(detailType: string, detail: Record<string, unknown>): Promise<void>;
  startTraining(request: TrainRequest): Promise<void>;
  threshold?: number;
  cadenceDays?: number;
  autoRetrain?: boolean;
  /** The row tolerance ingest accepted the dataset with (MAX_INVALID_ROWS), so it loads here too. */
  maxInvalidRows?: number;
  /** The upload size limit of ingest (MAX_UPLOAD_BYTES): the reload reads nothing larger than ingest would. */
  maxFileBytes?: number;
  /** Clock for the record and the retraining id (tests pin it). */
  now?: () => Date;
}

export type StabilityOutcome =
  | { status: 'no-model' | 'no-data'; reason: string }
  | { status: 'checked'; record: StabilityCheckRecord; published: boolean; retraining?: string };

export async function checkStability(deps: StabilityDeps): Promise<StabilityOutcome> {
  const active = await deps.segments.getActiveModel();
  if (!active) return { status: 'no-model', reason: 'no active model yet' };
  const latestKey = artifactKeys.latestFeatures();
  if (!(await deps.artifacts.exists(latestKey))) return { status: 'no-data', reason: `no ${latestKey} in the artifacts bucket` };
  // featuresKey is null when the latest dataset took the distributed path (no features.bin of the whole export).
  const latest = await deps.artifacts.getJson<{ datasetId: string; featuresKey: string | null; path?: 'single' | 'distributed' }>(latestKey);
  const { present, missing } = await datasetContents(deps.raw, latest.datasetId);
  if (missing.length) return { status: 'no-data', reason: `dataset ${latest.datasetId} lacks ${missing.join(', ')}` };
  const data = await loadOlist(blobTableSource(deps.raw, latest.datasetId, present), { maxInvalidRows: deps.maxInvalidRows, maxFileBytes: deps.maxFileBytes });
  const model = active.record.model;
  const now = (deps.now ?? (() => new Date()))();
  // Age: the newer of data time (latest data date minus the model's as-of date, inside runStabilityCheck)
  // and wall-clock time since the model was trained, expressed on the data's time axis.
  const modelAsOf = Date.parse(model.asOf);
  const byClock = modelAsOf + Math.max(0, now.getTime() - Date.parse(model.createdAt));
  const distributionKey = artifactKeys.distribution(model.version);
  const training = (await deps.artifacts.exists(distributionKey)) ? await deps.artifacts.getJson<TrainingDistribution>(distributionKey) : undefined;
  // The contract: the configured cadence, else the one the team's latest simulation recommends (models/stability.json).
  const simulationKey = artifactKeys.stabilitySimulation();
  const contract = (await deps.artifacts.exists(simulationKey)) ? contractOf(await deps.artifacts.getJson<unknown>(simulationKey)) : {};
  const result = runStabilityCheck(model, data, { threshold: deps.threshold ?? contract.threshold, cadenceDays: deps.cadenceDays ?? contract.cadenceDays, now: Math.max(byClock, effectiveEnd(data)), training });
  const record = toRecord(result, now, latest.datasetId);
  await deps.segments.putStabilityCheck(record);
  deps.log.info('stability check', { verdict: result.verdict, ari: result.ari, ageDays: result.ageDays, modelVersion: model.version });

  if (result.verdict === 'ok') return { status: 'checked', record, published: false };
  let retraining: string | undefined;
  if (deps.autoRetrain && !latest.featuresKey) {
    deps.log.warn('no automatic retraining: the latest dataset took the distributed path; upload it again under a new id to retrain', { datasetId: latest.datasetId });
  } else if (deps.autoRetrain && latest.featuresKey) {
    retraining = retrainingId(latest.datasetId, now);
    const claim = await deps.segments.claimRun(retraining, { tablesPresent: [...present.keys()].sort() });
    if (claim.claimed) {
      // The lease passes to the training invocation (see lease.ts), as after an ingest.
      const handoff = randomUUID();
      await deps.segments.updateRun(retraining, 'training', { reasons: [`retraining after the stability check: ${result.verdict}`], ifOwner: claim.run.leaseOwner, lease: { owner: handoff, ms: DEFAULT_LEASE_TIMES.handoffMs } });
      await deps.startTraining({ datasetId: retraining, featuresKey: latest.featuresKey, sourceDatasetId: latest.datasetId, lease: handoff });
    }
  }
  await deps.publishEvent(DRIFT_EVENT, {
    modelVersion: model.version,
    verdict: result.verdict,
    reasons: result.reasons,
    ari: result.ari,
    ariKnown: result.ariKnown,
    threshold: result.threshold,
    ageDays: result.ageDays,
    cadenceDays: result.cadenceDays,
    drift: record.drift,
    datasetId: latest.datasetId,
    ...(retraining ? { retraining } : {}),
  });
  return { status: 'checked', record, published: true, retraining };
}

function toRecord(r: CheckResult, now: Date, datasetId: string): StabilityCheckRecord {
  return {
    checkedAt: now.toISOString(),
    modelVersion: r.modelVersion,
    ari: r.ari,
    drift: Object.fromEntries(Object.entries(r.drift).map(([f, d]) => [f, Math.round(d.psi * 1e4) / 1e4])),
    ageDays: r.ageDays,
    verdict: r.verdict,
    reasons: r.reasons,
    details: { datasetId, asOf: r.asOf, trainingDistribution: r.trainingDistribution, ariKnown: r.ariKnown, ariSpread: r.ariSpread, freshAgreement: r.freshAgreement, threshold: r.threshold, cadenceDays: r.cadenceDays, customers: r.customers, newCustomers: r.newCustomers, seconds: r.seconds },
  };
}
