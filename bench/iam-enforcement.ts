/**
 * What the local IAM enforcement costs per request: DynamoDB GetItem and S3 HeadObject against the emulators through
 * the same client code, with and without the enforcement middleware (the train role), alternated in blocks so that both
 * see the same machine load; plus the cost of a first (uncached) decision.
 *
 *   npx tsx bench/iam-enforcement.ts [calls per block = 400] [rounds = 6]
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createStores, type Stores } from '../lambdas/store/config';
import { startEmulators } from '../lambdas/local/emulators';
import { IamAuthorizer } from '../lambdas/local/iam/authorizer';
import { enforceIam } from '../lambdas/local/iam/enforce';
import { loadStackPolicies } from '../lambdas/local/iam/stack-policies';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function main() {
  const [calls = 400, rounds = 6] = process.argv.slice(2).map(Number);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'segments-iam-bench-'));
  const emulators = await startEmulators({ dir, inMemoryDynamo: true });
  const names = { rawBucket: emulators.rawBucket, artifactsBucket: emulators.artifactsBucket, tableName: emulators.tableName };
  const policies = await loadStackPolicies(names);
  const authorizer = new IamAuthorizer(policies);
  const plain = createStores(emulators.env);
  const enforced = createStores(emulators.env, { s3: (c) => enforceIam(c, 's3', 'train', authorizer), dynamo: (c) => enforceIam(c, 'dynamodb', 'train', authorizer) });
  try {
    await plain.artifacts.putText('models/bench/model.json', '{}');
    const requests = {
      'dynamodb GetItem': (s: Stores) => s.dynamo.send(new GetItemCommand({ TableName: names.tableName, Key: { PK: { S: 'MODEL' }, SK: { S: 'ACTIVE' } } })),
      's3 HeadObject': (s: Stores) => s.s3.send(new HeadObjectCommand({ Bucket: names.artifactsBucket, Key: 'models/bench/model.json' })),
    };
    for (const [name, send] of Object.entries(requests)) {
      const times: Record<'plain' | 'enforced', number[]> = { plain: [], enforced: [] };
      await send(plain);
      await send(enforced); // warm up (and the one uncached decision)
      for (let r = 0; r < rounds; r++) {
        // Which goes first alternates, so neither always runs on a warmer process.
        for (const mode of r % 2 ? (['enforced', 'plain'] as const) : (['plain', 'enforced'] as const)) {
          const stores = mode === 'plain' ? plain : enforced;
          const t0 = performance.now();
          for (let i = 0; i < calls; i++) await send(stores);
          times[mode].push((performance.now() - t0) / calls);
        }
      }
      const p = median(times.plain);
      const e = median(times.enforced);
      console.log(`${name}: ${p.toFixed(3)} ms/call plain, ${e.toFixed(3)} ms/call enforced, ratio ${(e / p).toFixed(3)} (median of ${rounds} blocks of ${calls})`);
    }
    // A first decision: a fresh evaluation by the IAM evaluator (20 distinct object keys, new authorizer).
    const fresh = new IamAuthorizer(policies);
    await fresh.authorize('train', { action: 's3:GetObject', resource: `arn:aws:s3:::${names.artifactsBucket}/models/warm` });
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) await fresh.authorize('train', { action: 's3:GetObject', resource: `arn:aws:s3:::${names.artifactsBucket}/models/k${i}` });
    const uncached = (performance.now() - t0) / 20;
    const batch = { action: 'dynamodb:BatchWriteItem', resource: `arn:aws:dynamodb:${policies.region}:${policies.account}:table/${names.tableName}` };
    await fresh.authorize('train', batch);
    const t1 = performance.now();
    for (let i = 0; i < 100_000; i++) await fresh.authorize('train', batch);
    console.log(`decision: ${uncached.toFixed(2)} ms the first time (the evaluator), ${(((performance.now() - t1) / 100_000) * 1000).toFixed(1)} µs from the cache`);
  } finally {
    for (const s of [plain, enforced]) {
      s.s3.destroy();
      s.dynamo.destroy();
    }
    await emulators.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
