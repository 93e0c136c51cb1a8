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
import { computeFeatures, effectiveEnd } from '../core/features/customerFeatures';
import { encodeFeatures } from '../core/features/serialize';
import { LoadIssues, loadOlist, MissingTableError, OlistData, TableReport } from '../core/olist/load';
import { assertSegmentable } from '../core/model/train';
import { withoutPeople } from '../core/features/withoutPeople';
import { EMPTY_SUPPRESSION, type Suppression } from '../store/personal-data';
import { CUSTOMERS, ORDERS } from '../core/olist/tables';
import { loadWarnings } from '../core/olist/warnings';
import { explorationStats } from '../core/report/exploration';
import type { ExplorationStats } from '../core/report/exploration';
import { BlobStore } from '../store/blob-store';
import { handoffToken, type ActivePointerReader, type RunStore } from '../store/segment-store';
import { artifactKeys, blobSidecars, blobTableSource, datasetContents, datasetPrefix, parseIncomingKey, reservedDatasetIdReason } from './datasets';
import { readProvenance, reviewRows, type DatasetProvenance } from '../core/olist/provenance';
import { Log } from './log';
import { DEFAULT_LEASE_TIMES, LeaseTimes, startHeartbeat } from './lease';
import { LeaseLostError } from '../store/errors';
import { createHash, randomUUID } from 'node:crypto';
import { DEPLOYED_LIMITS, estimateRows, routeFor, type RouteDecision, type SinglePathLimits } from './route';
import { METRIC_NAMES } from '../contract/metrics';

/** Facts about the raw dataset that training passes on to the summary and the reports. */
export interface DatasetFacts {
  exploration: ExplorationStats;
  customersInExport: number;
  orders: number;
  tables: TableReport[];
  loadIssues: LoadIssues;
  /** Where the data comes from, when the upload says so (core/olist/provenance.ts), for the reports. */
  provenance?: DatasetProvenance;
}

/** How ingest starts the distributed path: an execution name (one per claim of the run) and its input (plan.ts RunInput). */
export interface DistributedStart {
  name: string;
  input: { datasetId: string; lease: string; estimatedPeople: number; previousVersion?: string; partitionPeople?: number };
}

export interface TrainRequest {
  /** The run: the dataset's id, or a retraining's (derived: see retrainingId in datasets.ts). */
  datasetId: string;
  featuresKey: string;
  /** The uploaded dataset whose facts (features/<id>/dataset.json) go with the model, when it is not datasetId. */
  sourceDatasetId?: string;
  /** Hand-off token: the run's lease was passed to this token for the training invocation (lease.ts). */
  lease?: string;
  /** A continuation: write the rest of this drafted version's assignments from `from` (train.ts), no training. */
  resume?: { version: string; from: number };
}

export interface IngestDeps {
  raw: BlobStore;
  artifacts: BlobStore;
  segments: RunStore & ActivePointerReader;
  /** Starts training asynchronously (a Lambda Event invocation in AWS, an in-process call locally). */
  startTraining(request: TrainRequest): Promise<void>;
  /** Starts the distributed path (StartExecution in AWS, the local interpreter locally). */
  startDistributed(request: DistributedStart): Promise<void>;
  /** What the single path can take (route.ts): the deployed limits, and an override of the threshold in people. */
  route?: { limits: SinglePathLimits; above?: number; partitionPeople?: number };
  log: Log;
  /** The suppression list (people forgotten on request): left out of the features. Default: nobody. */
  suppression?: () => Promise<Suppression>;
  maxUploadBytes?: number;
  /** Row tolerance per file (MAX_INVALID_ROWS): invalid rows skipped and counted before a file is rejected. */
  maxInvalidRows?: number;
  /** Run lease and hand-off lengths (RUN_LEASE_MS, RUN_HANDOFF_MS, or the invocation's deadline: lease.ts). */
  leaseTimes?: LeaseTimes;
  /** The run's lease owner: the invocation's Lambda request id (Lambda's retries of the event carry the same one, so a
   * retry takes its dead attempt's run over at once: lease.ts); default a random token. */
  leaseOwner?: string;
}


export type IngestOutcome =
  | { status: 'ignored'; key: string; reason: string }
  | { status: 'waiting'; datasetId: string; missing: string[] }
  | { status: 'duplicate'; datasetId: string; runStatus: string }
  | { status: 'rejected'; datasetId: string; reasons: string[] }
  | { status: 'ingested'; datasetId: string; customers: number; featuresKey: string }
  | { status: 'routed'; datasetId: string; path: 'distributed'; execution: string; reason: string };

/**
 * The lease the distributed path's execution holds on the run: its whole time limit (lib/constructs/distributed-pipeline.ts
 * EXECUTION_TIMEOUT, 48 h) and a margin, so that no later event takes the run over while it runs.
 */
export const DISTRIBUTED_LEASE_MS = 49 * 3_600_000;

