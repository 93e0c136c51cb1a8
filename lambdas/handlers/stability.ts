/** Lambda: EventBridge schedule -> stability check (lambdas/pipeline/stability.ts). */
import { checkStability, StabilityOutcome } from '../pipeline/stability';
import { limitThreads } from '../core/cluster/workerPool';
import { awsRuntime, inInvocation, Runtime } from './runtime';
import { configOf, parseStabilityConfig } from './config';
import type { LoggedContext } from './observability';
import { pruneModelVersions, RetentionSummary } from './retention';

export function createStabilityHandler(runtime: () => Runtime, clock?: () => Date) {
  return async (_event?: unknown, context?: Partial<LoggedContext> & { getRemainingTimeInMillis?(): number }): Promise<StabilityOutcome & { retention: RetentionSummary }> => {
    const rt = runtime();
    const config = configOf(rt, parseStabilityConfig);
    // The refit of the stability check runs k-means too.
    limitThreads(config.kmeansThreads);
    return inInvocation(rt, context?.awsRequestId ? (context as LoggedContext) : undefined, async () => {
      const outcome = await checkStability({
        raw: rt.stores.raw,
        artifacts: rt.stores.artifacts,
        segments: rt.stores.segments,
        log: rt.log,
        publishEvent: rt.publishEvent,
        startTraining: rt.startTraining,
        threshold: config.ariThreshold,
        cadenceDays: config.cadenceDays,
        maxInvalidRows: config.maxInvalidRows,
        maxFileBytes: config.maxUploadBytes,
        autoRetrain: config.autoRetrain,
        now: clock,
      });
      // Then the retention of old model versions (best effort, never fails the check; wall-clock time, not `clock`).
      // Here rather than after each training: the train function's 15 min go to fitting and writing, and deleting a
      // version costs as many writes as writing one. Each scheduled run brings the table back to the policy.
      return { ...outcome, retention: await pruneModelVersions(rt, config.keepVersions, context) };
    });
  };
}

let cached: Runtime | undefined;
export const handler = createStabilityHandler(() => (cached ??= awsRuntime('stability')));
