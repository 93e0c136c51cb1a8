/**
 * Builds the CDK app (used by bin/app.ts and by the infrastructure tests, so both synthesize the same
 * thing): the segmentation stack configured from context, plus the cdk-nag AWS Solutions and
 * Serverless rule packs as CDK policy-validation plugins (any unacknowledged finding fails the synth).
 */
import { App, AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, NagPack, ServerlessChecks } from 'cdk-nag';
import { configFromContext, SegmentationConfigInput } from './config';
import { SegmentationStack } from './segmentation-stack';

export const STACK_NAME = 'SegmentationStack';

export interface SegmentationApp {
  readonly app: App;
  readonly stack: SegmentationStack;
  /** The registered cdk-nag packs (empty when context `nag` is false). */
  readonly nagPacks: NagPack[];
}

export interface CreateAppOptions {
  readonly appProps?: AppProps;
  /** Overrides on top of the context configuration. */
  readonly config?: SegmentationConfigInput;
}

export function createApp(options: CreateAppOptions = {}): SegmentationApp {
  const app = new App(options.appProps);
  // Environment-agnostic on purpose (no lookups): account and region come from the deploying credentials.
  const stack = new SegmentationStack(app, STACK_NAME, {
    ...withoutUndefined(configFromContext(app.node)),
    ...withoutUndefined(options.config ?? {}),
  });

  const nagPacks: NagPack[] = [];
  if (app.node.tryGetContext('nag') !== false && app.node.tryGetContext('nag') !== 'false') {
    nagPacks.push(new AwsSolutionsChecks(app, { verbose: true }), new ServerlessChecks(app, { verbose: true }));
    Validations.of(app).addPlugins(...nagPacks);
  }
  return { app, stack, nagPacks };
}

function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