export async function ingestUpload(deps: IngestDeps, key: string): Promise<IngestOutcome> {
  const parsed = parseIncomingKey(key);
  if (!parsed) return { status: 'ignored', key, reason: 'not under incoming/<dataset-id>/' };
  const { datasetId } = parsed;
  const reserved = reservedDatasetIdReason(datasetId);
  if (reserved) return rejectDatasetId(deps, datasetId, reserved);
  const { present, missing } = await datasetContents(deps.raw, datasetId);
  if (missing.length) {
    // An upload event cannot tell "not yet" from "never": the run record says what is missing until it arrives.
    deps.log.info('dataset incomplete, waiting for more tables', { datasetId, missing });
    const many = missing.length > 1;
    const reasons = [`missing table${many ? 's' : ''} ${missing.join(', ')}: the dataset is processed once ${many ? 'they arrive' : 'it arrives'} under ${datasetPrefix(datasetId)}`];
    await deps.segments.noteWaiting(datasetId, { tablesPresent: [...present.keys()].sort(), reasons });
    return { status: 'waiting', datasetId, missing };
  }
  const times = deps.leaseTimes ?? DEFAULT_LEASE_TIMES;
  const claim = await deps.segments.claimRun(datasetId, { tablesPresent: [...present.keys()].sort(), owner: deps.leaseOwner ?? randomUUID(), leaseMs: times.leaseMs });
  if (!claim.claimed) {
    deps.log.info('dataset already claimed', { datasetId, runStatus: claim.run.status });
    return { status: 'duplicate', datasetId, runStatus: claim.run.status };
  }

  if (claim.takeover) deps.log.warn('run taken over', { datasetId, previousStatus: claim.run.previousStatus, attempts: claim.run.attempts });
  // Fencing: every run update below applies only while this invocation still holds the lease.
  const owner = claim.run.leaseOwner!;
  let holder = owner; // after the hand-off, a failure to start training is recorded under the hand-off token
  const heartbeat = startHeartbeat(deps.segments, datasetId, owner, times.leaseMs, deps.log, times.renew !== false);
  const started = Date.now();
  try {
    // Which path: from the size of the upload, before anything is loaded (route.ts).
    const route = await routeDataset(deps, datasetId, present);
    const { estimate, ...recorded } = route;
    if (route.path === 'distributed') {
      const execution = executionName(`${datasetId}-${claim.run.attempts ?? 1}`);
      const handoff = handoffToken(owner);
      const previousVersion = (await deps.segments.getActivePointer())?.version;
      heartbeat.assertHeld();
      await deps.segments.updateRun(datasetId, 'training', {
        route: { ...recorded, execution },
        reasons: [],
        counts: { estimatedPeople: route.estimatedPeople },
        ifOwner: owner,
        lease: { owner: handoff, ms: DISTRIBUTED_LEASE_MS },
      });
      heartbeat.stop();
      holder = handoff;
      const input = { datasetId, lease: handoff, estimatedPeople: route.estimatedPeople, ...(previousVersion ? { previousVersion } : {}), ...(deps.route?.partitionPeople ? { partitionPeople: deps.route.partitionPeople } : {}) };
      await deps.startDistributed({ name: execution, input });
      deps.log.info('dataset routed to the distributed path', { datasetId, execution, reason: route.reason, estimate });
      return { status: 'routed', datasetId, path: 'distributed', execution, reason: route.reason };
    }
    await deps.segments.updateRun(datasetId, 'ingesting', { route: recorded, ifOwner: owner });
    const data = await loadOlist(blobTableSource(deps.raw, datasetId, present), { maxFileBytes: deps.maxUploadBytes, maxInvalidRows: deps.maxInvalidRows });
    const loaded = Date.now();
    // People forgotten on request never reach the features (nor, from there, any model, file or table item).
    const { table: features, dropped: suppressed } = withoutPeople(computeFeatures(data, effectiveEnd(data), { uncounted: true, everyone: true }), (deps.suppression ? await deps.suppression() : EMPTY_SUPPRESSION).has);
    assertSegmentable(features);
    const featuresKey = artifactKeys.features(datasetId);
    const encoded = encodeFeatures(features, data.fingerprint);
    await deps.artifacts.putStream(featuresKey, Readable.from([encoded]), { contentType: 'application/octet-stream', contentLength: encoded.length });
    const facts = datasetFacts(data, await readProvenance(blobSidecars(deps.raw, datasetId), reviewRows(data.tables)));
    await deps.artifacts.putJson(artifactKeys.datasetFacts(datasetId), facts);
    await deps.artifacts.putJson(artifactKeys.latestFeatures(), { datasetId, featuresKey, asOf: new Date(features.asOf).toISOString(), writtenAt: new Date().toISOString() });
    const counts = {
      customers: data.customerIds.length,
      customersSegmentable: features.values.rows,
      suppressed,
      orders: data.orders.count,
      ...Object.fromEntries(data.tables.map((t) => [`rows.${t.table}`, t.rows])),
      ...Object.fromEntries(data.tables.map((t) => [`invalidRows.${t.table}`, t.invalidRows])),
      ...Object.fromEntries(Object.entries(data.issues).map(([k, v]) => [`issues.${k}`, v])),
    };
    // What was tolerated (skipped rows, orphans) stays on the run record of an accepted dataset.
    // The lease passes to the training invocation (a token it carries), long enough to wait in Lambda's async queue.
    const handoff = handoffToken(owner);
    heartbeat.assertHeld();
    await deps.segments.updateRun(datasetId, 'training', { counts, reasons: loadWarnings(data.tables, data.issues), timings: { loadMs: loaded - started, featuresMs: Date.now() - loaded }, ifOwner: owner, lease: { owner: handoff, ms: times.handoffMs } });
    heartbeat.stop();
    holder = handoff;
    await deps.startTraining({ datasetId, featuresKey, lease: handoff });
    deps.log.info('dataset ingested', { datasetId, customers: features.values.rows });
    return { status: 'ingested', datasetId, customers: features.values.rows, featuresKey };
  } catch (err) {
    heartbeat.stop();
    if (err instanceof LeaseLostError) {
      // Another invocation took the run over (this one was too slow to renew): it owns the record now.
      deps.log.warn('run lease lost; stopping', { datasetId });
      return { status: 'duplicate', datasetId, runStatus: 'taken over' };
    }
    const reasons = [describe(err)];
    const known = err instanceof DataFormatError || err instanceof MissingTableError;
    await recordFailure(deps, datasetId, known ? 'rejected' : 'failed', reasons, err, holder);
    if (!known) throw err; // unexpected faults are retried by Lambda (which may take the 'failed' run over), then land in the failure queue
    return { status: 'rejected', datasetId, reasons };
  } finally {
    heartbeat.stop();
  }
}

