/**
 * Ingest: on each upload under incoming/<dataset-id>/, wait until every required table is present, claim
 * the dataset exactly once (duplicated or concurrent S3 events find it claimed), read and check the
 * tables, compute the customer features and hand them to training.
 *
 * A rejected dataset leaves everything as it was: the raw objects stay, the active model stays, and the
 * reasons go to the run record and to errors/<dataset-id>/error.json in the artifacts bucket.
 */
import { Readable } from 'node:stream';
import { DataFormatError } from '../core/csv/errors';
import { computeFeatures, lastPurchase } from '../core/features/customerFeatures';
import { encodeFeatures } from '../core/features/serialize';
import { LoadIssues, loadOlist, MissingTableError, TableReport } from '../core/olist/load';
import { explorationStats } from '../core/report/exploration';
import type { ExplorationStats } from '../core/report/exploration';
import { BlobStore } from '../store/blob-store';
import { SegmentStore } from '../store/segment-store';
import { artifactKeys, blobTableSource, datasetContents, parseIncomingKey } from './datasets';
import { Log } from './log';

/** Facts about the raw dataset that training passes on to the summary and the reports. */
export interface DatasetFacts {
  exploration: ExplorationStats;
  customersInExport: number;
  orders: number;
  tables: TableReport[];
  loadIssues: LoadIssues;
}

export interface TrainRequest {
  datasetId: string;
  featuresKey: string;
}

export interface IngestDeps {
  raw: BlobStore;
  artifacts: BlobStore;
  segments: SegmentStore;
  /** Starts training asynchronously (a Lambda Event invocation in AWS, an in-process call locally). */
  startTraining(request: TrainRequest): Promise<void>;
  log: Log;
  maxUploadBytes?: number;
}

export type IngestOutcome =
  | { status: 'ignored'; key: string; reason: string }
  | { status: 'waiting'; datasetId: string; missing: string[] }
  | { status: 'duplicate'; datasetId: string; runStatus: string }
  | { status: 'rejected'; datasetId: string; reasons: string[] }
  | { status: 'ingested'; datasetId: string; customers: number; featuresKey: string };

export async function ingestUpload(deps: IngestDeps, key: string): Promise<IngestOutcome> {
  const parsed = parseIncomingKey(key);
  if (!parsed) return { status: 'ignored', key, reason: 'not under incoming/<dataset-id>/' };
  const { datasetId } = parsed;
  const { present, missing } = await datasetContents(deps.raw, datasetId);
  if (missing.length) {
    deps.log.info('dataset incomplete, waiting for more tables', { datasetId, missing });
    return { status: 'waiting', datasetId, missing };
  }
  const claim = await deps.segments.claimRun(datasetId, { tablesPresent: [...present.keys()].sort() });
  if (!claim.claimed) {
    deps.log.info('dataset already claimed', { datasetId, runStatus: claim.run.status });
    return { status: 'duplicate', datasetId, runStatus: claim.run.status };
  }

  const started = Date.now();
  try {
    await deps.segments.updateRun(datasetId, 'ingesting');
    const data = await loadOlist(blobTableSource(deps.raw, datasetId, present), { maxFileBytes: deps.maxUploadBytes });
    const loaded = Date.now();
    const features = computeFeatures(data, lastPurchase(data));
    if (features.values.rows < 10) throw new Error(`only ${features.values.rows} customers have a delivered order: too few to segment`);
    const featuresKey = artifactKeys.features(datasetId);
    const encoded = encodeFeatures(features, data.fingerprint);
    await deps.artifacts.putStream(featuresKey, Readable.from([encoded]), { contentType: 'application/octet-stream', contentLength: encoded.length });
    const facts: DatasetFacts = {
      exploration: explorationStats(data),
      customersInExport: data.customerIds.length,
      orders: data.orders.count,
      tables: data.tables,
      loadIssues: data.issues,
    };
    await deps.artifacts.putJson(artifactKeys.datasetFacts(datasetId), facts);
    await deps.artifacts.putJson(artifactKeys.latestFeatures(), { datasetId, featuresKey, asOf: new Date(features.asOf).toISOString(), writtenAt: new Date().toISOString() });
    const counts = {
      customers: data.customerIds.length,
      customersSegmentable: features.values.rows,
      orders: data.orders.count,
      ...Object.fromEntries(data.tables.map((t) => [`rows.${t.table}`, t.rows])),
      ...Object.fromEntries(Object.entries(data.issues).map(([k, v]) => [`issues.${k}`, v])),
    };
    await deps.segments.updateRun(datasetId, 'training', { counts, timings: { loadMs: loaded - started, featuresMs: Date.now() - loaded } });
    await deps.startTraining({ datasetId, featuresKey });
    deps.log.info('dataset ingested', { datasetId, customers: features.values.rows });
    return { status: 'ingested', datasetId, customers: features.values.rows, featuresKey };
  } catch (err) {
    const reasons = [describe(err)];
    const known = err instanceof DataFormatError || err instanceof MissingTableError;
    await recordFailure(deps, datasetId, known ? 'rejected' : 'failed', reasons, err);
    if (!known) throw err; // unexpected faults are retried by Lambda, then land in the failure queue
    return { status: 'rejected', datasetId, reasons };
  }
}

export function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Run record + error report object + FailedRuns metric; never throws (the original error matters more). */
export async function recordFailure(
  deps: Pick<IngestDeps, 'segments' | 'artifacts' | 'log'>,
  datasetId: string,
  status: 'rejected' | 'failed',
  reasons: string[],
  err: unknown,
): Promise<void> {
  deps.log.error(`dataset ${status}`, { datasetId, reasons });
  deps.log.metric('FailedRuns', 1);
  const located = err instanceof DataFormatError ? err.toJSON() : undefined;
  await Promise.allSettled([
    deps.segments.updateRun(datasetId, status, { reasons }),
    deps.artifacts.putJson(artifactKeys.error(datasetId), { datasetId, status, reasons, error: located, at: new Date().toISOString() }),
  ]);
}
