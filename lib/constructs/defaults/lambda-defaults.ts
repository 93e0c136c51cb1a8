/**
 * Lambda defaults: runtime and architecture, the function wrapper (own role, log group, bundling with the k-means
 * worker and the Vega builds, asynchronous-invocation config, Powertools settings) and its cdk-nag acknowledgements.
 */
import * as path from 'node:path';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { COMMON_ENV, EVENT_BUS_NAME, METRICS_NAMESPACE, EVENT_SOURCE, KMEANS_WORKER_BUNDLE, KMEANS_WORKER_SOURCE, VEGA_BUILDS, type ContractEnv, type DetailType, type HandlerName } from '../../../lambdas/contract';
import { policyOf } from './iam-defaults';
import { createFailureQueue } from './sqs-defaults';

export type { HandlerName };

/** Repository root (this file lives in lib/constructs/defaults/). */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..', '..');

export const LAMBDA_RUNTIME = lambda.Runtime.NODEJS_22_X;
export const LAMBDA_ARCHITECTURE = lambda.Architecture.ARM_64;
export const LOG_RETENTION = logs.RetentionDays.THREE_MONTHS;

/** Lambda's CPU share: one vCPU of CPU time per 1,769 MB of memory, six at most (10,240 MB). */
export const MB_PER_VCPU = 1769;

/**
 * k-means threads for a function of `memoryMb` (KMEANS_THREADS): its vCPU share rounded, so 3,008 MB (1.7 vCPU) runs
 * two threads and 1,769 or 2,048 MB one. The share is a CPU-time quota: extra threads beyond it only contend.
 */
export function kmeansThreadsFor(memoryMb: number): number {
  return Math.max(1, Math.min(6, Math.round(memoryMb / MB_PER_VCPU)));
}

/**
 * An SQS on-failure destination granting the function's role sqs:SendMessage only, what Lambda uses to deliver a
 * failed asynchronous invocation (aws-lambda-destinations' SqsDestination grants GetQueueAttributes and GetQueueUrl too,
 * which nothing calls: test/iam/grants.test.ts lists every grant against the calls made).
 */
function sendOnlyQueueDestination(queue: sqs.IQueue): lambda.IDestination {
  return {
    bind(_scope, fn) {
      fn.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queue.queueArn] }));
      return { destination: queue.queueArn };
    },
  };
}


export interface SecureFunctionProps {
  /** Entry file `lambdas/handlers/<handlerName>.ts`, exporting `handler`. */
  readonly handlerName: HandlerName;
  readonly description: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  /** Contract names only (lambdas/contract/env.ts). */
  readonly environment: ContractEnv;
  /** Reserved concurrency; undefined = unreserved. */
  readonly reservedConcurrentExecutions?: number;
  /**
   * How asynchronous invocations (S3 notification, EventBridge, InvocationType Event) are handled: retries (0-2) and
   * how long an event may wait, before it goes to the function's SQS failure queue. Unset for a function only ever
   * invoked synchronously (by Step Functions, which retries and records failures itself): it gets no failure queue,
   * so its role gets no sqs:SendMessage that nothing would use.
   */
  readonly asyncInvocation?: { readonly retryAttempts: number; readonly maxEventAge: Duration };
  /** The function fits k-means models (train, stability, the distributed compute): it gets KMEANS_THREADS. */
  readonly fitsModels?: boolean;
}

/** The function's name in its log lines and metrics (Powertools' service): `distributed/compute` -> `distributed-compute`. */
export function serviceNameOf(handlerName: HandlerName): string {
  return handlerName.replace('/', '-');
}

/** The environment of a function: its own settings and what every function gets. */
function functionEnvironment(props: SecureFunctionProps): Record<string, string> {
  const env: ContractEnv = {
    ...props.environment,
    // Stack traces point at the TypeScript sources (the bundle ships a source map).
    [COMMON_ENV.nodeOptions]: '--enable-source-maps',
    // k-means threads (main + workers) of the handlers that fit models; see kmeansThreadsFor.
    ...(props.fitsModels ? { [COMMON_ENV.kmeansThreads]: String(kmeansThreadsFor(props.memorySize)) } : {}),
    // Powertools Logger and Metrics (lambdas/handlers/observability.ts): the service in every line, the namespace of the
    // metrics the alarms watch.
    [COMMON_ENV.serviceName]: serviceNameOf(props.handlerName),
    [COMMON_ENV.metricsNamespace]: METRICS_NAMESPACE,
  };
  return env as Record<string, string>;
}

/**
 * A bundled Node.js function with the stack's defaults: nodejs22.x on arm64, X-Ray active tracing, its own
 * log group with retention, its own least-privilege role (no AWS managed policy), minified bundle with
 * source maps, and (for asynchronously invoked functions) an asynchronous-invocation config with retries and an
 * encrypted SQS on-failure destination.
 */
