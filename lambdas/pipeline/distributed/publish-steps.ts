/**
 * The distributed path's last steps, the only ones with table access: draft the model (described by the same core
 * function as a single training, on the run's sample, with the ids of the previous model kept), write every person's
 * assignment partition by partition under the write budget (resumable: a writer near its time limit stops and is
 * invoked again from where it stopped) with its parts of assignments.csv and of the campaign lists, then the model's
 * files and lists, the activation (the replaced version's per-customer files tagged for expiry), the event and the run
 * record.
 */
import { project2dOnto } from '../../core/cluster/pca';
import { nearest } from '../../core/distributed/lloyd';
import { PREVIOUS_HEADER } from '../../core/distributed/shuffle';
import { assignFeatures, MODEL_SCHEMA_VERSION } from '../../core/model/assign';
import { featureSpace } from '../../core/features/transforms';
import { describeFit } from '../../core/model/describe';
import { borderlineSummary, explainPeople, meanCoordinates, type BorderlineSummary } from '../../core/model/explain';
import type { SegmentModel } from '../../core/domain/types';
import { membersOf, populationStats } from '../../core/segments/profile';
import { RULE_SEGMENT_IDS } from '../../core/segments/ruleSegments';
import { SERVICE_GROUPS } from '../../core/features/customerFeatures';
import { matchSegments, type SegmentMatch } from '../../core/stability/matching';
import { publishActivation, segmentChanges } from '../activation-event';
import { artifactKeys } from '../datasets';
import { toAssignments } from '../train';
import { describe } from '../ingest';
import { keyedNumbers, runKeys, texts, type PublishDeps } from './common';
import { readFeatures, readSample, readState, type LoopState, type SampleTraining } from './fit-steps';
import { writeAssignmentsPart, movesOf, type MovesPart } from './model-files';
import { writeCampaignParts } from './campaign-lists';
import { markSuperseded } from '../exports';
import { DEFAULTS, type Plan } from './plan';
import { publishModel } from './publish-model';
import { METRIC_NAMES } from '../../contract/metrics';

export interface ModelRef {
  version: string;
  iteration: number;
}

/** The drafted model and how its segments continue the previous model's (work/<run>/model/draft.json). */
export interface DraftRecord {
  model: SegmentModel;
  match: { previousVersion: string; matches: SegmentMatch[]; retired: { id: number; name: string }[] } | null;
  coverage: ReturnType<typeof describeFit>['coverage'];
}

export async function draftStep(deps: PublishDeps, plan: Plan, loop: LoopState): Promise<ModelRef> {
  const keys = runKeys(plan.work);
  const state = await readState(deps, plan);
  const training = await deps.artifacts.getJson<SampleTraining>(keys.train);
  const centroids = Float64Array.from(await deps.artifacts.getJson<number[]>(keys.centroids(loop.iteration)));
  const { sample } = await readSample(deps, plan, training.asOf);
  const { imputed, X } = featureSpace(sample.values, state);
  const labels = nearest(X, centroids, state.k);
  // Cluster sizes are estimated from the sample until the writers have counted them; rule segment sizes are exact.
  const clusterSizes = membersOf(labels, state.k).map((m) => Math.round((m.length / Math.max(1, sample.values.rows)) * state.customers));
  const ruleSizes = Object.fromEntries(SERVICE_GROUPS.map((g) => [RULE_SEGMENT_IDS[g], training.counts.peopleInRuleSegments[g] ?? 0]));
  const described = describeFit({
    fit: { k: state.k, centroids, labels },
    raw: sample.values,
    imputed,
    uncounted: sample.uncounted,
    pop: populationStats(imputed),
    thresholds: training.thresholds,
    metrics: { ...training.model.metrics, inertia: loop.inertia ?? training.model.metrics.inertia },
    transforms: state.transforms,
    reviewImputation: state.reviewImputation,
    identity: { fingerprint: plan.fingerprint, seed: plan.seed, nInit: deps.trainOptions?.nInit ?? DEFAULTS.nInit, asOf: training.asOf, createdAt: plan.createdAt },
    exact: { clusterSizes, ruleSizes, customers: state.customers, people: state.people },
  });
  // What each customer's reasons are measured against (model/explain.ts): the sample's mean coordinates.
  let model: SegmentModel = { ...described.model, populationMeanCoordinates: meanCoordinates(X) };
  let match: DraftRecord['match'] = null;
  const previous = plan.previousVersion ? (await deps.segments.getModel(plan.previousVersion))?.model : undefined;
  // As the single path (reconcile.ts): a model of an earlier schema lives in another space, no carry-over.
  if (previous && (previous.schemaVersion as number) === MODEL_SCHEMA_VERSION) {
    const m = matchSegments(previous, model);
    model = m.model;
    match = { previousVersion: previous.version, matches: m.matches, retired: m.retired };
  }
  await deps.artifacts.putJson(keys.draft, { model, match, coverage: described.coverage } satisfies DraftRecord);
  await deps.segments.putModelDraft(model, { runId: plan.datasetId });
  if (plan.lease) await deps.segments.updateRun(plan.datasetId, 'training', { modelVersion: model.version, ifOwner: plan.lease });
  deps.log.info('distributed model drafted', { runId: plan.runId, version: model.version, k: model.k, previousVersion: match?.previousVersion });
  return { version: model.version, iteration: loop.iteration };
}

