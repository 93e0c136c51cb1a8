/**
 * Train: fit the segmentation on a dataset's features, write the model and its reports to the artifacts
 * bucket, write every assignment to the table, and only then make the new version the active one.
 * Readers resolve the active pointer first, so they see the previous version until the new one is
 * complete; a failure anywhere leaves the previous version active.
 *
 * The write is resumable: when the invocation nears its time limit (remaining time below the stop margin), the write
 * stops after the batches in flight, records where (the version's META, the run record), saves each person's segment
 * beside the model (pending-write.json) and invokes train again with a continuation request, which writes the rest
 * from there without training again; activation happens only once every assignment is written.
 */
import { Readable } from 'node:stream';
import { DataFormatError } from '../core/csv/errors';
import { decodeFeatures } from '../core/features/serialize';
import { assignmentsCsv, type AssignedPeople } from '../core/model/assignmentsCsv';
import { clusterWhy, explainPeople, ruleWhy, type PeopleWhy } from '../core/model/explain';
import { trainOnFeatures, TrainOptions, TrainResult } from '../core/model/train';
import { AssignmentWhy, CustomerAssignment, FEATURE_NAMES, FeatureVector, SegmentModel } from '../core/domain/types';
import { fitPca } from '../core/cluster/pca';
import { buildSummaryFromFeatures } from '../core/model/summary';
import { BlobStore } from '../store/blob-store';
import type { AssignmentWriter, ModelStore, RunStore } from '../store/segment-store';
import { EMPTY_SUPPRESSION, type Suppression } from '../store/personal-data';
import { withoutPeople } from '../core/features/withoutPeople';
import { artifactKeys } from './datasets';
import { DatasetFacts, describe, recordFailure, TrainRequest } from './ingest';
import { buildReports, sampleMap, StabilityInput } from '../core/report';
import { summarizeDistribution } from '../core/stability/drift';
import { Log } from './log';
import { DEFAULT_LEASE_TIMES, Heartbeat, LeaseTimes, startHeartbeat } from './lease';
import { handoffToken } from '../store/segment-store';
import { LeaseLostError, StaleModelError } from '../store/errors';
import { randomUUID } from 'node:crypto';
import { loadWarnings } from '../core/olist/warnings';
import { publishActivation, segmentChanges } from './activation-event';
import { campaignListsLink, markSuperseded, writeCampaignLists } from './exports';

export interface TrainDeps {
  artifacts: BlobStore;
  segments: ModelStore & AssignmentWriter & RunStore;
  log: Log;
  /** The suppression list, read again here: a person forgotten after ingest is left out of this training too. */
  suppression?: () => Promise<Suppression>;
  fixedK?: number;
  /** Extra options for the core (smaller sweeps in tests, seeds). */
  trainOptions?: TrainOptions;
  /** Write the HTML reports beside the model (default true; off saves seconds per training in tests). */
  reports?: boolean;
  /** BatchWriteItem calls in flight. */
  writeConcurrency?: number;
  /** Write budget of the assignments, items per second (WRITE_RATE_PER_SECOND); undefined = unlimited. */
  writeRatePerSecond?: number;
  /** Called after the model's files are written and before assignments: lets the stability layer relabel ids. */
  reconcile?: (result: TrainResult, previous: SegmentModel | undefined) => Promise<Map<string, number> | undefined>;
  /** Run lease length (RUN_LEASE_MS, or the invocation's deadline: lease.ts). */
  leaseTimes?: LeaseTimes;
  /** The lease owner once acquired: the invocation's Lambda request id (train's own, not ingest's hand-off token), so
   * that Lambda's retry of this training event takes its dead attempt's run over at once; default a random token. */
  leaseOwner?: string;
  /** Publishes "Segmentation model activated" after the activation (activation-event.ts); unset: no event. */
  publishEvent?: (detailType: string, detail: Record<string, unknown>) => Promise<void>;
  /** The table the event names as the one serving the model. */
  tableName?: string;
  /** The invocation's remaining time (Lambda context): the write stops before the limit and continues in a new one. */
  remainingMs?: () => number;
  /** Stop writing when less than this remains (WRITE_STOP_MARGIN_MS; default 60 s). */
  stopMarginMs?: number;
  /** Starts the continuation of a write (train invoked again asynchronously with `resume`). */
  startTraining?: (request: TrainRequest) => Promise<void>;
}

