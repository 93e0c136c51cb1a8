import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startEmulators, type EmulatorOptions, type Emulators } from '../../lambdas/local/emulators';
import { createStores, type Stores } from '../../lambdas/store/config';

export interface TestEnv {
  emulators: Emulators;
  stores: Stores;
  dir: string;
  close(): Promise<void>;
}

/** Real s3rver + dynalite on ephemeral 127.0.0.1 ports, state in a fresh temp folder (removed on close). */
export async function startTestEnv(options: EmulatorOptions = {}): Promise<TestEnv> {
  const dir = options.dir ?? (await mkdtemp(path.join(os.tmpdir(), 'segments-store-test-')));
  const emulators = await startEmulators({ ...options, dir });
  const stores = createStores(emulators.env);
  return {
    emulators,
    stores,
    dir,
    async close() {
      stores.s3.destroy();
      stores.dynamo.destroy();
      await emulators.stop();
      if (!options.dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Expected member order of a segment: spend in cents, then customer id, ascending (reverse for descending). */
export function expectedOrder(members: { customerId: string; features: { monetary: number } }[], desc: boolean): string[] {
  const sorted = [...members].sort((a, b) => {
    const ca = Math.round(a.features.monetary * 100);
    const cb = Math.round(b.features.monetary * 100);
    if (ca !== cb) return ca - cb;
    return a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0;
  });
  if (desc) sorted.reverse();
  return sorted.map((m) => m.customerId);
}
