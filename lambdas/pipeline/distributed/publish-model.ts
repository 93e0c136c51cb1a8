/**
 * Everything a single training writes beside a model, for a model of the distributed path, then its activation:
 * exact sizes from the writers' counts, model.json, summary.json, segments.json, distribution.json, assignments.csv,
 * transitions.json, the campaign lists (exports/<version>/), the report pages, the dataset facts and
 * features/latest.json (what the weekly check reads).
 */
import { project2dOnto } from '../../core/cluster/pca';
import { assignFeatures } from '../../core/model/assign';
import { buildSummaryFromFeatures } from '../../core/model/summary';
import { mergeBorderline } from '../../core/model/explain';
import type { TrainResult } from '../../core/model/train';
import type { SegmentModel } from '../../core/domain/types';
import { readProvenance } from '../../core/olist/provenance';
import { loadWarnings } from '../../core/olist/warnings';
import { buildReports, sampleMap, type StabilityInput } from '../../core/report';
import { mergeExploration, mergeIssues, mergeTableReports, type WholeTables } from '../../core/report/explorationMerge';
import { summarizeDistribution } from '../../core/stability/drift';
import type { ActivePointer } from '../../store/segment-store';
import { StaleModelError } from '../../store/errors';
import type { ActivationFacts } from '../activation-event';
import { artifactKeys } from '../datasets';
import type { DatasetFacts } from '../ingest';
import { expectObjects, runKeys, type PublishDeps } from './common';
import { readSample, readState, type PartitionStats, type SampleTraining } from './fit-steps';
import { joinAssignmentParts, mergeMoves, transitionsOfMoves } from './model-files';
import { joinCampaignLists } from './campaign-lists';
import { campaignListsLink } from '../exports';
import type { Plan, PlanDetails } from './plan';
import type { DraftRecord, ModelRef, WrittenPart } from './publish-steps';
import { TABLE_FILES } from '../../core/distributed/shuffle';

/** The model with the sizes every writer counted (the draft's cluster sizes were estimated from the sample). */
export function withExactSizes(model: SegmentModel, segmentCounts: Record<string, number>): SegmentModel {
  return { ...model, segments: model.segments.map((s) => ({ ...s, size: segmentCounts[s.id] ?? 0, share: (segmentCounts[s.id] ?? 0) / Math.max(1, model.people) })) };
}

export interface Published {
  model: SegmentModel;
  /** undefined: not activated, a model of newer data is active. */
  pointer?: ActivePointer;
  totals: { written: number; segmentCounts: Record<string, number>; borderlineCounts: Record<string, number> };
  changes: ActivationFacts['changes'];
  written: ActivationFacts['written'];
  /** People left out because they are on the suppression list (summed over the partitions). */
  suppressed: number;
}

async function optionalJson<T>(deps: PublishDeps, key: string): Promise<T | undefined> {
  return (await deps.artifacts.exists(key)) ? deps.artifacts.getJson<T>(key) : undefined;
}

