/** Lambda: {datasetId, featuresKey} from ingest (async invocation) -> train and activate (lambdas/pipeline/train.ts). */
import { TrainRequest } from '../pipeline/ingest';
import { trainDataset, TrainOutcome } from '../pipeline/train';
import { reconcileWithPrevious } from '../pipeline/reconcile';
import { awsRuntime, numberFromEnv, Runtime } from './runtime';

export function createTrainHandler(runtime: () => Runtime) {
  return async (event: TrainRequest): Promise<TrainOutcome> => {
    if (!event?.datasetId || !event?.featuresKey) throw new Error(`train expects {datasetId, featuresKey}, got ${JSON.stringify(event)}`);
    const rt = runtime();
    const rate = numberFromEnv(rt.env, 'WRITE_RATE_PER_SECOND');
    return trainDataset(
      {
        artifacts: rt.stores.artifacts,
        segments: rt.stores.segments,
        log: rt.log,
        fixedK: numberFromEnv(rt.env, 'FIXED_K'),
        // ~25 items per BatchWriteItem, ~10 calls/s per connection: concurrency follows the write-rate budget
        writeConcurrency: rate ? Math.max(1, Math.min(16, Math.round(rate / 250))) : undefined,
        reconcile: (result, previous) => reconcileWithPrevious(rt.stores.artifacts, result, previous),
      },
      event,
    );
  };
}

let cached: Runtime | undefined;
export const handler = createTrainHandler(() => (cached ??= awsRuntime('train')));
