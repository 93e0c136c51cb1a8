/** `segments generate`: the embedded default data, a synthetic export in the exact Olist format. */
import { generateDataset } from '../../core/generate/generator';
import { intOption, parse, required } from '../args';
import { GENERATE } from '../specs';
import { createProgress } from '../progress';
import { fmt } from '../table';

export async function generateCommand(argv: string[]): Promise<void> {
  const o = parse(argv, GENERATE);
  const customers = intOption(required(o.customers, '--customers', GENERATE.name), '--customers', 1, 50_000_000)!;
  const seed = intOption(o.seed ?? GENERATE.options.seed.default, '--seed', 0, 2 ** 32 - 1)!;
  const outDir = required(o.out, '--out', GENERATE.name);
  const progress = createProgress({ quiet: o.quiet || o.json });
  const started = performance.now();
  const result = await generateDataset({ customers, seed, outDir, onProgress: (done, total) => progress.update('generating customers', done, total, 'customers') });
  progress.done();
  const seconds = (performance.now() - started) / 1000;
  if (o.json) process.stdout.write(JSON.stringify({ ...result, outDir, seed, seconds }, null, 2) + '\n');
  else if (!o.quiet) {
    const files = Object.entries(result.files)
      .map(([f, rows]) => `  ${f}: ${fmt.int(rows)} rows`)
      .join('\n');
    process.stdout.write(`Generated ${fmt.int(result.customers)} customers and ${fmt.int(result.orders)} orders (seed ${seed}) in ${seconds.toFixed(1)} s into ${outDir}\n${files}\n`);
  }
}
