/** `segments run`: the whole segmentation on an export folder, written to --out. */
import { fitPca } from '../../core/cluster/pca';
import { loadOlist } from '../../core/olist/load';
import { directorySource } from '../../core/olist/source';
import { assignmentsCsv } from '../../core/model/assignmentsCsv';
import { buildSummary, RunSummary } from '../../core/model/summary';
import { trainSegmentation, TrainOptions, TrainResult } from '../../core/model/train';
import { LoadOptions, OlistData } from '../../core/olist/load';
import { dataDirOption, dateOption, intOption, parse, required } from '../args';
import { RUN } from '../specs';
import { directorySidecars, readProvenance, reviewRows, type DatasetProvenance } from '../../core/olist/provenance';
import { OutputDir } from '../output';
import { createProgress, Progress } from '../progress';
import { fmt, renderTable } from '../table';

/** The checked values of the options every command that segments an export folder shares (run, report). */
export function segmentExportArgs(o: { data?: string; out?: string; k?: string; 'as-of'?: string; seed?: string; 'max-invalid-rows'?: string }, command: string) {
  // Every option is checked before the folder is looked at, so that a typo is reported first.
  required(o.data, '--data', command);
  const outDir = required(o.out, '--out', command);
  const checked = {
    k: intOption(o.k, '--k', 2, 20),
    seed: intOption(o.seed, '--seed', 0, 2 ** 32 - 1),
    asOf: dateOption(o['as-of'], '--as-of'),
    /** Row tolerance per file (default 0: the first invalid row rejects the file). */
    maxInvalidRows: intOption(o['max-invalid-rows'], '--max-invalid-rows', 0),
  };
  return { ...checked, outDir, data: dataDirOption(o.data, '--data', command) };
}

export async function runCommand(argv: string[]): Promise<void> {
  const o = parse(argv, RUN);
  const { data, outDir, k, seed, asOf, maxInvalidRows } = segmentExportArgs(o, RUN.name);
  const progress = createProgress({ quiet: o.quiet || o.json });
  const started = performance.now();
  const { data: loaded, result, coords, summary } = await segmentExport(data, { k, seed, asOf, silhouetteSample: o['full-silhouette'] ? Infinity : 10_000 }, progress, { maxInvalidRows });

  progress.stage('writing outputs');
  const t = performance.now();
  const out = await OutputDir.open(outDir);
  try {
    await out.json('model.json', result.model);
    await out.json('segments.json', { modelVersion: result.model.version, segments: result.model.segments });
    await out.text('assignments.csv', assignmentsCsv(result, coords));
    summary.timings.write = Math.round((performance.now() - t) / 10) / 100;
    summary.timings.total = Math.round((performance.now() - started) / 10) / 100;
    await out.json('summary.json', summary);
    await out.commit();
  } catch (err) {
    await out.abort();
    throw err;
  }
  progress.done();
  if (o.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  else if (!o.quiet) {
    const provenance = await readProvenance(directorySidecars(data), reviewRows(loaded.tables));
    process.stdout.write(describeRun(summary, outDir) + (provenance ? `\n${provenanceLine(provenance)}` : '') + '\n');
  }
}

export interface SegmentedExport {
  data: OlistData;
  result: TrainResult;
  /** PCA coordinates of every customer, interleaved (x0, y0, x1, y1, ...). */
  coords: Float64Array;
  summary: RunSummary;
}

/** Load, train and summarise an export folder: the work `run` and `report` share. */
export async function segmentExport(dataDir: string, opts: TrainOptions, progress: Progress, load: Pick<LoadOptions, 'maxInvalidRows'> = {}): Promise<SegmentedExport> {
  const started = performance.now();
  const data = await loadOlist(directorySource(dataDir), { ...load, onProgress: (t, b, total) => progress.update(`reading ${t}`, b, total) });
  const loadSeconds = (performance.now() - started) / 1000;
  progress.stage('computing features');
  const result = trainSegmentation(data, { ...opts, onProgress: (_stage, done, total) => progress.update('k-means sweep (k = 2..10, 10 initialisations each)', done, total, 'k') });
  progress.stage('PCA');
  const t = performance.now();
  const pca = fitPca(result.X);
  const coords = pca.project2d(result.X);
  const timings = { load: loadSeconds, ...result.timings, pca: (performance.now() - t) / 1000 };
  const summary = buildSummary(data, result, { timings, pca: { explainedVariance: pca.explainedVariance } });
  return { data, result, coords, summary };
}

/** The export's provenance in one line for the terminal (the reports say it at length). */
export function provenanceLine(p: DatasetProvenance): string {
  const parts = [
    ...(p.synthetic ? [`synthetic data (${p.synthetic.generator}), no real customer in it`] : []),
    ...(p.reviews && p.reviews.imputedShare > 0 ? [`${fmt.pct(p.reviews.imputedShare, 0)} of the review rows are imputed (only those in ${p.reviews.listedIn} are real): read satisfaction figures with care`] : []),
    ...(p.note ? [p.note] : []),
  ];
  return `About this data: ${parts.join('; ')}.`;
}

export function describeRun(s: RunSummary, outDir: string): string {
  const lines = [
    `Segmented ${fmt.int(s.people)} people as of ${s.asOf.slice(0, 10)}: ${fmt.int(s.customers)} customers with a delivered order clustered into ${s.k} segments, ${fmt.int(s.people - s.customers)} without one in rule-based segments (ids 100+)`,
    ...(s.warnings ?? []).map((w) => `Tolerated: ${w}`),
    `k = ${s.k}${s.kChoice ? ' (chosen by rule)' : ' (fixed)'}: silhouette ${fmt.num(s.metrics.silhouette, 3)}, Davies-Bouldin ${fmt.num(s.metrics.daviesBouldin, 3)}, Calinski-Harabasz ${fmt.int(s.metrics.calinskiHarabasz)}; best-of-10 fits with other seeds agree at ARI ${fmt.num(s.modelStability.ariMedian, 3)}; model ${s.modelVersion}`,
    `Coverage: ${fmt.pct(s.coverage.unhappyInUnsatisfied, 0)} of unhappy customers (mean review <= 2) in an unsatisfied segment, ${fmt.pct(s.coverage.repeatInRepeat, 0)} of repeat buyers in a repeat segment; recency explains ${fmt.pct(s.coverage.eta2.recency, 0)} of its variance across segments (spend ${fmt.pct(s.coverage.eta2.spend, 0)}, review ${fmt.pct(s.coverage.eta2.review, 0)})`,
    '',
    renderTable(
      ['id', 'segment', 'people', 'share', 'mean orders', 'median spend', 'mean review', 'late (mean)', 'mean recency'],
      s.segments.map((g) => [g.id, g.name, fmt.int(g.size), fmt.pct(g.share), fmt.num(g.profile.frequency), fmt.brl(g.median.monetary), fmt.num(g.profile.reviewScore), fmt.pct(g.profile.lateShare, 0), `${fmt.int(g.profile.recencyDays)} d`]),
      { maxWidth: [3, 48] },
    ),
    '',
    'Recommended actions:',
    ...s.segments.map((g) => `  ${g.id}. ${g.name}: ${g.action}`),
    '',
    `Outputs in ${outDir}: summary.json, model.json, segments.json, assignments.csv (${Object.entries(s.timings)
      .map(([k, v]) => `${k} ${v.toFixed(1)} s`)
      .join(', ')})`,
  ];
  return lines.join('\n');
}