export interface TrainOutcome {
  datasetId: string;
  version: string;
  previousVersion?: string;
  k: number;
  customers: number;
  /** activated (default), or superseded: complete but not activated because the active model has newer data. */
  status?: 'activated' | 'superseded';
}

/** The write stopped before the time limit: a continuation (train invoked again) writes the rest. */
export interface TrainContinuing {
  datasetId: string;
  status: 'continuing';
  version: string;
  /** Assignments written so far, of all. */
  written: number;
  of: number;
}

/** What a continuation needs beside the features and the draft: each person's segment and the flags of the event. */
interface PendingWrite {
  labels: number[];
  ruleLabels: number[];
  /** Previous segment of each person (customers, then the uncounted), -1 when new; absent without a previous model. */
  previous?: number[];
  written: { summary: boolean; transitions: boolean; reports: boolean; exports?: string };
  trainMs: number;
}

/** A duplicate delivery of the training event, or one for a run another invocation holds or finished. */
export interface TrainSkipped {
  datasetId: string;
  status: 'duplicate';
  runStatus: string;
}

/** Data that cannot be segmented (a DataFormatError): recorded as rejected, final, never retried. */
export interface TrainRejected {
  datasetId: string;
  status: 'rejected';
  reasons: string[];
}

export async function trainDataset(deps: TrainDeps, request: TrainRequest): Promise<TrainOutcome | TrainSkipped | TrainRejected | TrainContinuing> {
  const { datasetId } = request;
  const t0 = Date.now();
  // Exactly one invocation trains a run: the one ingest handed the lease to, or a retry after a failure or after the
  // holder crashed (Lambda's retry of the same request: same owner, at once; anyone else: once its lease expired).
  // Duplicated deliveries of the event stop here.
  const times = deps.leaseTimes ?? DEFAULT_LEASE_TIMES;
  const owner = deps.leaseOwner ?? randomUUID();
  const lease = await deps.segments.acquireRunLease(datasetId, { owner, leaseMs: times.leaseMs, status: 'training', from: ['training'], handoff: request.lease });
  if (!lease.claimed) {
    deps.log.info('training already done or in progress elsewhere', { datasetId, runStatus: lease.run.status });
    return { datasetId, status: 'duplicate', runStatus: lease.run.status };
  }
  const heartbeat = startHeartbeat(deps.segments, datasetId, owner, times.leaseMs, deps.log, times.renew !== false);
  // A continuation (or Lambda's retry of one) resumes its version's write; only a training's retry drops the draft.
  if (lease.takeover && lease.run.modelVersion && !request.resume) await dropAbandonedDraft(deps, datasetId, lease.run.modelVersion);
  try {
    if (request.resume) return await continueWrite(deps, request, owner, heartbeat);
    const stored = decodeFeatures(await readAll(await deps.artifacts.get(request.featuresKey)), request.featuresKey);
    const { table, dropped } = withoutPeople(stored.table, (deps.suppression ? await deps.suppression() : EMPTY_SUPPRESSION).has);
    if (dropped) deps.log.info('people on the suppression list left out', { datasetId, people: dropped });
    const result = trainOnFeatures(table, stored.fingerprint, { k: deps.fixedK, ...deps.trainOptions });
    const previous = (await deps.segments.getActiveModel())?.record.model;
    const previousSegments = deps.reconcile ? await deps.reconcile(result, previous) : undefined;
    const { model } = result;
    const trained = Date.now();

    const pca = fitPca(result.X);
    const coords = pca.project2d(result.X);
    // Why everyone is where they are: one pass, for the stored assignments, the campaign lists and the summary.
    const why = explainPeople(model, result.features, result.labels);
    const summary = buildSummaryFromFeatures(result, { timings: { ...result.timings }, pca: { explainedVariance: pca.explainedVariance }, why });
    // The raw dataset's facts: a retraining names the dataset it retrains (never derived from its own id).
    const facts = await readOptionalJson<DatasetFacts>(deps.artifacts, artifactKeys.datasetFacts(request.sourceDatasetId ?? datasetId));
    if (facts) {
      summary.counts.customersInExport = facts.customersInExport;
      summary.counts.orders = facts.orders;
      summary.tables = facts.tables;
      summary.loadIssues = facts.loadIssues;
      summary.warnings = loadWarnings(facts.tables, facts.loadIssues);
    }
    await deps.artifacts.putJson(artifactKeys.model(model.version), model);
    await deps.artifacts.putJson(artifactKeys.summary(model.version), summary);
    await deps.artifacts.putJson(artifactKeys.segments(model.version), { modelVersion: model.version, segments: model.segments });
    await deps.artifacts.putJson(artifactKeys.distribution(model.version), summarizeDistribution(result.imputed, { asOf: model.asOf, modelVersion: model.version }));
    await deps.artifacts.putStream(artifactKeys.assignments(model.version), Readable.from(assignmentsCsv(result, coords)), { contentType: 'text/csv' });
    if (facts && deps.reports !== false) {
      // Reports for people, beside the model (the maintenance page uses the team's latest simulation, if any).
      const stability = await readOptionalJson<StabilityInput>(deps.artifacts, artifactKeys.stabilitySimulation());
      const pages = await buildReports({
        exploration: facts.exploration,
        summary,
        map: sampleMap(coords, result.labels, 3000, 1),
        stability,
        stabilitySource: stability ? artifactKeys.stabilitySimulation() : undefined,
        provenance: facts.provenance,
        campaignLists: campaignListsLink(model.version),
      });
      for (const [file, html] of Object.entries(pages)) await deps.artifacts.putText(artifactKeys.reports(model.version) + file, html, { contentType: 'text/html; charset=utf-8' });
    }

    await deps.segments.putModelDraft(model, { runId: datasetId });
    // The draft's version on the run: a retry after a crash deletes it (it can never be activated half-written).
    await deps.segments.updateRun(datasetId, 'training', { modelVersion: model.version, ifOwner: owner });
    const assignments = toAssignments(result, previousSegments, why);
    // The campaign lists before the activation: readers and the event find them complete once the version is live.
    const exported = await writeCampaignLists(deps.artifacts, model, assignments);
    const written = { summary: true, transitions: previousSegments !== undefined, reports: !!facts && deps.reports !== false, exports: exported.key };
    const write = await writeWithin(deps, model.version, assignments, 0);
    if (!write.complete) {
      const pending: PendingWrite = {
        labels: Array.from(result.labels),
        ruleLabels: Array.from(result.ruleLabels),
        ...(previousSegments ? { previous: assignments.map((a) => a.previousSegmentId ?? -1) } : {}),
        written,
        trainMs: trained - t0,
      };
      await deps.artifacts.putStream(pendingWriteKey(model.version), Readable.from([JSON.stringify(pending)]), { contentType: 'application/json' });
      return await continueLater(deps, request, owner, heartbeat, model.version, write.next, assignments.length);
    }
    heartbeat.assertHeld();
    return await finishRun(deps, request, owner, lease.run.reasons ?? [], model, assignments, previousSegments !== undefined, written, { trainMs: trained - t0, writeAssignmentsMs: write.durationMs, totalTrainMs: Date.now() - t0 });
  } catch (err) {
    if (err instanceof LeaseLostError) {
      deps.log.warn('run lease lost; stopping', { datasetId });
      return { datasetId, status: 'duplicate', runStatus: 'taken over' };
    }
    // Data that cannot be segmented fails the same way on every retry: rejected (final), like ingest's rejections.
    // Anything else is a fault: recorded as failed and rethrown, so that Lambda retries it.
    const rejected = err instanceof DataFormatError;
    await recordFailure(deps, datasetId, rejected ? 'rejected' : 'failed', [describe(err)], err, owner);
    if (rejected) return { datasetId, status: 'rejected', reasons: [describe(err)] };
    throw err;
  } finally {
    heartbeat.stop();
  }
}

