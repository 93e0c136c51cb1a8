/**
 * Runs the distributed state machine's steps in-process, in the state machine's order, through the same Lambda
 * handlers (lambdas/handlers/distributed/*) against any stores: the local proof that the path works end to end
 * (s3rver + dynalite), without Step Functions. Map states become loops with bounded parallelism.
 *
 *   npx tsx lambdas/local/distributed-runner.ts <export dir> [partitions=4] [k=5]
 * uploads the export to the emulators' raw bucket, runs the path and prints the timings per stage.
 */
import { readdir } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createComputeHandler, type ComputeEvent } from '../handlers/distributed/compute';
import { createPublishHandler, type PublishEvent } from '../handlers/distributed/publish';
import type { Runtime } from '../handlers/runtime';
import { jsonLog, silentLog, type Log } from '../pipeline/log';
import type { LoopState, ModelRef, Plan, RunInput } from '../pipeline/distributed';
import { tableOfKey } from '../core/distributed/shuffle';
import { createStores, type Stores } from '../store/config';
import { startEmulators } from './emulators';
import { functionRuntime, platformCallsOfInvocation } from './functions';
import type { IamAuthorizer } from './iam/authorizer';

export interface DistributedRunResult {
  plan: Plan;
  loop: LoopState;
  model: ModelRef;
  activated: { version: string; customers: number; k: number };
  timings: Record<string, number>;
}

async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

const noTraining = async () => {
  throw new Error('not used by the distributed path');
};

/** The path's two functions, and what the Lambda service does around each of their invocations. */
export interface DistributedFunctions {
  compute: Runtime;
  publish: Runtime;
  /** Called before each invocation (the local runtime authorizes the service's log and trace writes). */
  invoked?(fn: 'compute' | 'publish'): Promise<void>;
}

/**
 * The two functions of the path under their roles (IAM enforced when `authorizer` is given), with the local endpoints
 * of `env` (startEmulators().env, plus SEGMENTS_EVENTS_ENDPOINT for the activation event).
 */
export function distributedFunctions(env: Record<string, string | undefined>, options: { log?: Log; authorizer?: IamAuthorizer } = {}): DistributedFunctions {
  const log = options.log ?? silentLog;
  const make = (fn: 'compute' | 'publish') => ({ ...functionRuntime(fn, { env, log, authorizer: options.authorizer }), startTraining: noTraining });
  return {
    compute: make('compute'),
    publish: make('publish'),
    async invoked(fn) {
      for (const denied of await platformCallsOfInvocation(options.authorizer, fn)) log.warn('the Lambda service cannot deliver logs or traces', { function: fn, error: denied });
    },
  };
}

export async function runDistributed(
  stores: Stores,
  input: RunInput,
  options: { env?: Record<string, string | undefined>; log?: Log; concurrency?: number; functions?: DistributedFunctions } = {},
): Promise<DistributedRunResult> {
  // Without functions: both steps share the given stores (unrestricted), and no event is published.
  const shared: Runtime = { stores, log: options.log ?? silentLog, env: options.env ?? {}, startTraining: noTraining, publishEvent: async () => undefined };
  const functions = options.functions ?? { compute: shared, publish: shared };
  const computeHandler = createComputeHandler(() => functions.compute);
  const publishHandler = createPublishHandler(() => functions.publish);
  // Each task is one synchronous invocation by the state machine.
  const compute = async (event: ComputeEvent) => (await functions.invoked?.('compute'), computeHandler(event));
  const publish = async (event: PublishEvent) => (await functions.invoked?.('publish'), publishHandler(event));
  const limit = options.concurrency ?? 4;
  const timings: Record<string, number> = {};
  let t0 = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    timings[name] = (timings[name] ?? 0) + (now - t0) / 1000;
    t0 = now;
  };

  const plan = (await compute({ step: 'plan', input })) as Plan;
  // Scatter: one item per object under the dataset prefix (the state machine's S3 ItemReader listing).
  const objects = await stores.raw.list(plan.rawPrefix);
  await mapLimit(objects, limit, (o) => compute({ step: 'scatter', plan, key: o.key }));
  lap('scatter');
  await mapLimit(plan.bucketItems, limit, ({ q }) => compute({ step: 'joinOrders', plan, q }));
  lap('joinOrders');
  await mapLimit(plan.bucketItems, limit, ({ q }) => compute({ step: 'joinChildren', plan, q }));
  lap('joinChildren');
  await mapLimit(plan.partitionItems, limit, ({ p }) => compute({ step: 'features', plan, p }));
  lap('features');
  let loop = (await compute({ step: 'fit', plan })) as LoopState;
  lap('fit');
  while (!loop.done) {
    const iteration = loop.iteration;
    await mapLimit(plan.partitionItems, limit, ({ p }) => compute({ step: 'partial', plan, p, iteration }));
    loop = (await compute({ step: 'reduce', plan, iteration })) as LoopState;
  }
  lap('kmeans');
  const model = (await publish({ step: 'draft', plan, loop })) as ModelRef;
  await mapLimit(plan.partitionItems, limit, ({ p }) => publish({ step: 'write', plan, model, p }));
  lap('write');
  const activated = (await publish({ step: 'activate', plan, model })) as DistributedRunResult['activated'];
  lap('activate');
  return { plan, loop, model, activated, timings };
}

async function main() {
  const [dir, partitions = '4', k = '5'] = process.argv.slice(2);
  if (!dir) throw new Error('usage: npx tsx lambdas/local/distributed-runner.ts <export dir> [partitions] [k]');
  const state = await mkdtemp(path.join(os.tmpdir(), 'segments-distributed-'));
  const emulators = await startEmulators({ dir: state, inMemoryDynamo: true });
  const stores = createStores(emulators.env);
  try {
    for (const file of await readdir(dir)) {
      if (!file.endsWith('.csv') || tableOfKey(file).role === 'ignored') continue;
      const size = (await stat(path.join(dir, file))).size;
      await stores.raw.putStream(`incoming/bench/${file}`, createReadStream(path.join(dir, file)), { contentLength: size });
    }
    const started = performance.now();
    const res = await runDistributed(stores, { datasetId: 'bench', partitions: Number(partitions), k: Number(k) }, { log: jsonLog('distributed', () => undefined) });
    console.log(JSON.stringify({ ...res.activated, iterations: res.loop.iteration, seconds: (performance.now() - started) / 1000, timings: res.timings, load: os.loadavg()[0] }, null, 1));
  } finally {
    stores.s3.destroy();
    stores.dynamo.destroy();
    await emulators.stop();
    await rm(state, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
