/** `segments simulate`: the update-frequency simulation over the data's time axis, written to stability.json. */
import { loadOlist } from '../../core/olist/load';
import { directorySource } from '../../core/olist/source';
import { StabilityReport, simulateStability } from '../../core/stability/simulate';
import { dataDirOption, dateOption, intOption, parse, required } from '../args';
import { SIMULATE } from '../specs';
import { UsageError } from '../errors';
import { OutputDir } from '../output';
import { createProgress } from '../progress';
import { fmt, renderTable } from '../table';

/** A duration such as 7d, 2w or 14 (days). */
export function durationOption(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const m = /^\s*(\d+)\s*([dw]?)\s*$/i.exec(value);
  const days = m ? Number(m[1]) * (m[2].toLowerCase() === 'w' ? 7 : 1) : NaN;
  if (!(days >= 1)) throw new UsageError(`${flag} expects a duration such as 7d or 52w, got "${value}"`);
  return days;
}

export function thresholdOption(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const x = Number(value);
  if (!(x > 0 && x <= 1)) throw new UsageError(`${flag} expects a number in (0, 1], got "${value}"`);
  return x;
}

export async function simulateCommand(argv: string[]): Promise<void> {
  const o = parse(argv, SIMULATE);
  required(o.data, '--data', SIMULATE.name);
  const outDir = o.out ?? SIMULATE.options.out.default;
  const start = dateOption(o.start, '--start');
  const stepDays = durationOption(o.step, '--step');
  const horizonDays = durationOption(o.horizon, '--horizon');
  if (stepDays !== undefined && horizonDays !== undefined && stepDays > horizonDays) throw new UsageError(`--step (${stepDays} d) is longer than --horizon (${horizonDays} d)`);
  const threshold = thresholdOption(o.threshold, '--threshold');
  const seeds = intOption(o.seeds, '--seeds', 1, 50);
  const k = intOption(o.k, '--k', 2, 20);
  const dataDir = dataDirOption(o.data, '--data', SIMULATE.name);
  const progress = createProgress({ quiet: o.quiet || o.json });

  const started = performance.now();
  const data = await loadOlist(directorySource(dataDir), { onProgress: (t, b, total) => progress.update(`reading ${t}`, b, total) });
  const loadSeconds = (performance.now() - started) / 1000;
  const report = simulateStability(data, {
    k,
    start,
    stepDays,
    horizonDays,
    threshold,
    seeds,
    loadSeconds,
    stopAfterCrossing: !o['full-horizon'],
    unoptimised: o.unoptimised,
    onProgress: (stage, done, total) => progress.update(stage, done, total, 'days'),
  });
  const wallSeconds = Math.round((performance.now() - started) / 100) / 10;

  const out = await OutputDir.open(outDir);
  try {
    await out.json('stability.json', { ...report, timings: { ...report.timings, loadSeconds: Math.round(loadSeconds * 10) / 10, wallSeconds } });
    await out.commit();
  } catch (err) {
    await out.abort();
    throw err;
  }
  progress.done();
  if (o.json) process.stdout.write(JSON.stringify({ ...report, perOrigin: undefined }, null, 2) + '\n');
  else if (!o.quiet) process.stdout.write(describeSimulation(report, outDir, wallSeconds) + '\n');
}

export function describeSimulation(r: StabilityReport, outDir: string, wallSeconds: number): string {
  const range = (a: number, b: number) => `${a.toFixed(2)}-${b.toFixed(2)}`;
  const marker = (days: number) => (days === r.recommendation.everyDays ? ' <' : '');
  return [
    `Stability of the segmentation (${r.kChosenBy === 'rule-per-origin' ? `k chosen at each origin by the production rule: ${r.perOrigin.map((o) => o.k).join(', ')}` : `k = ${r.k} given`}) over ${r.origins.length} rolling origins (${r.origins[0].slice(0, 10)} to ${r.origins[r.origins.length - 1].slice(0, 10)}) x ${r.seeds} seeds, data up to ${r.dataEnd.slice(0, 10)}`,
    `ARI of the model fitted at the origin (own transforms) against a fresh fit, joined by customer; d = 0 is the initialisation noise floor. Threshold ${r.threshold}.`,
    'PSI: feature drift against the training distribution of the origin (recency shifts with time by construction; the other features are what the check triggers on).',
    '',
    renderTable(
      ['days', 'weeks', 'ARI median', 'ARI Q1-Q3', 'known median', 'known Q1-Q3', 'customers', 'new', 'origins', 'PSI recency', 'PSI other max'],
      r.points.map((p) => [
        p.days,
        fmt.num(p.days / 7, 1),
        fmt.num(p.ariMedian, 3) + marker(p.days),
        range(p.ariQ1, p.ariQ3),
        fmt.num(p.ariKnownMedian, 3),
        range(p.ariKnownQ1, p.ariKnownQ3),
        fmt.int(p.customers),
        fmt.int(p.newCustomers),
        p.origins,
        fmt.num(p.psiRecency, 2),
        fmt.num(p.psiOtherMax, 2),
      ]),
    ),
    '',
    `Initialisation stability at the origins: models of different seeds agree at median ARI ${r.initStability.median.toFixed(3)} (Q1-Q3 ${range(r.initStability.q1, r.initStability.q3)}, min ${r.initStability.min.toFixed(3)}, ${r.initStability.pairs} pairs).`,
    '',
    `Recommendation: retrain every ${r.recommendation.everyDays} days (${r.recommendation.everyWeeks} weeks), basis: ${r.recommendation.basis === 'crossing' ? `the median crosses ${r.threshold} at ${r.recommendation.crossingDays} days` : 'the longest measured horizon (a lower bound)'}`,
    ...r.recommendation.rationale.split('\n').map((l) => `  ${l}`),
    '',
    `Outputs in ${outDir}: stability.json (${r.timings.modelFits} model fits, ${r.timings.freshFits} fresh fits, ${r.timings.snapshots} dates; simulation ${r.timings.seconds.toFixed(0)} s, wall time ${wallSeconds.toFixed(0)} s)`,
  ].join('\n');
}
