/**
 * The emulators (s3rver, dynalite on disk) in a process of their own, for the distributed benchmark: the benchmark's
 * process then holds only what the functions hold, so its memory per stage is theirs. Sends the endpoints' environment
 * to the parent (IPC) once listening; stops when the parent says so or goes away.
 *
 *   fork('bench/emulator-child.ts', [stateDir], { execArgv: ['-r', 'tsx/cjs'] })
 */
import { startEmulators } from '../lambdas/local/emulators';

async function main(): Promise<void> {
  const dir = process.argv[2];
  if (!dir || !process.send) throw new Error('usage: fork(emulator-child.ts, [stateDir]) with an IPC channel');
  const emulators = await startEmulators({ dir, inMemoryDynamo: false });
  const stop = async () => {
    await emulators.stop();
    process.exit(0);
  };
  process.on('message', (m) => m === 'stop' && void stop());
  process.on('disconnect', () => void stop());
  process.send({ env: emulators.env, names: { rawBucket: emulators.rawBucket, artifactsBucket: emulators.artifactsBucket, tableName: emulators.tableName } });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
