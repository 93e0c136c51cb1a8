/** Lambda: EventBridge schedule -> stability check (lambdas/pipeline/stability.ts). */
import { checkStability, StabilityOutcome } from '../pipeline/stability';
import { limitThreads } from '../core/cluster/workerPool';
import { awsRuntime, numberFromEnv, Runtime, threadsFromEnv } from './runtime';
import { pruneModelVersions, RetentionSummary } from './retention';

export function createStabilityHandler(runtime: () => Runtime, clock?: () => Date) {
  return async (_event?: unknown, context?: { getRemainingTimeInMillis?(): number }): Promise<StabilityOutcome & { retention: RetentionSummary }> => {
    const rt = runtime();
    // The refit of the stability check runs k-means too.
    limitThreads(threadsFromEnv(rt.env));
    const outcome = await checkStability({
      raw: rt.stores.raw,
      artifacts: rt.stores.artifacts,
      segments: rt.stores.segments,
      log: rt.log,
      publishEvent: rt.publishEvent,
      startTraining: rt.startTraining,
      threshold: numberFromEnv(rt.env, 'ARI_THRESHOLD'),
      cadenceDays: numberFromEnv(rt.env, 'CADENCE_DAYS'),
      maxInvalidRows: numberFromEnv(rt.env, 'MAX_INVALID_ROWS'),
      maxFileBytes: numberFromEnv(rt.env, 'MAX_UPLOAD_BYTES'),
      autoRetrain: rt.env.AUTO_RETRAIN === 'true',
      now: clock,
    });
    // Then the retention of old model versions (best effort, never fails the check; wall-clock time, not `clock`).
    // Here rather than after each training: the train function's 15 min go to fitting and writing, and deleting a
    // version costs as many writes as writing one. Each scheduled run brings the table back to the policy.
    return { ...outcome, retention: await pruneModelVersions(rt, context) };
  };
}

let cached: Runtime | undefined;
export const handler = createStabilityHandler(() => (cached ??= awsRuntime('stability')));