/** What a writer recorded once its partition was complete (work/<run>/written/p-<p>.json). */
export interface WrittenPart {
  written: number;
  segmentCounts: Record<string, number>;
  /** The partition's borderline people per segment and their runner-ups (summed at activation). */
  borderline: BorderlineSummary;
  /** Rows of each segment's campaign list part (segment id -> rows; absent in runs written before the lists). */
  campaignRows?: Record<string, number>;
  /** Moves from the previous model (null without one). */
  moves: MovesPart | null;
  changes: { changed: number; new: number } | null;
}

export type WriteOutcome = { p: number; done: true; written: number } | { p: number; done: false; next: number };

/**
 * One partition's assignments, from `from` (0, or where an earlier invocation stopped). Stops before the function's
 * time limit (remainingMs < stopMarginMs) and returns where: the state machine invokes it again from there. Once
 * complete, writes the partition's part of assignments.csv and its counts.
 */
export async function writePartitionStep(deps: PublishDeps, plan: Plan, ref: ModelRef, p: number, from = 0): Promise<WriteOutcome> {
  const keys = runKeys(plan.work);
  const { model } = await deps.artifacts.getJson<DraftRecord>(keys.draft);
  if (model.version !== ref.version) throw new Error(`run ${plan.runId}: drafted model ${model.version} is not ${ref.version}`);
  const table = await readFeatures(deps, plan, p);
  const assigned = assignFeatures(model, table);
  const previous = plan.previousVersion ? keyedNumbers(await texts(deps.artifacts, `${keys.partPrefix(p)}previous/`), PREVIOUS_HEADER) : undefined;
  const people = { model, features: table, labels: assigned.labels, ruleLabels: assigned.ruleLabels };
  // Why each person is there, in the pass that writes them; the partition's borderline counts go with its part.
  const why = explainPeople(model, table, assigned.labels);
  const assignments = toAssignments(people, previous, why);
  const margin = deps.stopMarginMs ?? 60_000;
  const res = await deps.segments.writeAssignmentPart(ref.version, assignments, {
    from,
    itemsPerSecond: deps.writeRatePerWriter,
    concurrency: deps.writeConcurrency,
    shouldStop: deps.remainingMs ? () => deps.remainingMs!() < margin : undefined,
  });
  if (!res.complete) {
    deps.log.info('partition write stopped before the time limit; continuing', { runId: plan.runId, p, from, next: res.next, of: assignments.length });
    return { p, done: false, next: res.next };
  }
  const training = await deps.artifacts.getJson<SampleTraining>(keys.train);
  await writeAssignmentsPart(deps.artifacts, keys.assignmentsPart(p), people, project2dOnto(assigned.X, training.pca));
  const campaignRows = await writeCampaignParts(deps.artifacts, (segmentId) => keys.campaignPart(segmentId, p), model, assignments);
  const ids = [...table.customerIds, ...table.uncounted.customerIds];
  const segments = [...assigned.labels, ...assigned.ruleLabels];
  const part: WrittenPart = {
    written: assignments.length,
    segmentCounts: res.segmentCounts,
    borderline: borderlineSummary(model, why, assigned.labels),
    campaignRows,
    moves: previous ? movesOf(ids, segments, previous) : null,
    changes: previous ? segmentChanges(assignments) : null,
  };
  await deps.artifacts.putJson(keys.written(p), part);
  return { p, done: true, written: assignments.length };
}

