/**
 * Secure defaults, in one place: bucket props, failure queues, the Lambda function wrapper, and the
 * narrowly scoped grants / cdk-nag acknowledgements that go with them. The other constructs only
 * compose these helpers, so a security default is changed here and nowhere else.
 */
import * as path from 'node:path';
import { CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, IConstruct } from 'constructs';
import { DetailType, EVENT_BUS_NAME, EVENT_SOURCE } from '../../lambdas/pipeline/events';

// The event contract lives with the functions (one module both import); re-exported for the constructs.
export { EVENT_BUS_NAME, EVENT_SOURCE };

/** Repository root (this file lives in lib/constructs/). */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

/**
 * CloudWatch namespace of the pipeline's custom metrics. They are emitted as Embedded Metric Format log lines
 * (lambdas/pipeline/log.ts), which CloudWatch Logs turns into metrics: no cloudwatch:PutMetricData call, no grant.
 */
export const METRICS_NAMESPACE = 'Segments';
/** Custom metric emitted (value 1, unit Count, no dimensions) each time a pipeline run fails. */
export const FAILED_RUNS_METRIC = 'FailedRuns';

export const LAMBDA_RUNTIME = lambda.Runtime.NODEJS_22_X;
export const LAMBDA_ARCHITECTURE = lambda.Architecture.ARM_64;
export const LOG_RETENTION = logs.RetentionDays.THREE_MONTHS;
/** SQS maximum: failures stay available for inspection / replay for two weeks. */
export const FAILURE_RETENTION = Duration.days(14);

// ---------------------------------------------------------------------------------------------
// S3
// ---------------------------------------------------------------------------------------------

export interface SecureBucketOptions {
  /** S3-managed keys (default) or a customer-managed KMS key. */
  readonly encryptionKey?: kms.IKey;
  /** Destination of the server access logs; undefined only for the log bucket itself. */
  readonly serverAccessLogsBucket?: s3.IBucket;
  readonly serverAccessLogsPrefix?: string;
  /** How long overwritten/deleted object versions are kept. */
  readonly noncurrentVersionExpiration?: Duration;
  /** Extra lifecycle rules (appended to the noncurrent-version rule). */
  readonly lifecycleRules?: s3.LifecycleRule[];
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Props for every bucket of the stack: encrypted (SSE-S3, or SSE-KMS with a bucket key), TLS-only bucket
 * policy, all public access blocked, ACLs disabled, versioned, noncurrent versions and incomplete
 * multipart uploads expired, server access logs to the dedicated log bucket, retained on stack deletion.
 */
export function secureBucketProps(options: SecureBucketOptions = {}): s3.BucketProps {
  return {
    ...(options.encryptionKey
      ? { encryption: s3.BucketEncryption.KMS, encryptionKey: options.encryptionKey, bucketKeyEnabled: true }
      : { encryption: s3.BucketEncryption.S3_MANAGED }),
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    versioned: true,
    serverAccessLogsBucket: options.serverAccessLogsBucket,
    serverAccessLogsPrefix: options.serverAccessLogsPrefix,
    lifecycleRules: [
      {
        id: 'expire-noncurrent-versions',
        enabled: true,
        noncurrentVersionExpiration: options.noncurrentVersionExpiration ?? Duration.days(30),
        abortIncompleteMultipartUploadAfter: Duration.days(7),
      },
      ...(options.lifecycleRules ?? []),
    ],
    removalPolicy: options.removalPolicy ?? RemovalPolicy.RETAIN,
  };
}

export interface PrefixAccess {
  /** Prefixes (ending with '/') whose objects may be read (s3:GetObject). */
  readonly read?: string[];
  /** Prefixes whose objects are written whole (s3:PutObject). */
  readonly write?: string[];
  /**
   * Prefixes whose objects may be uploaded in parts (BlobStore.putStream through @aws-sdk/lib-storage, above one 8 MiB
   * part): s3:PutObject, and s3:AbortMultipartUpload, which lib-storage calls when such an upload fails.
   */
  readonly writeMultipart?: string[];
  /** Prefixes that may be listed (s3:ListBucket on the bucket, with an s3:prefix condition). */
  readonly list?: string[];
  /** Prefixes whose objects may be tagged (s3:PutObjectTagging: marking superseded artifacts for their lifecycle rule). */
  readonly tag?: string[];
}

/** The cdk-nag finding id for an object-prefix resource `<bucket ARN>/<prefix>*` in a role's policy. */
function objectPrefixFinding(bucket: s3.IBucket, prefix: string): string {
  const cfnBucket = bucket.node.defaultChild as CfnElement;
  return `AwsSolutions-IAM5[Resource::<${Stack.of(bucket).getLogicalId(cfnBucket)}.Arn>/${prefix}*]`;
}

/** The role's default policy (where grants land), to scope acknowledgements to it; the role if none yet. */
export function policyOf(role: iam.IRole): IConstruct {
  return role.node.tryFindChild('DefaultPolicy') ?? role;
}

/**
 * Grants object access limited to key prefixes, with explicit actions (no `s3:*`, no `Get*`).
 * Object ARNs need a trailing `*` (object keys contain dataset ids / model versions only known at
 * run time); the prefix is the narrowest scope, so each of these exact findings is acknowledged here.
 */
/** Vega builds the report renderer loads from the bundle directory in Lambda. */
export const VEGA_BUILDS = ['vega/build/vega.js', 'vega-lite/build/vega-lite.min.js'];

/** The k-means worker thread entry, bundled on its own next to each handler (lambdas/core/cluster/workerPool.ts). */
export const KMEANS_WORKER_SOURCE = 'lambdas/core/cluster/kmeansWorker.ts';
/** Its file name in the bundle directory; workerPool.entryPoint() looks for it beside the handler's index.js. */
export const KMEANS_WORKER_BUNDLE = 'kmeans-worker.js';
/** Lambda's CPU share: one vCPU of CPU time per 1,769 MB of memory, six at most (10,240 MB). */
export const MB_PER_VCPU = 1769;

/**
 * k-means threads for a function of `memoryMb` (KMEANS_THREADS): its vCPU share rounded, so 3,008 MB (1.7 vCPU) runs
 * two threads and 1,769 or 2,048 MB one. The share is a CPU-time quota: extra threads beyond it only contend.
 */
export function kmeansThreadsFor(memoryMb: number): number {
  return Math.max(1, Math.min(6, Math.round(memoryMb / MB_PER_VCPU)));
}

export function grantPrefixAccess(role: iam.IRole, bucket: s3.IBucket, access: PrefixAccess): void {
  const acknowledged = new Set<string>();
  const objects = (prefixes: string[]) => prefixes.map((p) => bucket.arnForObjects(`${p}*`));
  const ack = (prefixes: string[]) => {
    for (const prefix of prefixes) {
      const id = objectPrefixFinding(bucket, prefix);
      if (acknowledged.has(id)) continue;
      acknowledged.add(id);
      // Scoped to this role's policy and to this exact bucket/prefix resource.
      Validations.of(policyOf(role)).acknowledge({
        id,
        reason: `Object-level access is limited to the "${prefix}" key prefix; object keys (dataset ids, model versions) are only known at run time, so a prefix wildcard is the narrowest possible resource.`,
      });
    }
  };
  if (access.read?.length) {
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: objects(access.read) }));
    ack(access.read);
  }
  if (access.write?.length) {
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: objects(access.write) }));
    ack(access.write);
  }
  if (access.writeMultipart?.length) {
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject', 's3:AbortMultipartUpload'], resources: objects(access.writeMultipart) }));
    ack(access.writeMultipart);
  }
  if (access.tag?.length) {
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:PutObjectTagging'], resources: objects(access.tag) }));
    ack(access.tag);
  }
  if (access.list?.length) {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': access.list.map((p) => `${p}*`) } },
      }),
    );
  }
}