/** A dataset whose id the product cannot use: rejected once (run record, error report), its objects left as they are. */
async function rejectDatasetId(deps: IngestDeps, datasetId: string, reason: string): Promise<IngestOutcome> {
  const claim = await deps.segments.claimRun(datasetId, { tablesPresent: [], owner: deps.leaseOwner ?? randomUUID(), leaseMs: (deps.leaseTimes ?? DEFAULT_LEASE_TIMES).leaseMs });
  if (!claim.claimed) return { status: 'duplicate', datasetId, runStatus: claim.run.status };
  await recordFailure(deps, datasetId, 'rejected', [reason], undefined, claim.run.leaseOwner);
  return { status: 'rejected', datasetId, reasons: [reason] };
}

/** Step Functions execution names: 1-80 of [A-Za-z0-9_-]. */
export function executionName(base: string): string {
  const clean = base.replace(/[^A-Za-z0-9_-]/g, '-');
  return clean.length <= 80 ? clean : `${clean.slice(0, 71)}-${createHash('sha256').update(base).digest('hex').slice(0, 8)}`;
}

/** The route of a complete dataset (route.ts), from the customers table's size and first rows. */
async function routeDataset(deps: IngestDeps, datasetId: string, present: Map<string, number>): Promise<RouteDecision> {
  const file = CUSTOMERS.file;
  const people = await estimateRows(deps.raw, datasetPrefix(datasetId) + file, present.get(file) ?? 0);
  return routeFor(people, deps.route?.limits ?? DEPLOYED_LIMITS, deps.route?.above);
}

/** What training passes on about the raw dataset (exploration for the reports, counts, per-table reports). */
export function datasetFacts(data: OlistData, provenance?: DatasetProvenance): DatasetFacts {
  return {
    ...(provenance ? { provenance } : {}),
    exploration: explorationStats(data),
    customersInExport: data.customerIds.length,
    orders: data.orders.count,
    tables: data.tables,
    loadIssues: data.issues,
  };
}

export function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // An AWS service error: its code (AccessDenied, ThrottlingException...) says as much as the message.
  const service = '$metadata' in err && err.name && err.name !== 'Error' && !err.message.startsWith(err.name);
  return service ? `${err.name}: ${err.message}` : err.message;
}

/** Run record + error report object + FailedRuns metric; never throws (the original error matters more). */
export async function recordFailure(
  deps: Pick<IngestDeps, 'segments' | 'artifacts' | 'log'>,
  datasetId: string,
  status: 'rejected' | 'failed',
  reasons: string[],
  err: unknown,
  /** The lease holder: the record is written only if it still holds the run, and the lease is released for a retry. */
  owner?: string,
): Promise<void> {
  deps.log.error(`dataset ${status}`, { datasetId, reasons });
  deps.log.metric(METRIC_NAMES.failedRuns, 1);
  const located = err instanceof DataFormatError ? err.toJSON() : undefined;
  await Promise.allSettled([
    deps.segments.updateRun(datasetId, status, { reasons, ...(owner ? { ifOwner: owner, lease: 'release' as const } : {}) }),
    deps.artifacts.putJson(artifactKeys.error(datasetId), { datasetId, status, reasons, error: located, at: new Date().toISOString() }),
  ]);
}