export interface ActivateOutcome {
  version: string;
  previousVersion?: string;
  customers: number;
  people: number;
  k: number;
  status: 'activated' | 'superseded';
}

export async function activateStep(deps: PublishDeps, plan: Plan, ref: ModelRef): Promise<ActivateOutcome> {
  const { model, pointer, totals, changes, written, suppressed } = await publishModel(deps, plan, ref);
  if (!pointer) {
    if (plan.lease) await deps.segments.updateRun(plan.datasetId, 'superseded', { modelVersion: model.version, reasons: ['a model of newer data is active'], ifOwner: plan.lease, lease: 'release' });
    return { version: model.version, customers: model.customers, people: model.people, k: model.k, status: 'superseded' };
  }
  const eventError = await publishActivation(deps, { datasetId: plan.datasetId, model, pointer, artifactsBucket: deps.artifacts.bucket, tableName: deps.tableName ?? '', changes, written });
  if (plan.lease) {
    await deps.segments.updateRun(plan.datasetId, 'succeeded', {
      modelVersion: model.version,
      ...(eventError ? { reasons: [eventError] } : {}),
      counts: { assignments: totals.written, k: model.k, suppressed },
      ifOwner: plan.lease,
      lease: 'release',
    });
  }
  if (pointer.previousVersion) await markSuperseded(deps, pointer.previousVersion);
  deps.log.info('distributed model activated', { runId: plan.runId, version: model.version, previousVersion: pointer.previousVersion, customers: model.customers, people: model.people });
  return { version: model.version, previousVersion: pointer.previousVersion, customers: model.customers, people: model.people, k: model.k, status: 'activated' };
}

/** The execution's end (EventBridge "Step Functions Execution Status Change"), for a run that failed, timed out or was aborted. */
export interface ExecutionEnded {
  status: string;
  name?: string;
  executionArn?: string;
  /** The execution's input, as a JSON string. */
  input?: string | null;
  error?: string | null;
  cause?: string | null;
}

/**
 * A run that ended without its failure step (a timeout, an abort, a runtime error no Catch handles): recorded as the
 * failure step records one. A run already recorded as failed (by the Catch) is left as it is.
 */
export async function endedStep(deps: PublishDeps, execution: ExecutionEnded): Promise<{ datasetId?: string; status: string; recorded: boolean }> {
  let input: { datasetId?: string; lease?: string } = {};
  try {
    input = JSON.parse(execution?.input ?? '{}') as typeof input;
  } catch {
    deps.log.warn('execution input is not JSON', { execution: execution?.name });
  }
  if (input.datasetId && input.lease && (await deps.segments.getRun(input.datasetId))?.status !== 'training') return { datasetId: input.datasetId, status: execution.status, recorded: false };
  const error = { Error: execution?.error ?? `States.${execution?.status ?? 'Failed'}`, Cause: execution?.cause ?? `the execution ${execution?.name ?? ''} ended ${String(execution?.status).toLowerCase()}` };
  await failStep(deps, input, error);
  return { datasetId: input.datasetId, status: execution.status, recorded: true };
}

/** The state machine's Catch: the run record and the error report say why the run failed (then the execution fails). */
export async function failStep(deps: PublishDeps, input: { datasetId?: string; lease?: string }, error: { Error?: string; Cause?: string } | undefined): Promise<{ datasetId?: string; status: 'failed'; reason: string }> {
  const reason = `distributed run failed: ${error?.Error ?? 'error'}: ${error?.Cause ?? 'no cause given'}`;
  deps.log.error('distributed run failed', { datasetId: input?.datasetId, error });
  deps.log.metric(METRIC_NAMES.failedRuns, 1);
  if (!input?.datasetId) return { status: 'failed', reason };
  await Promise.allSettled([
    deps.artifacts.putJson(artifactKeys.error(input.datasetId), { datasetId: input.datasetId, status: 'failed', reasons: [reason], at: new Date().toISOString() }),
    // A manual start (no lease) has no run record of its own to update.
    ...(input.lease ? [deps.segments.updateRun(input.datasetId, 'failed', { reasons: [reason], ifOwner: input.lease, lease: 'release' })] : []),
  ]).then((r) => r.forEach((x) => x.status === 'rejected' && deps.log.warn('failure not recorded', { datasetId: input.datasetId, error: describe(x.reason) })));
  return { datasetId: input.datasetId, status: 'failed', reason };
}