// ---------------------------------------------------------------------------------------------
// SQS failure queues
// ---------------------------------------------------------------------------------------------

/**
 * A terminal failure queue (Lambda on-failure destination or EventBridge target DLQ): SSE-SQS
 * encryption, TLS-only queue policy, 14 days retention.
 */
export function createFailureQueue(scope: Construct, id: string): sqs.Queue {
  const queue = new sqs.Queue(scope, id, {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: FAILURE_RETENTION,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const cfnQueue = queue.node.defaultChild as sqs.CfnQueue;
  // cdk-nag only recognises a queue as a DLQ when it is referenced by another queue's RedrivePolicy or a
  // function's DeadLetterConfig; Lambda on-failure destinations and EventBridge target DLQs are not detected.
  Validations.of(cfnQueue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason: 'This queue is itself a dead-letter queue (Lambda on-failure destination or EventBridge target DLQ); cdk-nag does not detect these DLQ usages.',
  });
  Validations.of(cfnQueue).acknowledge({
    id: 'Serverless-SQSRedrivePolicy',
    reason: 'Terminal dead-letter queue with no consumer: there is nothing to redrive it to; messages are inspected/replayed by an operator and an alarm fires on the first visible message.',
  });
  return queue;
}

// ---------------------------------------------------------------------------------------------
// Lambda
// ---------------------------------------------------------------------------------------------

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

/** A handler file under lambdas/handlers/ (without .ts); the distributed path's live in lambdas/handlers/distributed/. */
export type HandlerName = 'ingest' | 'train' | 'stability' | 'distributed/compute' | 'distributed/publish';

export interface SecureFunctionProps {
  /** Entry file `lambdas/handlers/<handlerName>.ts`, exporting `handler`. */
  readonly handlerName: HandlerName;
  readonly description: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly environment: Record<string, string>;
  /** Reserved concurrency; undefined = unreserved. */
  readonly reservedConcurrentExecutions?: number;
  /**
   * How asynchronous invocations (S3 notification, EventBridge, InvocationType Event) are handled: retries (0-2) and
   * how long an event may wait, before it goes to the function's SQS failure queue. Unset for a function only ever
   * invoked synchronously (by Step Functions, which retries and records failures itself): it gets no failure queue,
   * so its role gets no sqs:SendMessage that nothing would use.
   */
  readonly asyncInvocation?: { readonly retryAttempts: number; readonly maxEventAge: Duration };
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
      environment: {
        ...props.environment,
        // Stack traces point at the TypeScript sources (the bundle ships a source map).
        NODE_OPTIONS: '--enable-source-maps',
        // k-means threads (main + workers) of the handlers that fit models; see kmeansThreadsFor.
        KMEANS_THREADS: String(kmeansThreadsFor(props.memorySize)),
      },
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
