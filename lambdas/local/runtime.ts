/**
 * The stack, locally: s3rver and dynalite on 127.0.0.1 with their state in a folder, the same buckets
 * and table as the stack, and S3 events wired to the same handlers with the same prefix filter
 * (incoming/). Only the transport of "start training" differs: an in-process call instead of a Lambda
 * Event invocation, still asynchronous (ingest does not wait for it).
 *
 * For fault tests it also emulates what Lambda does around a handler: async invocations retried after an
 * error (lambdaRetries), and containers: each function runs in a container whose SDK clients carry the fault
 * injector (lambdas/local/faults.ts); a crash kills the container (its requests never complete, like a
 * process that timed out), the invocation counts as failed, and the retry runs in a fresh container.
 *
 * Every invocation gets a Lambda-like context: a request id that is new per delivery (each `invoke`, each S3
 * event, each training start) and the same across the emulated retries of that delivery, as Lambda's async
 * retries are (the run lease's owner: lambdas/pipeline/lease.ts), and the remaining time until the function's
 * timeout (not enforced here; it sizes the lease).
 */
import { randomUUID } from 'node:crypto';
import { createIngestHandler } from '../handlers/ingest';
import type { InvocationContext } from '../handlers/events';
import { createTrainHandler } from '../handlers/train';
import { Runtime } from '../handlers/runtime';
import { INCOMING_PREFIX } from '../pipeline/datasets';
import { jsonLog, Log, silentLog } from '../pipeline/log';
import { TrainRequest } from '../pipeline/ingest';
import { createStores, Stores } from '../store/config';
import { SegmentStore } from '../store/segment-store';
import { Emulators, startEmulators } from './emulators';
import { FaultContainer, FaultInjector } from './faults';
import type { TrainOptions } from '../core/model/train';

export interface LocalStack {
  emulators: Emulators;
  runtime: Runtime;
  /** Resolves when every event and every training started so far has finished. */
  idle(): Promise<void>;
  /** Invokes a function as Lambda's async invocation would (containers, retries); resolves with its result. */
  invoke(fn: 'ingest' | 'train', event: unknown): Promise<unknown>;
  /** Failures of asynchronous work (as Lambda would send them to the failure queue). */
  failures: { source: string; error: unknown }[];
  /** Events published on the (local) bus, in order. */
  events: { detailType: string; detail: Record<string, unknown> }[];
  stop(): Promise<void>;
}

export interface LocalStackOptions {
  dir: string;
  /** Structured logs on stdout (like CloudWatch); off by default for a readable console. */
  logs?: boolean;
  /** Environment of the functions beyond the store settings (FIXED_K, MAX_UPLOAD_BYTES, ...). */
  env?: Record<string, string>;
  inMemoryDynamo?: boolean;
  /** Wraps the segment store, e.g. to inject faults an emulator cannot produce (a crash mid-write). */
  decorateSegments?: (store: SegmentStore) => SegmentStore;
  /** Training options beyond FIXED_K (e.g. { sweep: false } for cheap test runs). */
  trainOptions?: TrainOptions;
  /** Fault injection on the functions' SDK clients; each function then runs in its own (crashable) container. */
  faults?: FaultInjector;
  /** Lambda's retries of a failed async invocation (the stack: ingest 2, train 1) and the wait before each (Lambda: 1-2 min). */
  lambdaRetries?: { ingest?: number; train?: number; delayMs?: number };
  /** Function timeouts reported by the emulated context (default: the stack's, ingest 10 min, train 15 min). */
  timeoutsMs?: { ingest?: number; train?: number };
}

/** lib/constructs/pipeline-functions.ts: ingest 10 min, train 15 min. */
const STACK_TIMEOUTS_MS = { ingest: 600_000, train: 900_000 };

/** One emulated Lambda container: its runtime (clients) and its fate. */
interface Container {
  runtime: Runtime;
  fault?: FaultContainer;
  /** Rejects when the container crashes. */
  crashed: Promise<never>;
}

