/**
 * `segments check`: the scheduled stability check, locally. Prints the verdict ('ok' | 'drift' | 'overdue'),
 * its reasons, the agreement with fresh fits and the per-feature drift. The training distribution is read
 * from distribution.json beside the model when present, else recomputed from the data as of the model's date.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { loadOlist } from '../../core/olist/load';
import { directorySource } from '../../core/olist/source';
import { SegmentModel } from '../../core/domain/types';
import { CheckResult, DEFAULT_CADENCE_DAYS, contractOf, runStabilityCheck } from '../../core/stability/check';
import { TrainingDistribution } from '../../core/stability/drift';
import { dataDirOption, intOption, parse, required } from '../args';
import { CHECK } from '../specs';
import { UsageError } from '../errors';
import { createProgress } from '../progress';
import { fmt, renderTable } from '../table';
import { thresholdOption } from './simulate';

export async function checkCommand(argv: string[]): Promise<void> {
  const o = parse(argv, CHECK);
  const modelFile = required(o.model, '--model', CHECK.name);
  required(o.data, '--data', CHECK.name);
  // The contract: explicit options first, then the simulation's recommendation (stability.json), then the default.
  const contract = o.stability ? contractOf(await readJsonFile(o.stability)) : {};
  if (o.stability && contract.cadenceDays === undefined) throw new UsageError(`${o.stability}: not a stability.json written by segments simulate (no recommendation.everyDays)`);
  const threshold = thresholdOption(o.threshold, '--threshold') ?? contract.threshold;
  const cadenceDays = intOption(o['cadence-days'], '--cadence-days', 1, 3650) ?? contract.cadenceDays ?? DEFAULT_CADENCE_DAYS;
  const dataDir = dataDirOption(o.data, '--data', CHECK.name);
  let model: SegmentModel;
  try {
    model = JSON.parse(await readFile(modelFile, 'utf8'));
  } catch (err) {
    throw new UsageError(`${modelFile}: not a readable model file (${(err as Error).message})`);
  }
  const training = await storedDistribution(join(dirname(modelFile), 'distribution.json'), model);
  const progress = createProgress({ quiet: o.quiet || o.json });
  const data = await loadOlist(directorySource(dataDir), { onProgress: (t, b, total) => progress.update(`reading ${t}`, b, total) });
  progress.stage('checking the model against fresh fits and the training distribution');
  const result = runStabilityCheck(model, data, { threshold, cadenceDays, training });
  progress.done();
  if (o.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  else if (!o.quiet) process.stdout.write(describeCheck(result) + '\n');
}

async function readJsonFile(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`${file}: not a readable JSON file (${(err as Error).message})`);
  }
}

async function storedDistribution(file: string, model: SegmentModel): Promise<TrainingDistribution | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  const d = JSON.parse(text) as TrainingDistribution;
  if (d.modelVersion && d.modelVersion !== model.version) throw new UsageError(`${file} belongs to model ${d.modelVersion}, not ${model.version}`);
  return d;
}

export function describeCheck(r: CheckResult): string {
  return [
    `Model ${r.modelVersion} (as of ${r.modelAsOf.slice(0, 10)}) checked on the data as of ${r.asOf.slice(0, 10)}: ${fmt.int(r.customers)} customers, ${fmt.int(r.newCustomers)} new since training`,
    `Verdict: ${r.verdict.toUpperCase()}`,
    ...r.reasons.map((x) => `  - ${x}`),
    '',
    `Agreement with fresh fits (k = same, ${r.ariSpread.values.length} seeds): median ARI ${r.ari.toFixed(3)} (Q1-Q3 ${r.ariSpread.q1.toFixed(3)}-${r.ariSpread.q3.toFixed(3)}), over customers known at training ${r.ariKnown.toFixed(3)}; fresh fits agree among themselves at ${r.freshAgreement.toFixed(3)}. Threshold ${r.threshold}.`,
    `Age: ${r.ageDays} days, cadence ${r.cadenceDays} days. Training distribution: ${r.trainingDistribution}.`,
    '',
    renderTable(
      ['feature', 'PSI', 'KS', 'level', 'median at training', 'median now'],
      Object.entries(r.drift).map(([name, d]) => [name, fmt.num(d.psi, 3), fmt.num(d.ks, 3), d.level, fmt.num(d.trainingMedian, 2), fmt.num(d.currentMedian, 2)]),
    ),
  ].join('\n');
}
