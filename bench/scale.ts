/**
 * The scale benchmark's unit of work: what the two Lambdas compute on a data drop, stage by stage, with the
 * process's peak memory. `ingest` does what lambdas/pipeline/ingest.ts does (load and check the tables, the
 * features and their binary hand-off, the exploration facts); `train` does what lambdas/pipeline/train.ts does
 * (decode the features, trainOnFeatures, PCA, summary and training distribution, assignments.csv, the HTML
 * reports, the assignment items for the table). Each phase runs in its own process (`segments bench-scale-worker`)
 * as each runs in its own Lambda, so its peak RSS is its own and can be set against that function's memory.
 *
 * Left out on purpose: S3 and DynamoDB I/O. The blobs are written to a local folder (the hand-off) or only
 * serialised (the JSON and HTML objects, whose bytes are counted), assignments.csv is produced and counted but
 * not uploaded, and the DynamoDB write of the items is measured separately (its rate, not its compute).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fitPca } from '../lambdas/core/cluster/pca';
import { computeFeatures, effectiveEnd } from '../lambdas/core/features/customerFeatures';
import { decodeFeatures, encodeFeatures } from '../lambdas/core/features/serialize';
import { assignmentsCsv } from '../lambdas/core/model/assignmentsCsv';
import { buildSummaryFromFeatures } from '../lambdas/core/model/summary';
import { trainOnFeatures } from '../lambdas/core/model/train';
import { loadOlist } from '../lambdas/core/olist/load';
import { directorySource } from '../lambdas/core/olist/source';
import { buildReports, sampleMap } from '../lambdas/core/report';
import { summarizeDistribution } from '../lambdas/core/stability/drift';
import { datasetFacts, type DatasetFacts } from '../lambdas/pipeline/ingest';
import { toAssignments } from '../lambdas/pipeline/train';

export type ScalePhase = 'ingest' | 'train';

export interface StageMeasure {
  stage: string;
  seconds: number;
  /** CPU seconds (user + system, all threads) of the stage: on a busy shared machine, the figure that load does not inflate. */
  cpuSeconds: number;
  /** Resident set size when the stage ended, and the process's high-water mark so far (MB). */
  rssMb: number;
  maxRssMb: number;
}

export interface PhaseResult {
  phase: ScalePhase;
  stages: StageMeasure[];
  seconds: number;
  cpuSeconds: number;
  /** Peak resident set size of the process (MB): what the Lambda's memory setting must cover. */
  peakMb: number;
  /** What was computed, to check that runs at different sizes did the same work. */
  facts: Record<string, number | string | boolean>;
}

const FEATURES_FILE = 'features.bin';
const FACTS_FILE = 'facts.json';
const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
const maxRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);
const cpuNow = () => {
  const u = process.resourceUsage();
  return (u.userCPUTime + u.systemCPUTime) / 1e6;
};

function stageClock(onStage?: (m: StageMeasure) => void) {
  const stages: StageMeasure[] = [];
  const started = performance.now();
  const cpuStarted = cpuNow();
  let t = started;
  let cpu = cpuStarted;
  return {
    stages,
    lap(stage: string) {
      const now = performance.now();
      const cpuAt = cpuNow();
      const m = { stage, seconds: (now - t) / 1000, cpuSeconds: cpuAt - cpu, rssMb: mb(process.memoryUsage.rss()), maxRssMb: maxRssMb() };
      stages.push(m);
      onStage?.(m);
      t = now;
      cpu = cpuAt;
    },
    total: () => (performance.now() - started) / 1000,
    cpuTotal: () => cpuNow() - cpuStarted,
  };
}

/** The ingest function's work on an export folder; the hand-off (features, facts) goes to `handoffDir`. */
export async function ingestWork(dataDir: string, handoffDir: string, onStage?: (m: StageMeasure) => void): Promise<PhaseResult> {
  const clock = stageClock(onStage);
  const data = await loadOlist(directorySource(dataDir));
  clock.lap('load');
  const features = computeFeatures(data, effectiveEnd(data), { uncounted: true, everyone: true });
  const encoded = encodeFeatures(features, data.fingerprint);
  clock.lap('features');
  const facts = datasetFacts(data);
  clock.lap('exploration');
  await mkdir(handoffDir, { recursive: true });
  await writeFile(join(handoffDir, FEATURES_FILE), encoded);
  await writeFile(join(handoffDir, FACTS_FILE), JSON.stringify(facts));
  clock.lap('handoff');
  return {
    phase: 'ingest',
    stages: clock.stages,
    seconds: clock.total(),
    cpuSeconds: clock.cpuTotal(),
    peakMb: maxRssMb(),
    facts: { customersInExport: facts.customersInExport, orders: facts.orders, customers: features.values.rows, featuresMb: mb(encoded.length) },
  };
}

/** The train function's work on the hand-off of `ingestWork`. */
export async function trainWork(handoffDir: string, opts: { threads?: number | 'auto' } = {}, onStage?: (m: StageMeasure) => void): Promise<PhaseResult> {
  const clock = stageClock(onStage);
  const stored = decodeFeatures(await readFile(join(handoffDir, FEATURES_FILE)), FEATURES_FILE);
  const facts = JSON.parse(await readFile(join(handoffDir, FACTS_FILE), 'utf8')) as DatasetFacts;
  clock.lap('decode');
  const result = trainOnFeatures(stored.table, stored.fingerprint, { threads: opts.threads });
  clock.lap('train');
  const { model } = result;
  const pca = fitPca(result.X);
  const coords = pca.project2d(result.X);
  const summary = buildSummaryFromFeatures(result, { timings: { ...result.timings }, pca: { explainedVariance: pca.explainedVariance } });
  Object.assign(summary.counts, { customersInExport: facts.customersInExport, orders: facts.orders });
  Object.assign(summary, { tables: facts.tables, loadIssues: facts.loadIssues });
  // The JSON objects train.ts puts beside the model, serialised as putJson would.
  let jsonBytes = 0;
  for (const v of [model, summary, { modelVersion: model.version, segments: model.segments }, summarizeDistribution(result.imputed, { asOf: model.asOf, modelVersion: model.version })])
    jsonBytes += Buffer.byteLength(JSON.stringify(v));
  clock.lap('pca+summary');
  let csvBytes = 0;
  for (const chunk of assignmentsCsv(result, coords)) csvBytes += Buffer.byteLength(chunk);
  clock.lap('assignments csv');
  const pages = await buildReports({ exploration: facts.exploration, summary, map: sampleMap(coords, result.labels, 3000, 1) });
  const reportBytes = Object.values(pages).reduce((s, html) => s + Buffer.byteLength(html), 0);
  clock.lap('reports');
  const items = toAssignments(result);
  clock.lap('items');
  return {
    phase: 'train',
    stages: clock.stages,
    seconds: clock.total(),
    cpuSeconds: clock.cpuTotal(),
    peakMb: maxRssMb(),
    facts: {
      customers: model.customers,
      k: model.k,
      sweepSample: result.sweepSample?.customers ?? 'all',
      silhouette: Math.round(model.metrics.silhouette * 1e4) / 1e4,
      items: items.length,
      csvMb: mb(csvBytes),
      jsonKb: Math.round(jsonBytes / 1024),
      reportKb: Math.round(reportBytes / 1024),
      ...Object.fromEntries(Object.entries(result.timings).map(([k, v]) => [`train.${k}`, Math.round(v * 1000) / 1000])),
    },
  };
}