export async function startLocalStack(opts: LocalStackOptions): Promise<LocalStack> {
  const emulators = await startEmulators({ dir: opts.dir, inMemoryDynamo: opts.inMemoryDynamo });
  const env = { ...opts.env, ...emulators.env };
  const log: Log = opts.logs ? jsonLog('local') : silentLog;
  const pending = new Set<Promise<unknown>>();
  const failures: LocalStack['failures'] = [];
  const events: LocalStack['events'] = [];
  const track = (source: string, p: Promise<unknown>) => {
    const tracked = p.catch((error) => failures.push({ source, error })).finally(() => pending.delete(tracked));
    pending.add(tracked);
  };
  const decorate = (stores: Stores): Stores => {
    const segments = opts.decorateSegments ? opts.decorateSegments(stores.segments) : undefined;
    return segments ? Object.defineProperty(stores, 'segments', { value: segments }) : stores;
  };
  const makeRuntime = (stores: Stores): Runtime => ({
    stores,
    env,
    log,
    async startTraining(request: TrainRequest) {
      // Asynchronous like InvocationType 'Event': ingest returns before training ends.
      track('train', Promise.resolve().then(() => invoke('train', request)));
    },
    async publishEvent(detailType, detail) {
      events.push({ detailType, detail });
      log.info(`event: ${detailType}`, detail);
    },
  });
  const runtime = makeRuntime(decorate(createStores(env)));
  const allStores: Stores[] = [runtime.stores];

  // Containers (with faults only; otherwise every invocation shares `runtime`, as before).
  const containers = new Map<string, Container>();
  const containerFor = (fn: string): Container => {
    const faults = opts.faults;
    if (!faults) return { runtime, crashed: new Promise<never>(() => undefined) };
    const current = containers.get(fn);
    if (current && !current.fault!.dead) return current;
    let crash!: (reason: Error) => void;
    const crashed = new Promise<never>((_, reject) => (crash = reject));
    crashed.catch(() => undefined);
    const fault = faults.container((reason) => crash(new Error(reason)));
    const stores = decorate(createStores(env, { s3: (c) => faults.install(c, 's3', fault), dynamo: (c) => faults.install(c, 'dynamodb', fault) }));
    allStores.push(stores);
    const container: Container = { runtime: makeRuntime(stores), fault, crashed };
    containers.set(fn, container);
    return container;
  };
  const handlers = {
    ingest: (rt: Runtime, event: unknown, context: InvocationContext) => createIngestHandler(() => rt)(event as never, context),
    train: (rt: Runtime, event: unknown, context: InvocationContext) => createTrainHandler(() => rt, { trainOptions: opts.trainOptions })(event as never, context),
  };
  /** One async invocation with Lambda's retries: a thrown error or a crash fails the attempt; the last failure is reported. */
  const invoke = async (fn: 'ingest' | 'train', event: unknown): Promise<unknown> => {
    const retries = opts.lambdaRetries?.[fn] ?? 0;
    const awsRequestId = randomUUID(); // one delivery: its retries keep the id, as Lambda's do
    const timeoutMs = opts.timeoutsMs?.[fn] ?? STACK_TIMEOUTS_MS[fn];
    for (let attempt = 0; ; attempt++) {
      const container = containerFor(fn);
      const deadline = Date.now() + timeoutMs;
      const context: InvocationContext = { awsRequestId, getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) };
      try {
        return await Promise.race([handlers[fn](container.runtime, event, context), container.crashed]);
      } catch (err) {
        log.warn(`${fn} invocation failed`, { attempt: attempt + 1, error: (err as Error).message });
        if (attempt >= retries) throw err;
        await new Promise((resolve) => setTimeout(resolve, opts.lambdaRetries?.delayMs ?? 1000));
      }
    }
  };
  const unsubscribe = emulators.onObjectCreated((event) => track('ingest', invoke('ingest', event)), { bucket: emulators.rawBucket, prefix: INCOMING_PREFIX });
  const idle = async () => {
    for (;;) {
      await emulators.drain();
      if (!pending.size) return;
      await Promise.allSettled([...pending]);
    }
  };
  return {
    emulators,
    runtime,
    invoke,
    idle,
    failures,
    events,
    async stop() {
      await idle();
      unsubscribe();
      for (const stores of allStores) {
        stores.s3.destroy();
        stores.dynamo.destroy();
      }
      await emulators.stop();
    },
  };
}