export class SecureFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  /** On-failure destination of asynchronous invocations (none for a function invoked synchronously only). */
  readonly failureQueue?: sqs.Queue;
  readonly handlerName: HandlerName;

  constructor(scope: Construct, id: string, props: SecureFunctionProps) {
    super(scope, id);
    this.handlerName = props.handlerName;

    // Own role instead of the default one, which would attach the AWS managed AWSLambdaBasicExecutionRole
    // (logs:* on every log group). Log permissions are granted on this function's log group only.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the segmentation ${props.handlerName} function`,
    });
    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: LOG_RETENTION,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.logGroup.grantWrite(this.role);

    if (props.asyncInvocation) this.failureQueue = createFailureQueue(this, 'FailureQueue');

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: path.join(PROJECT_ROOT, 'lambdas', 'handlers', `${props.handlerName}.ts`),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      description: props.description,
      runtime: LAMBDA_RUNTIME,
      architecture: LAMBDA_ARCHITECTURE,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      tracing: lambda.Tracing.ACTIVE,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      environment: functionEnvironment(props),
      bundling: {
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        target: 'node22',
        format: nodejs.OutputFormat.CJS,
        // Bundle the AWS SDK too: versions are the ones locked in package-lock.json and tested locally,
        // not whatever the managed runtime ships. A handler importing an SDK client that is not a
        // dependency fails the synth (early) instead of the first invocation.
        externalModules: [],
        logLevel: nodejs.LogLevel.ERROR,
        // The report renderer evaluates Vega's and Vega-Lite's self-contained UMD builds at run time
        // (lambdas/core/report/vegaRuntime.ts); they are copied next to the bundle, not bundled.
        // k-means worker threads need a file to start from, which the single handler bundle is not: the worker is
        // bundled on its own, with the same esbuild and settings, beside index.js (without it k-means runs on one
        // thread; test/infra/segmentation-stack.test.ts "bundles" fails).
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (inputDir: string, outputDir: string) => [
            ...VEGA_BUILDS.map((f) => `cp "${inputDir}/node_modules/${f}" "${outputDir}/"`),
            `"${inputDir}/node_modules/.bin/esbuild" "${inputDir}/${KMEANS_WORKER_SOURCE}" --bundle --platform=node --target=node22 --format=cjs --minify --sourcemap --sources-content=false --log-level=error --outfile="${outputDir}/${KMEANS_WORKER_BUNDLE}"`,
          ],
        },
      },
      // Asynchronous invocations (S3 notification, EventBridge, invoke with InvocationType=Event).
      ...(props.asyncInvocation && this.failureQueue
        ? { retryAttempts: props.asyncInvocation.retryAttempts, maxEventAge: props.asyncInvocation.maxEventAge, onFailure: sendOnlyQueueDestination(this.failureQueue) }
        : {}),
    });

    const cfnFunction = this.function.node.defaultChild as lambda.CfnFunction;
    const pinnedRuntime =
      'Runtime pinned to nodejs22.x on purpose (project standard, matches the toolchain the handlers are tested with; supported by Lambda until 2027). nodejs24.x is adopted in a deliberate upgrade.';
    Validations.of(cfnFunction).acknowledge({ id: 'AwsSolutions-L1', reason: pinnedRuntime });
    Validations.of(cfnFunction).acknowledge({ id: 'Serverless-LambdaLatestVersion', reason: pinnedRuntime });
    Validations.of(cfnFunction).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason: props.asyncInvocation
        ? 'Failed asynchronous invocations go to an encrypted SQS on-failure destination (EventInvokeConfig), which AWS recommends over a DLQ (it also records the error and request context). Adding a DLQ as well would deliver every failure twice.'
        : 'Invoked by Step Functions tasks (synchronously: a failure returns to the state machine, which retries it and records it in the execution history); the distributed publish function is also the target of the ExecutionEnded rule, whose undeliverable events go to that rule target\'s own dead-letter queue, alarmed.',
    });
    // The only statement that AWS requires on "*": X-Ray (no resource-level permissions), which active tracing needs.
    // test/infra asserts that no other statement of these roles uses Resource "*".
    Validations.of(policyOf(this.role)).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'Only xray:PutTraceSegments/PutTelemetryRecords use Resource "*": X-Ray supports no resource-level permissions, and Lambda active tracing needs them.',
    });
  }

  /** The failure queue of a function invoked asynchronously (alarms watch it). */
  asyncFailureQueue(): sqs.Queue {
    if (!this.failureQueue) throw new Error(`the ${this.handlerName} function is invoked synchronously only and has no failure queue`);
    return this.failureQueue;
  }

  get functionName(): string {
    return this.function.functionName;
  }

  get functionArn(): string {
    return this.function.functionArn;
  }

  /**
   * Lets `grantee` invoke this function (unqualified ARN only; no `:*` alias/version wildcard, which
   * `grantInvoke` would add).
   */
  grantInvokeUnqualified(grantee: iam.IRole): void {
    grantee.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.function.functionArn] }),
    );
  }

  /**
   * events:PutEvents on the default bus, only with source {@link EVENT_SOURCE} and the given detail types.
   * events:source and events:detail-type are multivalued keys (one value per entry of the request), which IAM only
   * matches with a set operator: `ForAllValues` (every entry is ours), with `Null: false` so that a request without
   * the keys is not allowed by the empty set. A plain StringEquals on them never matches (the local IAM evaluator,
   * lambdas/local/iam/, found it).
   */
  allowPutSegmentEvents(detailTypes: DetailType[]): void {
    const stack = Stack.of(this);
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['events:PutEvents'],
        resources: [stack.formatArn({ service: 'events', resource: 'event-bus', resourceName: EVENT_BUS_NAME })],
        conditions: {
          'ForAllValues:StringEquals': { 'events:source': [EVENT_SOURCE], 'events:detail-type': detailTypes },
          Null: { 'events:source': 'false', 'events:detail-type': 'false' },
        },
      }),
    );
  }
}
