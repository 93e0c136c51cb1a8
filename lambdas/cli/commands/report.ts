/**
 * `segments report`: the HTML reports (exploration, model trials, maintenance, segment cards, index).
 *
 * Loads the export and trains exactly as `segments run` does (or, with --model, takes the model of a `segments run`
 * output folder as it is, nothing retrained), then writes self-contained pages to
 * DIR/reports/ together with the summary.json (and stability.json, when there is one) whose numbers they
 * show. The update-frequency simulation is slow, so it only runs with --with-simulation; otherwise the
 * maintenance page uses --stability FILE, or DIR/stability.json left by `segments simulate --out DIR`,
 * and says plainly when there is none.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { simulateStability } from '../../core/stability/simulate';
import { buildReports, reportInput, StabilityInput } from '../../core/report';
import { parse } from '../args';
import { REPORT } from '../specs';
import { segmentExport, segmentExportArgs } from './run';
import { UsageError } from '../errors';
import { OutputDir } from '../output';
import { createProgress, Progress } from '../progress';
import { readRunOutputs } from '../runOutputs';
import { loadOlist } from '../../core/olist/load';
import { directorySource } from '../../core/olist/source';
import { directorySidecars, readProvenance, reviewRows } from '../../core/olist/provenance';

export async function reportCommand(argv: string[]): Promise<void> {
  const o = parse(argv, REPORT);
  if (o.stability && o['with-simulation']) throw new UsageError('--stability and --with-simulation exclude each other');
  if (o.stability && !existsSync(o.stability)) throw new UsageError(`--stability: no such file ${o.stability}`);
  if (o.model && (o.k !== undefined || o.seed !== undefined || o['as-of'] !== undefined)) throw new UsageError('--model reports on a model as it was trained: --k, --seed and --as-of do not apply');
  const { data: dataDir, outDir, k, seed, asOf, maxInvalidRows } = segmentExportArgs(o, REPORT.name);
  const progress = createProgress({ quiet: o.quiet || o.json });

  const started = performance.now();
  const { data, coords, labels, summary } = o.model ? await fromRun(o.model, dataDir, maxInvalidRows, progress) : await segmentExport(dataDir, { k, seed, asOf, silhouetteSample: 10_000 }, progress, { maxInvalidRows }).then((r) => ({ ...r, labels: r.result.labels }));
  const loadSeconds = summary.timings.load;

  let stability: StabilityInput | undefined;
  let stabilitySource: string | undefined;
  if (o['with-simulation']) {
    progress.stage('update-frequency simulation');
    const report = simulateStability(data, { k: summary.k, loadSeconds, onProgress: (stage, done, total) => progress.update(`simulation: ${stage}`, done, total, 'dates') });
    stability = report as unknown as StabilityInput;
    stabilitySource = 'the simulation run for this report (--with-simulation)';
  } else {
    const file = o.stability ?? join(outDir, 'stability.json');
    if (existsSync(file)) {
      stability = parseStability(await readFile(file, 'utf8'), file);
      stabilitySource = resolve(file);
    }
  }

  progress.stage('rendering the reports');
  const t = performance.now();
  const provenance = await readProvenance(directorySidecars(dataDir), reviewRows(data.tables));
  const files = await buildReports(reportInput({ data, summary, coords, labels, stability, stabilitySource, provenance }));
  const renderSeconds = (performance.now() - t) / 1000;

  const dir = join(outDir, 'reports');
  const out = await OutputDir.open(dir);
  let written: string[];
  try {
    for (const [name, html] of Object.entries(files)) await out.text(name, [html]);
    await out.json('summary.json', summary);
    if (stability) await out.json('stability.json', stability);
    written = await out.commit();
  } catch (err) {
    await out.abort();
    throw err;
  }
  progress.done();
  const pages = written.filter((f) => f.endsWith('.html')).map((f) => resolve(f));
  const total = (performance.now() - started) / 1000;
  if (o.json) {
    process.stdout.write(JSON.stringify({ dir: resolve(dir), pages, summary: resolve(dir, 'summary.json'), stability: stability ? resolve(dir, 'stability.json') : null, stabilitySource: stabilitySource ?? null, seconds: { total: round1(total), render: round1(renderSeconds) } }, null, 2) + '\n');
  } else if (!o.quiet) {
    process.stdout.write(describeReports(pages, summary.k, summary.customers, stabilitySource, total) + '\n');
  }
}

/** The model of a `segments run` output folder, with the export it was trained on (checked by its fingerprint). */
async function fromRun(path: string, dataDir: string, maxInvalidRows: number | undefined, progress: Progress) {
  const run = await readRunOutputs(path);
  const t = performance.now();
  const data = await loadOlist(directorySource(dataDir), { maxInvalidRows, onProgress: (table, b, total) => progress.update(`reading ${table}`, b, total) });
  if (run.dataFingerprint && data.fingerprint !== run.dataFingerprint)
    throw new UsageError(`--model ${run.dir} was trained on other data than --data ${dataDir} (data fingerprints differ); give the export it was trained on, or label new data with \`segments assign\``);
  const summary = { ...run.summary, timings: { ...run.summary.timings, load: (performance.now() - t) / 1000 } };
  return { data, coords: run.coords, labels: run.labels, summary };
}

export function describeReports(pages: string[], k: number, customers: number, stabilitySource: string | undefined, seconds: number): string {
  return [
    `Reports for ${customers.toLocaleString('en-US')} customers in ${k} segments (${seconds.toFixed(1)} s):`,
    ...pages.map((p) => `  file://${p}`),
    stabilitySource ? `Maintenance page from ${stabilitySource}.` : 'No update-frequency simulation: the maintenance page says so (run `segments simulate --out DIR` first, or add --with-simulation).',
  ].join('\n');
}

/** stability.json as written by `segments simulate`, checked for the fields the maintenance page needs. */
export function parseStability(text: string, file: string): StabilityInput {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file}: not JSON (${(err as Error).message})`);
  }
  const s = v as Partial<StabilityInput>;
  const problems: string[] = [];
  if (typeof s?.threshold !== 'number') problems.push('threshold');
  if (!Array.isArray(s?.points) || !s.points.every((p) => typeof p?.days === 'number' && typeof p?.ariMedian === 'number')) problems.push('points[].days/ariMedian');
  if (typeof s?.recommendation?.everyDays !== 'number') problems.push('recommendation.everyDays');
  if (problems.length) throw new UsageError(`${file}: not a stability.json from \`segments simulate\` (missing ${problems.join(', ')})`);
  return s as StabilityInput;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