/** Where a stopped write keeps each person's segment for its continuation (beside the model's files). */
export const pendingWriteKey = (version: string) => `${artifactKeys.model(version).replace(/model\.json$/, '')}pending-write.json`;

/** The write from `from`, stopped before the invocation's time limit (the margin) when it cannot finish. */
function writeWithin(deps: TrainDeps, version: string, assignments: CustomerAssignment[], from: number) {
  const margin = deps.stopMarginMs ?? 60_000;
  return deps.segments.writeAssignments(version, assignments, {
    from,
    concurrency: deps.writeConcurrency,
    itemsPerSecond: deps.writeRatePerSecond,
    shouldStop: deps.remainingMs ? () => deps.remainingMs!() < margin : undefined,
  });
}

/** Records where the write stopped and hands the run to a continuation (train invoked again with `resume`). */
async function continueLater(deps: TrainDeps, request: TrainRequest, owner: string, heartbeat: Heartbeat, version: string, next: number, of: number): Promise<TrainContinuing> {
  if (!deps.startTraining) throw new Error(`the write of ${version} stopped at ${next} of ${of} and this runtime cannot start its continuation`);
  const handoff = handoffToken(owner);
  heartbeat.assertHeld();
  const times = deps.leaseTimes ?? DEFAULT_LEASE_TIMES;
  await deps.segments.updateRun(request.datasetId, 'training', {
    modelVersion: version,
    counts: { assignmentsWritten: next, assignments: of },
    ifOwner: owner,
    lease: { owner: handoff, ms: times.handoffMs },
  });
  heartbeat.stop();
  await deps.startTraining({ datasetId: request.datasetId, featuresKey: request.featuresKey, lease: handoff, resume: { version, from: next } });
  deps.log.info('assignment write stopped before the time limit; a continuation writes the rest', { datasetId: request.datasetId, version, written: next, of });
  return { datasetId: request.datasetId, status: 'continuing', version, written: next, of };
}

