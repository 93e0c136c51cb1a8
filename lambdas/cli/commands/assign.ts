/** `segments assign`: label new data with an existing model, without refitting anything. */
import { readFile } from 'node:fs/promises';
import { loadOlist } from '../../core/olist/load';
import { directorySource } from '../../core/olist/source';
import { assignCustomers } from '../../core/model/assign';
import { assignmentsCsv } from '../../core/model/assignmentsCsv';
import { SegmentModel } from '../../core/domain/types';
import { dataDirOption, dateOption, parse, required } from '../args';
import { ASSIGN } from '../specs';
import { OutputDir } from '../output';
import { createProgress } from '../progress';
import { fmt, renderTable } from '../table';
import { UsageError } from '../errors';

export async function assignCommand(argv: string[]): Promise<void> {
  const o = parse(argv, ASSIGN);
  const modelFile = required(o.model, '--model', ASSIGN.name);
  required(o.data, '--data', ASSIGN.name);
  const outDir = required(o.out, '--out', ASSIGN.name);
  const asOf = dateOption(o['as-of'], '--as-of');
  const dataDir = dataDirOption(o.data, '--data', ASSIGN.name);
  let model: SegmentModel;
  try {
    model = JSON.parse(await readFile(modelFile, 'utf8'));
  } catch (err) {
    throw new UsageError(`${modelFile}: not a readable model file (${(err as Error).message})`);
  }
  const progress = createProgress({ quiet: o.quiet || o.json });
  const data = await loadOlist(directorySource(dataDir), { onProgress: (t, b, total) => progress.update(`reading ${t}`, b, total) });
  const a = assignCustomers(model, data, asOf);
  const sizes = new Map<number, number>();
  for (const l of [...a.labels, ...a.ruleLabels]) sizes.set(l, (sizes.get(l) ?? 0) + 1);
  const people = a.labels.length + a.ruleLabels.length;
  const result = {
    modelVersion: model.version,
    asOf: new Date(a.features.asOf).toISOString(),
    dataFingerprint: data.fingerprint,
    customers: a.labels.length,
    people,
    newCustomers: a.features.firstPurchase.filter((t) => t > Date.parse(model.asOf)).length,
    segments: model.segments.map((s) => ({ id: s.id, kind: s.kind, name: s.name, size: sizes.get(s.id) ?? 0, share: (sizes.get(s.id) ?? 0) / Math.max(1, people), action: s.action })),
  };
  const out = await OutputDir.open(outDir);
  try {
    await out.text('assignments.csv', assignmentsCsv({ model, features: a.features, labels: a.labels, ruleLabels: a.ruleLabels }));
    await out.json('assign-summary.json', result);
    await out.commit();
  } catch (err) {
    await out.abort();
    throw err;
  }
  progress.done();
  if (o.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  else if (!o.quiet)
    process.stdout.write(
      `Assigned ${fmt.int(result.people)} people (${fmt.int(result.customers)} customers with a delivered order) with model ${model.version} (${fmt.int(result.newCustomers)} first bought after the model's date ${model.asOf.slice(0, 10)})\n\n` +
        renderTable(['id', 'segment', 'customers', 'share'], result.segments.map((s) => [s.id, s.name, fmt.int(s.size), fmt.pct(s.share)])) +
        `\n\nOutputs in ${outDir}: assignments.csv, assign-summary.json\n`,
    );
}
