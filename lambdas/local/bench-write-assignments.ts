/**
 * Write throughput of DynamoSegmentStore.writeAssignments against dynalite (in-process, 127.0.0.1).
 *   npx tsx lambdas/local/bench-write-assignments.ts [count=50000] [concurrency list=1,4,8,16] [--memory]
 * Each run writes a fresh model version into a fresh temp state folder (LevelDB on disk unless --memory).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createStores } from '../store/config';
import { startEmulators } from './emulators';
import { syntheticAssignments, syntheticModel, withSizes } from './synthetic-segments';

async function main() {
  const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const memory = process.argv.includes('--memory');
  const count = Number(args[0] ?? 50_000);
  const concurrencies = (args[1] ?? '1,4,8,16').split(',').map(Number);
  const assignments = syntheticAssignments(count, { seed: 99 });
  console.log(`writeAssignments: ${count} assignments, dynalite ${memory ? 'in memory' : 'LevelDB on disk'}, node ${process.version}`);
  for (const concurrency of concurrencies) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'segments-bench-'));
    const emulators = await startEmulators({ dir, inMemoryDynamo: memory });
    const stores = createStores(emulators.env);
    try {
      const version = `bench-c${concurrency}`;
      await stores.segments.putModelDraft(withSizes(syntheticModel(version, { customers: count }), assignments));
      const load = os.loadavg()[0];
      const cpu0 = process.cpuUsage();
      const started = process.hrtime.bigint();
      const res = await stores.segments.writeAssignments(version, assignments, { concurrency });
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const cpu = process.cpuUsage(cpu0);
      const cpuSeconds = (cpu.user + cpu.system) / 1e6;
      const activateStart = process.hrtime.bigint();
      await stores.segments.activateModel(version);
      const activateSeconds = Number(process.hrtime.bigint() - activateStart) / 1e9;
      console.log(
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