/** A continuation: the rest of a stopped write (the model, features and segments as saved), then the activation. */
async function continueWrite(deps: TrainDeps, request: TrainRequest, owner: string, heartbeat: Heartbeat): Promise<TrainOutcome | TrainContinuing> {
  const { version } = request.resume!;
  const t0 = Date.now();
  const record = await deps.segments.getModel(version);
  if (!record) throw new Error(`continuation of ${version}: no such model version`);
  const stored = decodeFeatures(await readAll(await deps.artifacts.get(request.featuresKey)), request.featuresKey);
  const pending = await deps.artifacts.getJson<PendingWrite>(pendingWriteKey(version));
  const people = { model: record.model, features: stored.table, labels: Int32Array.from(pending.labels), ruleLabels: Int32Array.from(pending.ruleLabels) };
  const ids = [...stored.table.customerIds, ...stored.table.uncounted.customerIds];
  const previous = pending.previous ? new Map(ids.flatMap((id, i) => (pending.previous![i] >= 0 ? [[id, pending.previous![i]] as [string, number]] : []))) : undefined;
  const assignments = toAssignments(people, previous);
  // Where the version's META says the write stopped (a retried continuation resumes from its own start).
  const from = record.writeNext ?? request.resume!.from;
  const write = await writeWithin(deps, version, assignments, from);
  if (!write.complete) return continueLater(deps, request, owner, heartbeat, version, write.next, assignments.length);
  heartbeat.assertHeld();
  const run = await deps.segments.getRun(request.datasetId);
  return finishRun(deps, request, owner, run?.reasons ?? [], record.model, assignments, !!previous, pending.written, { trainMs: pending.trainMs, writeAssignmentsMs: write.durationMs, totalTrainMs: Date.now() - t0 });
}

