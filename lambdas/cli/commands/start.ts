/**
 * `npm start`: the main job. Generates the embedded default data (or takes --data DIR, e.g. the real
 * Kaggle export) and runs the segmentation on it, printing the segments and where the outputs are.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { intOption, parse } from '../args';
import { generateDataset } from '../../core/generate/generator';
import { runCommand } from './run';

const USAGE = 'segments start [--data DIR] [--customers N] [--state DIR] [--quiet]';

export async function startCommand(argv: string[]): Promise<void> {
  const o = parse(argv, { data: { type: 'string' }, customers: { type: 'string' }, state: { type: 'string' }, quiet: { type: 'boolean' } }, USAGE);
  const state = resolve(o.state ?? '.local');
  const customers = intOption(o.customers ?? '20000', '--customers', 100)!;
  let data = o.data;
  if (!data) {
    data = join(state, 'data', `generated-${customers}-seed1`);
    if (!existsSync(join(data, 'olist_orders_dataset.csv'))) {
      process.stderr.write(`Generating the default dataset (${customers} customers) into ${data}\n`);
      await generateDataset({ customers, seed: 1, outDir: data });
    }
  }
  await runCommand(['--data', data, '--out', join(state, 'out'), ...(o.quiet ? ['--quiet'] : [])]);
}
