/**
 * Lambda of the distributed path's publishing steps: draft the model, write one partition's assignments under the
 * write budget (resumable: near its time limit a writer returns where it stopped and the state machine invokes it
 * again from there), activate, and record a failed run (the state machine's Catch, or the ExecutionEnded rule for
 * what no Catch sees). The only function of the path with table access.
 *
 * Write budget: WRITE_RATE_PER_SECOND is the budget of the whole table; the state machine runs at most WRITERS
 * write tasks at once (the Distributed Map's MaxConcurrency), so each writer takes WRITE_RATE_PER_SECOND / WRITERS.
 */
import {
  activateStep,
  draftStep,
  endedStep,
  failStep,
  writePartitionStep,
  type ExecutionEnded,
  type LoopState,
  type ModelRef,
  type Plan,
  type PublishDeps,
  type RunInput,
} from '../../pipeline/distributed';
import type { InvocationContext } from '../events';
import { awsRuntime, inInvocation, type Runtime } from '../runtime';
import { configOf, parsePublishConfig } from '../config';

export type PublishEvent =
  | { step: 'draft'; plan: Plan; loop: LoopState }
  | { step: 'write'; plan: Plan; model: ModelRef; p: number; from?: number }
  | { step: 'activate'; plan: Plan; model: ModelRef }
  | { step: 'fail'; input: RunInput; error?: { Error?: string; Cause?: string } }
  /** From the ExecutionEnded rule (EventBridge): an execution failed, timed out or was aborted. */
  | { step: 'ended'; execution: ExecutionEnded };

export function createPublishHandler(runtime: () => Runtime) {
  return async (event: PublishEvent, context?: InvocationContext): Promise<unknown> => {
    const rt = runtime();
    const config = configOf(rt, parsePublishConfig);
    const deps: PublishDeps = {
      raw: rt.stores.raw,
      artifacts: rt.stores.artifacts,
      log: rt.log,
      segments: rt.stores.segments,
      publishEvent: rt.publishEvent,
      tableName: rt.stores.config.tableName,
      writeRatePerWriter: config.writeRatePerWriter,
      writeConcurrency: config.writeConcurrency,
      remainingMs: context ? () => context.getRemainingTimeInMillis() : undefined,
      stopMarginMs: config.stopMarginMs,
    };
    return inInvocation(rt, context, () => publishStep(deps, event));
  };
}

function publishStep(deps: PublishDeps, event: PublishEvent): Promise<unknown> {
  switch (event?.step) {
    case 'draft':
      return draftStep(deps, event.plan, event.loop);
    case 'write':
      return writePartitionStep(deps, event.plan, event.model, event.p, event.from ?? 0);
    case 'activate':
      return activateStep(deps, event.plan, event.model);
    case 'fail':
      return failStep(deps, event.input, event.error);
    case 'ended':
      return endedStep(deps, event.execution);
    default:
      throw new Error(`distributed publish: unknown step in ${JSON.stringify(event).slice(0, 200)}`);
  }
}

let cached: Runtime | undefined;
export const handler = createPublishHandler(() => (cached ??= awsRuntime('distributed-publish')));
