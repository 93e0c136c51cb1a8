/** Lambda: {datasetId, featuresKey} from ingest (async invocation) -> train and activate (lambdas/pipeline/train.ts). */
import { TrainRequest } from '../pipeline/ingest';
import { TrainContinuing, TrainDeps, trainDataset, TrainOutcome, TrainRejected, TrainSkipped } from '../pipeline/train';
import { leaseTimesFor } from '../pipeline/lease';
import { reconcileWithPrevious } from '../pipeline/reconcile';
import { InvocationContext } from './events';
import { limitThreads } from '../core/cluster/workerPool';
import { awsRuntime, inInvocation, Runtime } from './runtime';
import { configOf, parseTrainConfig } from './config';

/** overrides: dependencies the environment cannot express (the local stack's cheaper training options in tests). */
export function createTrainHandler(runtime: () => Runtime, overrides: Partial<Pick<TrainDeps, 'trainOptions'>> = {}) {
  return async (event: TrainRequest, context?: InvocationContext): Promise<TrainOutcome | TrainSkipped | TrainRejected | TrainContinuing> => {
    if (!event?.datasetId || !event?.featuresKey) throw new Error(`train expects {datasetId, featuresKey}, got ${JSON.stringify(event)}`);
    const rt = runtime();
    const config = configOf(rt, parseTrainConfig);
    limitThreads(config.kmeansThreads);
    return inInvocation(rt, context, () =>
      trainDataset(
        {
          artifacts: rt.stores.artifacts,
          segments: rt.stores.segments,
          suppression: () => rt.stores.personalData.suppression(),
          log: rt.log,
          fixedK: config.fixedK,
          trainOptions: { ...config.trainOptions, ...overrides.trainOptions },
          reports: config.reports,
          writeConcurrency: config.writeConcurrency,
          writeRatePerSecond: config.writeRatePerSecond,
          reconcile: (result, previous) => reconcileWithPrevious(rt.stores.artifacts, result, previous),
          // The lease: owned by this invocation's request id, for its remaining time + a margin (lease.ts).
          leaseTimes: leaseTimesFor(config.lease, context?.getRemainingTimeInMillis()),
          leaseOwner: context?.awsRequestId,
          publishEvent: rt.publishEvent,
          tableName: rt.stores.config.tableName,
          // A write near the time limit stops and continues in a new invocation of this function.
          remainingMs: context ? () => context.getRemainingTimeInMillis() : undefined,
          stopMarginMs: config.stopMarginMs,
          startTraining: rt.startTraining,
        },
        event,
      ),
    );
  };
}

let cached: Runtime | undefined;
export const handler = createTrainHandler(() => (cached ??= awsRuntime('train')));
