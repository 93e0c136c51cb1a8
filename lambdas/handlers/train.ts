/** Lambda: {datasetId, featuresKey} from ingest (async invocation) -> train and activate (lambdas/pipeline/train.ts). */
import { TrainRequest } from '../pipeline/ingest';
import { TrainContinuing, TrainDeps, trainDataset, TrainOutcome, TrainRejected, TrainSkipped } from '../pipeline/train';
import { leaseTimesFromEnv } from '../pipeline/lease';
import { reconcileWithPrevious } from '../pipeline/reconcile';
import { InvocationContext } from './events';
import { limitThreads } from '../core/cluster/workerPool';
import { awsRuntime, numberFromEnv, Runtime, threadsFromEnv, trainOptionsFromEnv } from './runtime';

/** overrides: dependencies the environment cannot express (the local stack's cheaper training options in tests). */
export function createTrainHandler(runtime: () => Runtime, overrides: Partial<Pick<TrainDeps, 'trainOptions'>> = {}) {
  return async (event: TrainRequest, context?: InvocationContext): Promise<TrainOutcome | TrainSkipped | TrainRejected | TrainContinuing> => {
    if (!event?.datasetId || !event?.featuresKey) throw new Error(`train expects {datasetId, featuresKey}, got ${JSON.stringify(event)}`);
    const rt = runtime();
    limitThreads(threadsFromEnv(rt.env));
    const rate = numberFromEnv(rt.env, 'WRITE_RATE_PER_SECOND');
    const fixedK = numberFromEnv(rt.env, 'FIXED_K');
    return trainDataset(
      {
        artifacts: rt.stores.artifacts,
        segments: rt.stores.segments,
        suppression: () => rt.stores.personalData.suppression(),
        log: rt.log,
        fixedK,
        trainOptions: { ...trainOptionsFromEnv(rt.env, fixedK), ...overrides.trainOptions },
        reports: rt.env.TRAIN_REPORTS !== 'false',
        // The budget itself is a token bucket (writeRatePerSecond); concurrency only needs to be high enough to reach it
        // (~25 items per BatchWriteItem, ~10 calls/s per connection).
        writeConcurrency: rate ? Math.max(1, Math.min(16, Math.round(rate / 250))) : undefined,
        writeRatePerSecond: rate,
        reconcile: (result, previous) => reconcileWithPrevious(rt.stores.artifacts, result, previous),
        // The lease: owned by this invocation's request id, for its remaining time + a margin (lease.ts).
        leaseTimes: leaseTimesFromEnv(rt.env, context?.getRemainingTimeInMillis()),
        leaseOwner: context?.awsRequestId,
        publishEvent: rt.publishEvent,
        tableName: rt.stores.config.tableName,
        // A write near the time limit stops and continues in a new invocation of this function.
        remainingMs: context ? () => context.getRemainingTimeInMillis() : undefined,
        stopMarginMs: numberFromEnv(rt.env, 'WRITE_STOP_MARGIN_MS'),
        startTraining: rt.startTraining,
      },
      event,
    );
  };
}

let cached: Runtime | undefined;
export const handler = createTrainHandler(() => (cached ??= awsRuntime('train')));
