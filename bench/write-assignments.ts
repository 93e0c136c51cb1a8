/**
 * Write throughput of SegmentStore.writeAssignments against dynalite (in-process, 127.0.0.1).
 *   npx tsx bench/write-assignments.ts [count=50000 | olist[=dir]] [concurrency list=1,4,8,16] [--budget=list] [--memory]
 * `olist` writes the real export's assignments (one per customer with a counted order, real features; the segment
 * is the customer's hash mod 5, no training needed), from ../shared/olist beside the project root or the given folder.
 * `--budget=200,500` adds one run per budget (items/s, at the largest concurrency) and checks that the measured rate
 * stays within the budget: the first 25 items are free (the bucket's burst), so rate <= budget + 25 / seconds.
 * Each run writes a fresh model version into a fresh temp state folder (LevelDB on disk unless --memory).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { partitionOf } from '../lambdas/core/distributed/hashing';
import { computeFeatures } from '../lambdas/core/features/customerFeatures';
import { FEATURE_NAMES, type CustomerAssignment, type FeatureVector } from '../lambdas/core/domain/types';
import { loadOlist } from '../lambdas/core/olist/load';
import { directorySource } from '../lambdas/core/olist/source';
import { createStores } from '../lambdas/store/config';
import { startEmulators } from '../lambdas/local/emulators';
import { syntheticAssignments, syntheticModel, withSizes } from '../lambdas/local/synthetic-segments';

/** The real export's customers as assignments: real ids and features, segment = hash mod k (no training). */
async function olistAssignments(dir: string, k = 5): Promise<CustomerAssignment[]> {
  const features = computeFeatures(await loadOlist(directorySource(dir)));
  const d = FEATURE_NAMES.length;
  return features.customerIds.map((customerId, i) => {
    const f = {} as FeatureVector;
    // Unknown review scores (NaN) are stored as the population's typical 4 here: the bench measures writes, not the model.
    FEATURE_NAMES.forEach((name, j) => (f[name] = Number.isNaN(features.values.data[i * d + j]) ? 4 : features.values.data[i * d + j]));
    const segmentId = partitionOf(customerId, k);
    return { customerId, segmentId, segmentName: `Segment ${segmentId}`, features: f };
  });
}

async function main() {
  const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const memory = process.argv.includes('--memory');
  const budgets = (process.argv.find((a) => a.startsWith('--budget='))?.slice('--budget='.length) ?? '').split(',').filter(Boolean).map(Number);
  const source = args[0] ?? '50000';
  const assignments = source.startsWith('olist')
    ? await olistAssignments(source.includes('=') ? source.slice(source.indexOf('=') + 1) : path.resolve(__dirname, '../../shared/olist'))
    : syntheticAssignments(Number(source), { seed: 99 });
  const count = assignments.length;
  const concurrencies = (args[1] ?? '1,4,8,16').split(',').map(Number);
  console.log(`writeAssignments: ${count} assignments (${source.startsWith('olist') ? 'real Olist export' : 'synthetic'}), dynalite ${memory ? 'in memory' : 'LevelDB on disk'}, node ${process.version}`);
  const runs = [...concurrencies.map((concurrency) => ({ concurrency, budget: undefined as number | undefined })), ...budgets.map((budget) => ({ concurrency: Math.max(...concurrencies), budget }))];
  for (const { concurrency, budget } of runs) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'segments-bench-'));
    const emulators = await startEmulators({ dir, inMemoryDynamo: memory });
    const stores = createStores(emulators.env);
    try {
      const version = `bench-c${concurrency}${budget ? `-b${budget}` : ''}`;
      await stores.segments.putModelDraft(withSizes(syntheticModel(version, { customers: count }), assignments));
      const load = os.loadavg()[0];
      const cpu0 = process.cpuUsage();
      const started = process.hrtime.bigint();
      const res = await stores.segments.writeAssignments(version, assignments, { concurrency, itemsPerSecond: budget });
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const cpu = process.cpuUsage(cpu0);
      const cpuSeconds = (cpu.user + cpu.system) / 1e6;
      const activateStart = process.hrtime.bigint();
      await stores.segments.activateModel(version);
      const activateSeconds = Number(process.hrtime.bigint() - activateStart) / 1e9;
      const rate = res.written / seconds;
      const budgetNote = budget ? `budget ${budget} items/s: ${rate <= budget + 25 / seconds ? 'honoured' : 'EXCEEDED'} (${((rate / budget) * 100).toFixed(1)}% of it); ` : '';
      console.log(
        budgetNote +
        `concurrency ${String(concurrency).padStart(2)}: ${res.written} items in ${seconds.toFixed(1)} s = ${Math.round(res.written / seconds)} items/s ` +
          `(${res.batches} batches, ${res.retries} retries); process CPU ${cpuSeconds.toFixed(1)} s (client + emulator, ` +
          `${Math.round(res.written / cpuSeconds)} items per CPU-second); load avg before ${load.toFixed(1)} on ${os.cpus().length} CPUs; ` +
          `activateModel incl. index count ${activateSeconds.toFixed(1)} s`,
      );
    } finally {
      stores.s3.destroy();
      stores.dynamo.destroy();
      await emulators.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
