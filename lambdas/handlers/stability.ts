/** Lambda: EventBridge schedule -> stability check (lambdas/pipeline/stability.ts). */
import { checkStability, StabilityOutcome } from '../pipeline/stability';
import { awsRuntime, numberFromEnv, Runtime } from './runtime';

export function createStabilityHandler(runtime: () => Runtime, clock?: () => Date) {
  return async (_event?: unknown): Promise<StabilityOutcome> => {
    const rt = runtime();
    return checkStability({
      raw: rt.stores.raw,
      artifacts: rt.stores.artifacts,
      segments: rt.stores.segments,
      log: rt.log,
      publishEvent: rt.publishEvent,
      startTraining: rt.startTraining,
      threshold: numberFromEnv(rt.env, 'ARI_THRESHOLD'),
      cadenceDays: numberFromEnv(rt.env, 'CADENCE_DAYS'),
      maxInvalidRows: numberFromEnv(rt.env, 'MAX_INVALID_ROWS'),
      autoRetrain: rt.env.AUTO_RETRAIN === 'true',
      now: clock,
    });
  };
}

let cached: Runtime | undefined;
export const handler = createStabilityHandler(() => (cached ??= awsRuntime('stability')));