export async function publishModel(deps: PublishDeps, plan: Plan, ref: ModelRef): Promise<Published> {
  const keys = runKeys(plan.work);
  const parts = await Promise.all((await expectObjects(deps.artifacts, `${plan.work}written/`, plan.partitions, 'written assignments')).map((k) => deps.artifacts.getJson<WrittenPart>(k)));
  const borderline = mergeBorderline(parts.map((p) => p.borderline));
  const totals = { written: 0, segmentCounts: {} as Record<string, number>, borderlineCounts: {} as Record<string, number> };
  for (const w of parts) {
    totals.written += w.written;
    for (const [s, n] of Object.entries(w.segmentCounts)) totals.segmentCounts[s] = (totals.segmentCounts[s] ?? 0) + n;
  }
  // As META records after a single write: only segments with borderline people (what GSI2 must then hold).
  for (const s of borderline?.segments ?? []) if (s.borderline) totals.borderlineCounts[s.id] = s.borderline;
  const draft = await deps.artifacts.getJson<DraftRecord>(keys.draft);
  if (draft.model.version !== ref.version) throw new Error(`run ${plan.runId}: drafted model ${draft.model.version} is not ${ref.version}`);
  if (totals.written !== draft.model.people) throw new Error(`run ${plan.runId}: ${totals.written} assignments written for ${draft.model.people} people`);
  const model = withExactSizes(draft.model, totals.segmentCounts);
  // Re-drafting stores the exact sizes (and resets the counters); completing records every part's count at once.
  await deps.segments.putModelDraft(model, { runId: plan.datasetId });
  await deps.segments.completeAssignmentParts(model.version, totals);

  const details = await deps.artifacts.getJson<PlanDetails>(keys.plan);
  const training = await deps.artifacts.getJson<SampleTraining>(keys.train);
  const state = await readState(deps, plan);
  const stats = await Promise.all((await expectObjects(deps.artifacts, `${plan.work}stats/`, plan.partitions, 'partition statistics')).map((k) => deps.artifacts.getJson<PartitionStats>(k)));
  const bStats = await Promise.all((await expectObjects(deps.artifacts, `${plan.work}b/stats/`, plan.buckets, 'join statistics')).map((k) => deps.artifacts.getJson<{ orphans: Record<string, number> }>(k)));
  const orphan = (file: string) => bStats.reduce((a, b) => a + (b.orphans[file] ?? 0), 0);
  const whole: WholeTables = {
    bytes: details.tableBytes,
    broadcast: new Set([TABLE_FILES.products, TABLE_FILES.categoryTranslation]),
    orphans: { orphanItems: orphan(TABLE_FILES.items), orphanPayments: orphan(TABLE_FILES.payments), orphanReviews: orphan(TABLE_FILES.reviews) },
  };
  const exploration = mergeExploration(
    stats.map((s) => s.exploration).filter((e): e is NonNullable<typeof e> => !!e),
    whole,
  );
  const tables = mergeTableReports(
    stats.map((s) => s.tables),
    whole,
  );
  const loadIssues = mergeIssues(
    stats.map((s) => s.issues),
    whole.orphans,
  );
  const sidecars = await deps.artifacts.getJson<Record<string, string>>(keys.sidecars);
  const provenance = await readProvenance(async (file) => sidecars[file], tables.find((t) => t.table === 'reviews')?.rows ?? 0);
  // Everyone of the export, as ingest counts them: the people on the suppression list too (they are in the export).
  const suppressed = stats.reduce((n, s) => n + (s.suppressed ?? 0), 0);
  const facts: DatasetFacts = { exploration, customersInExport: model.people + suppressed, orders: exploration.counts.orders, tables, loadIssues, ...(provenance ? { provenance } : {}) };

  // The sample (the rows the model was described on), its labels and map coordinates.
  const { sample } = await readSample(deps, plan, training.asOf);
  const assigned = assignFeatures(model, sample);
  const coords = project2dOnto(assigned.X, training.pca);
  const result = {
    model,
    features: sample,
    sweep: training.sweep,
    choice: training.choice,
    alternatives: training.alternatives,
    baseline: training.baseline,
    initStability: training.initStability,
    modelStability: training.modelStability,
    coverage: draft.coverage,
    thresholds: training.thresholds,
    sweepSample: { customers: training.sampleCustomers, of: state.customers },
    labels: assigned.labels,
  } as unknown as TrainResult;
  // Counts and borderline people are everyone's (summed over the partitions), not the sample's.
  const summary = buildSummaryFromFeatures(result, { timings: training.timings, pca: { explainedVariance: training.pca.explainedVariance }, counts: training.counts, borderline });
  summary.counts.customersInExport = facts.customersInExport;
  summary.counts.orders = facts.orders;
  summary.tables = tables;
  summary.loadIssues = loadIssues;
  summary.warnings = loadWarnings(tables, loadIssues);

  const moves = parts.every((p) => p.moves) && draft.match ? transitionsOfMoves(mergeMoves(parts.map((p) => p.moves!))) : undefined;
  const a = artifactKeys;
  await deps.artifacts.putJson(a.model(model.version), model);
  await deps.artifacts.putJson(a.summary(model.version), summary);
  await deps.artifacts.putJson(a.segments(model.version), { modelVersion: model.version, segments: model.segments });
  await deps.artifacts.putJson(a.distribution(model.version), summarizeDistribution(assigned.imputed, { asOf: model.asOf, modelVersion: model.version }));
  await joinAssignmentParts(deps.artifacts, a.assignments(model.version), await expectObjects(deps.artifacts, `${plan.work}assignments/`, plan.partitions, 'assignments.csv parts'));
  // The campaign lists before the activation (as a single training): complete once readers and the event see the version.
  const exported = await joinCampaignLists(deps.artifacts, model, campaignParts(parts, keys), totals.segmentCounts);
  if (moves && draft.match) {
    await deps.artifacts.putJson(a.transitions(model.version), { previousVersion: draft.match.previousVersion, version: model.version, matches: draft.match.matches, retired: draft.match.retired, transitions: moves });
  }
  const stability = await optionalJson<StabilityInput>(deps, a.stabilitySimulation());
  const pages = await buildReports({
    exploration,
    summary,
    map: sampleMap(coords, assigned.labels, 3000, 1),
    stability,
    stabilitySource: stability ? a.stabilitySimulation() : undefined,
    provenance,
    campaignLists: campaignListsLink(model.version),
  });
  for (const [file, html] of Object.entries(pages)) await deps.artifacts.putText(a.reports(model.version) + file, html, { contentType: 'text/html; charset=utf-8' });
  await deps.artifacts.putJson(a.datasetFacts(plan.datasetId), facts);
  // The weekly check reads the latest dataset (its raw tables); there is no features.bin of the whole export.
  await deps.artifacts.putJson(a.latestFeatures(), { datasetId: plan.datasetId, featuresKey: null, path: 'distributed', asOf: model.asOf, writtenAt: new Date().toISOString() });

  const changes = parts.every((p) => p.changes) && draft.match ? parts.reduce((acc, p) => ({ changed: acc.changed + p.changes!.changed, new: acc.new + p.changes!.new }), { changed: 0, new: 0 }) : null;
  const written = { summary: true, transitions: !!moves, reports: true, exports: exported.key };
  let pointer: ActivePointer | undefined;
  try {
    pointer = await deps.segments.activateModel(model.version, { ifNotOlder: true });
  } catch (err) {
    if (!(err instanceof StaleModelError)) throw err;
    deps.log.warn('model not activated: newer data is active', { runId: plan.runId, version: model.version, activeVersion: err.activeVersion });
  }
  return { model, pointer, totals, changes, written, suppressed };
}

/** Segment id -> keys of its campaign list parts, from what each writer recorded (in partition order). */
function campaignParts(parts: readonly WrittenPart[], keys: ReturnType<typeof runKeys>): Map<number, string[]> {
  const out = new Map<number, string[]>();
  parts.forEach((part, p) => {
    if (!part.campaignRows) throw new Error(`partition ${p} was written without its campaign list parts (a run started before they existed): start the run again`);
    for (const [id, rows] of Object.entries(part.campaignRows)) {
      const segmentId = Number(id);
      if (rows > 0) out.set(segmentId, [...(out.get(segmentId) ?? []), keys.campaignPart(segmentId, p)]);
    }
  });
  return out;
}
