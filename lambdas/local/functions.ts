/**
 * One emulated Lambda function's runtime: the handlers' own awsRuntime (lambdas/handlers/runtime.ts) with the local
 * endpoints and the local stack's readable log (instead of Powertools; no tracing), whose S3, DynamoDB and EventBridge clients carry the function's IAM enforcement (lambdas/local/iam/) and,
 * for fault tests, the fault injector. What the Lambda service itself does with the function's role is emulated here
 * too: writing its logs and X-Ray segments on each invocation, sending a finally failed asynchronous invocation to its
 * on-failure queue, and checking lambda:InvokeFunction when it starts another function.
 */
import { LambdaServiceException } from '@aws-sdk/client-lambda';
import { awsRuntime, chainHooks, type Runtime } from '../handlers/runtime';
import type { Log } from '../pipeline/log';
import type { ClientHooks, Stores } from '../store/config';
import type { SegmentStore } from '../store/segment-store';
import type { IamAuthorizer } from './iam/authorizer';
import { enforceIam } from './iam/enforce';
import { invokeRequest } from './iam/requests';
import type { FunctionKey } from './iam/stack-policies';

export interface FunctionRuntimeOptions {
  env: Record<string, string | undefined>;
  log: Log;
  /** undefined: no enforcement (--no-iam). */
  authorizer?: IamAuthorizer;
  /** Extra client middleware (the fault injector of one container). */
  hooks?: ClientHooks;
  decorateSegments?: (store: SegmentStore) => SegmentStore;
}

export function iamHooks(fn: FunctionKey, authorizer: IamAuthorizer | undefined): ClientHooks | undefined {
  if (!authorizer) return undefined;
  return {
    s3: (c) => enforceIam(c, 's3', fn, authorizer),
    dynamo: (c) => enforceIam(c, 'dynamodb', fn, authorizer),
    events: (c) => enforceIam(c, 'events', fn, authorizer),
  };
}

/** The runtime of function `fn`: startTraining must be provided by the caller (the local "Lambda service"). */
export function functionRuntime(fn: FunctionKey, options: FunctionRuntimeOptions): Runtime {
  // Each client gets every middleware, IAM first (evaluated before a fault is injected).
  const rt = awsRuntime(fn, options.env, { log: options.log, hooks: chainHooks(iamHooks(fn, options.authorizer), options.hooks) });
  if (!options.decorateSegments) return rt;
  const segments = options.decorateSegments(rt.stores.segments);
  return { ...rt, stores: Object.defineProperty(rt.stores, 'segments', { value: segments }) as Stores };
}

/**
 * lambda:InvokeFunction of `target` by `fn`, refused as the Lambda API refuses it (AccessDeniedException, 403), before the
 * local runtime starts the invocation.
 */
export async function authorizeInvoke(authorizer: IamAuthorizer | undefined, fn: FunctionKey, target: FunctionKey): Promise<void> {
  if (!authorizer) return;
  const decision = await authorizer.authorize(fn, invokeRequest(authorizer.identity(target).functionArn));
  if (!decision.allowed) {
    throw new LambdaServiceException({ name: 'AccessDeniedException', $fault: 'client', $metadata: { httpStatusCode: 403 }, message: decision.message });
  }
}

/** states:StartExecution of the state machine by `fn` (ingest), refused as the Step Functions API refuses it. */
export async function authorizeStartExecution(authorizer: IamAuthorizer | undefined, fn: FunctionKey, stateMachineArn: string): Promise<void> {
  if (!authorizer) return;
  const decision = await authorizer.authorize(fn, { action: 'states:StartExecution', resource: stateMachineArn });
  if (!decision.allowed) throw Object.assign(new Error(decision.message), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } });
}

/**
 * What the Lambda service does with the execution role on every invocation: CloudWatch Logs (the function's log
 * group) and X-Ray (active tracing). AWS does not fail the invocation when these are denied, it loses the logs or
 * traces; so a denial is reported, not thrown.
 */
export async function platformCallsOfInvocation(authorizer: IamAuthorizer | undefined, fn: FunctionKey): Promise<string[]> {
  if (!authorizer) return [];
  const { logGroupArn } = authorizer.identity(fn);
  const stream = `${logGroupArn.replace(/:\*$/, '')}:log-stream:local`;
  const decisions = await Promise.all([
    authorizer.authorize(fn, { action: 'logs:CreateLogStream', resource: stream }),
    authorizer.authorize(fn, { action: 'logs:PutLogEvents', resource: stream }),
    authorizer.authorize(fn, { action: 'xray:PutTraceSegments', resource: '*' }),
    authorizer.authorize(fn, { action: 'xray:PutTelemetryRecords', resource: '*' }),
  ]);
  return decisions.filter((d) => !d.allowed).map((d) => d.message);
}

/** The Lambda service sends a finally failed asynchronous invocation to the on-failure queue, with the function's role. */
export async function platformCallOfFailure(authorizer: IamAuthorizer | undefined, fn: FunctionKey): Promise<string | undefined> {
  const queue = authorizer?.identity(fn).failureQueueArn;
  if (!authorizer || !queue) return undefined;
  const decision = await authorizer.authorize(fn, { action: 'sqs:SendMessage', resource: queue });
  return decision.allowed ? undefined : decision.message;
}
