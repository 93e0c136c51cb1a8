/**
 * The generator's heavy work for generator.test.ts, in a child process (test/helpers/child.ts): Jest's sandbox
 * slows the generator's numeric loops many times over. `generate` writes a dataset and returns its result and the
 * progress it reported; `stats` computes the headline statistics of a folder (olistStats.ts).
 */
import { generateDataset } from '../../../lambdas/core/generate/generator';
import { olistStats } from './olistStats';

export default async function work(a: { task: 'generate'; customers: number; seed: number; outDir: string } | { task: 'stats'; dir: string }) {
  if (a.task === 'stats') return olistStats(a.dir);
  const progress: [number, number][] = [];
  const result = await generateDataset({ customers: a.customers, seed: a.seed, outDir: a.outDir, onProgress: (d, t) => progress.push([d, t]) });
  return { result, progress };
}