/** Every assignment is written: activate (unless newer data is active), announce it, close the run. */
async function finishRun(
  deps: TrainDeps,
  request: TrainRequest,
  owner: string,
  reasons: string[],
  model: SegmentModel,
  assignments: CustomerAssignment[],
  compared: boolean,
  written: PendingWrite['written'],
  timings: Record<string, number>,
): Promise<TrainOutcome> {
  const { datasetId } = request;
  let pointer;
  try {
    pointer = await deps.segments.activateModel(model.version, { ifNotOlder: true });
  } catch (err) {
    if (!(err instanceof StaleModelError)) throw err;
    // A dataset with newer data was activated while this one trained: keep it, but do not go back in time.
    await deps.segments.updateRun(datasetId, 'superseded', { modelVersion: model.version, reasons: [err.message], ifOwner: owner, lease: 'release' });
    deps.log.warn('model not activated: newer data is active', { datasetId, version: model.version, activeVersion: err.activeVersion });
    return { datasetId, version: model.version, previousVersion: err.activeVersion, k: model.k, customers: model.customers, status: 'superseded' };
  }
  const eventError = await publishActivation(deps, {
    datasetId,
    model,
    pointer,
    artifactsBucket: deps.artifacts.bucket,
    tableName: deps.tableName ?? '',
    changes: compared ? segmentChanges(assignments) : null,
    written,
  });
  await deps.segments.updateRun(datasetId, 'succeeded', {
    modelVersion: model.version,
    ...(eventError ? { reasons: [...reasons, eventError] } : {}),
    counts: { assignments: assignments.length, assignmentsWritten: assignments.length, k: model.k },
    timings,
    ifOwner: owner,
    lease: 'release',
  });
  if (pointer.previousVersion) await markSuperseded(deps, pointer.previousVersion);
  deps.log.info('model activated', { datasetId, version: model.version, previousVersion: pointer.previousVersion, k: model.k, customers: model.customers, people: model.people });
  return { datasetId, version: model.version, previousVersion: pointer.previousVersion, k: model.k, customers: model.customers, status: 'activated' };
}

/** The draft of an attempt that crashed (never activatable: its assignment count was never completed); best effort. */
async function dropAbandonedDraft(deps: TrainDeps, datasetId: string, version: string): Promise<void> {
  try {
    const record = await deps.segments.getModel(version);
    if (record?.status !== 'writing') return;
    const deleted = await deps.segments.deleteModelVersion(version);
    deps.log.info('abandoned draft deleted', { datasetId, version, assignments: deleted.deletedAssignments });
  } catch (err) {
    deps.log.warn('abandoned draft not deleted (it stays inactive)', { datasetId, version, error: describe(err) });
  }
}

/**
 * Everyone's assignment: the clustered customers, then the people of the rule segments. Features are the person's
 * own values (NaN where undefined: no review, or nothing delivered; the store leaves those out of the item). Each
 * carries why they are there (core/model/explain.ts): `why` is the pass over the clustered rows, computed here when
 * the caller has not already done it.
 */
export function toAssignments(result: AssignedPeople, previousSegments?: ReadonlyMap<string, number>, why: PeopleWhy = explainPeople(result.model, result.features, result.labels)): CustomerAssignment[] {
  const { model, features, labels, ruleLabels } = result;
  const names = new Map(model.segments.map((s) => [s.id, s.name]));
  const d = FEATURE_NAMES.length;
  const u = features.uncounted;
  const out: CustomerAssignment[] = new Array(labels.length + ruleLabels.length);
  const add = (at: number, id: string, segmentId: number, values: Float64Array, row: number, reasons: AssignmentWhy) => {
    const f = {} as FeatureVector;
    for (let j = 0; j < d; j++) f[FEATURE_NAMES[j]] = Math.round(values[row * d + j] * 1e4) / 1e4;
    const previous = previousSegments?.get(id);
    out[at] = { customerId: id, segmentId, segmentName: names.get(segmentId)!, features: f, ...reasons, ...(previous === undefined ? {} : { previousSegmentId: previous }) };
  };
  for (let i = 0; i < labels.length; i++) add(i, features.customerIds[i], labels[i], features.values.data, i, clusterWhy(why, i));
  for (let i = 0; i < ruleLabels.length; i++) add(labels.length + i, u.customerIds[i], ruleLabels[i], u.values.data, i, ruleWhy(u.group[i], u.promiseDays?.[i]));
  return out;
}

async function readOptionalJson<T>(store: BlobStore, key: string): Promise<T | undefined> {
  return (await store.exists(key)) ? store.getJson<T>(key) : undefined;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
  return Buffer.concat(chunks);
}
