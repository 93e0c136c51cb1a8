/**
 * The stack, locally: s3rver and dynalite on 127.0.0.1 with their state in a folder, the same buckets
 * and table as the stack, and S3 events wired to the same handlers with the same prefix filter
 * (incoming/). Only the transport of "start training" differs: an in-process call instead of a Lambda
 * Event invocation, still asynchronous (ingest does not wait for it).
 */
import { createIngestHandler } from '../handlers/ingest';
import { createTrainHandler } from '../handlers/train';
import { Runtime } from '../handlers/runtime';
import { INCOMING_PREFIX } from '../pipeline/datasets';
import { jsonLog, Log, silentLog } from '../pipeline/log';
import { TrainRequest } from '../pipeline/ingest';
import { createStores } from '../store/config';
import { SegmentStore } from '../store/segment-store';
import { Emulators, startEmulators } from './emulators';

export interface LocalStack {
  emulators: Emulators;
  runtime: Runtime;
  /** Resolves when every event and every training started so far has finished. */
  idle(): Promise<void>;
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
  const stores = createStores(env);
  const segments = opts.decorateSegments ? opts.decorateSegments(stores.segments) : undefined;
  const runtime: Runtime = {
    stores: segments ? Object.defineProperty(stores, 'segments', { value: segments }) : stores,
    env,
    log,
    async startTraining(request: TrainRequest) {
      // Asynchronous like InvocationType 'Event': ingest returns before training ends.
      track('train', Promise.resolve().then(() => train(request)));
    },
    async publishEvent(detailType, detail) {
      events.push({ detailType, detail });
      log.info(`event: ${detailType}`, detail);
    },
  };
  const ingest = createIngestHandler(() => runtime);
  const train = createTrainHandler(() => runtime);
  const unsubscribe = emulators.onObjectCreated((event) => track('ingest', ingest(event)), { bucket: emulators.rawBucket, prefix: INCOMING_PREFIX });
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
    idle,
    failures,
    events,
    async stop() {
      await idle();
      unsubscribe();
      runtime.stores.s3.destroy();
      runtime.stores.dynamo.destroy();
      await emulators.stop();
    },
  };
}
