/**
 * Lambda of the distributed path's compute steps (lib/constructs/distributed-pipeline.ts): plan, shuffle, features,
 * fit and k-means iterations. S3 (raw bucket read, artifacts work/ read-write, the previous model's assignments read),
 * and of the table only the suppression list (the features step leaves forgotten people out). One function for all
 * these steps: one bundle and one role, and each step is a few lines of lambdas/pipeline/distributed/.
 */
import { limitThreads } from '../../core/cluster/workerPool';
import type { TrainOptions } from '../../core/model/train';
import {
  fitStep,
  joinChildrenStep,
  joinOrdersStep,
  partialStepOf,
  partitionFeaturesStep,
  planRun,
  reduceStep,
  scatter,
  type DistributedDeps,
  type Plan,
  type RunInput,
  type ScatterItem,
} from '../../pipeline/distributed';
import { awsRuntime, inInvocation, type Runtime } from '../runtime';
import { configOf, parseComputeConfig } from '../config';
import type { InvocationContext } from '../events';

export type ComputeEvent =
  | { step: 'plan'; input: RunInput }
  | { step: 'scatter'; plan: Plan; item: ScatterItem }
  | { step: 'joinOrders'; plan: Plan; q: number }
  | { step: 'joinChildren'; plan: Plan; q: number }
  | { step: 'features'; plan: Plan; p: number }
  | { step: 'fit'; plan: Plan }
  | { step: 'partial'; plan: Plan; p: number; iteration: number }
  | { step: 'reduce'; plan: Plan; iteration: number };

/** overrides: what the environment cannot express (the local stack's cheaper training options in tests). */
export function createComputeHandler(runtime: () => Runtime, overrides: { trainOptions?: TrainOptions } = {}) {
  return async (event: ComputeEvent, context?: InvocationContext): Promise<unknown> => {
    const rt = runtime();
    const config = configOf(rt, parseComputeConfig);
    limitThreads(config.kmeansThreads);
    const deps: DistributedDeps = {
      raw: rt.stores.raw,
      artifacts: rt.stores.artifacts,
      log: rt.log,
      fixedK: config.fixedK,
      trainOptions: { ...config.trainOptions, ...overrides.trainOptions },
      // Its only table access: Query PK = SUPPRESSION (the role's grant is conditioned on that leading key).
      suppression: () => rt.stores.personalData.suppression(),
    };
    return inInvocation(rt, context, () => computeStep(deps, event));
  };
}

function computeStep(deps: DistributedDeps, event: ComputeEvent): Promise<unknown> {
  switch (event?.step) {
    case 'plan':
      return planRun(deps, event.input);
    case 'scatter':
      return scatter(deps, event.plan, event.item);
    case 'joinOrders':
      return joinOrdersStep(deps, event.plan, event.q);
    case 'joinChildren':
      return joinChildrenStep(deps, event.plan, event.q);
    case 'features':
      return partitionFeaturesStep(deps, event.plan, event.p);
    case 'fit':
      return fitStep(deps, event.plan);
    case 'partial':
      return partialStepOf(deps, event.plan, event.p, event.iteration);
    case 'reduce':
      return reduceStep(deps, event.plan, event.iteration);
    default:
      throw new Error(`distributed compute: unknown step in ${JSON.stringify(event).slice(0, 200)}`);
  }
}

let cached: Runtime | undefined;
export const handler = createComputeHandler(() => (cached ??= awsRuntime('distributed-compute')));
