/**
 * Every environment variable the stack sets on a function or a function reads: the one list both lib/ (what it sets)
 * and the functions' config parsers (lambdas/handlers/config.ts, what they read) import. test/infra/contract.test.ts
 * checks both sides against it.
 */

/** Set by the stack on every function (lib/constructs/lambda-defaults.ts, pipeline-functions.ts commonEnvironment). */
export const COMMON_ENV = {
  artifactsBucket: 'ARTIFACTS_BUCKET',
  tableName: 'TABLE_NAME',
  eventBusName: 'EVENT_BUS_NAME',
  eventSource: 'EVENT_SOURCE',
  /** CloudWatch namespace of the functions' metrics (Powertools Metrics reads POWERTOOLS_METRICS_NAMESPACE). */
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
  /** The function's name in its log lines and metrics (Powertools). */
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  /** 'false' turns Powertools Tracer off (the local runtime; in Lambda X-Ray active tracing is on). */
  traceEnabled: 'POWERTOOLS_TRACE_ENABLED',
  /** k-means threads, from the memory size (lambda-defaults.ts kmeansThreadsFor). */
  kmeansThreads: 'KMEANS_THREADS',
  /** Source-mapped stack traces (set by the stack, read by Node, not by our code). */
  nodeOptions: 'NODE_OPTIONS',
} as const;

/** Read by lambdas/store/config.ts (which keeps its own ENV object of the same values: test/infra/contract.test.ts). */
export const STORE_ENV = {
  rawBucket: 'RAW_BUCKET',
  artifactsBucket: COMMON_ENV.artifactsBucket,
  tableName: COMMON_ENV.tableName,
  /** Local endpoints (lambdas/local/): unset in AWS. */
  s3Endpoint: 'SEGMENTS_S3_ENDPOINT',
  dynamoEndpoint: 'SEGMENTS_DYNAMODB_ENDPOINT',
  eventsEndpoint: 'SEGMENTS_EVENTS_ENDPOINT',
} as const;

/** Ingest's routing inputs (lambdas/pipeline/route.ts), set by lib/constructs/distributed-pipeline.ts. */
export const ROUTE_ENV = {
  /** JSON of SinglePathLimits: the deployed functions' timeouts and memory and the write budget. */
  limits: 'SINGLE_PATH_LIMITS',
  /** Override of the threshold (people): distributed above it (CDK context distributedAbove). */
  above: 'DISTRIBUTED_ABOVE',
  /** The distributed path's state machine, started by ingest. */
  stateMachine: 'STATE_MACHINE_ARN',
  /** People per partition of a run ingest starts (default plan.ts PARTITION_PEOPLE; lower in tests). */
  partitionPeople: 'DISTRIBUTED_PARTITION_PEOPLE',
} as const;

/** Per-function settings the stack sets from lib/config.ts. */
export const FUNCTION_ENV = {
  /** ingest and stability start train through it (train itself uses its own name, AWS_LAMBDA_FUNCTION_NAME). */
  trainFunctionName: 'TRAIN_FUNCTION_NAME',
  maxUploadBytes: 'MAX_UPLOAD_BYTES',
  maxInvalidRows: 'MAX_INVALID_ROWS',
  /** The table's write budget (assignment items/s): train, and publish (shared by WRITERS writers). */
  writeRatePerSecond: 'WRITE_RATE_PER_SECOND',
  writers: 'WRITERS',
  fixedK: 'FIXED_K',
  ariThreshold: 'ARI_THRESHOLD',
  autoRetrain: 'AUTO_RETRAIN',
  keepVersions: 'KEEP_VERSIONS',
} as const;

/** Settings the stack never sets: defaults in AWS, lowered or switched off by the local stack and the tests. */
export const TUNING_ENV = {
  cadenceDays: 'CADENCE_DAYS',
  runLeaseMs: 'RUN_LEASE_MS',
  runHandoffMs: 'RUN_HANDOFF_MS',
  writeStopMarginMs: 'WRITE_STOP_MARGIN_MS',
  trainSweep: 'TRAIN_SWEEP',
  trainCompare: 'TRAIN_COMPARE',
  trainReports: 'TRAIN_REPORTS',
} as const;

/** Set by the Lambda service itself (read, never set by the stack). */
export const LAMBDA_ENV = {
  functionName: 'AWS_LAMBDA_FUNCTION_NAME',
} as const;

type Values<T> = T[keyof T];
export type EnvName =
  | Values<typeof COMMON_ENV>
  | Values<typeof STORE_ENV>
  | Values<typeof ROUTE_ENV>
  | Values<typeof FUNCTION_ENV>
  | Values<typeof TUNING_ENV>
  | Values<typeof LAMBDA_ENV>;

/** Every name of the contract. */
export const ENV_NAMES: ReadonlySet<string> = new Set<string>(
  [COMMON_ENV, STORE_ENV, ROUTE_ENV, FUNCTION_ENV, TUNING_ENV, LAMBDA_ENV].flatMap((group) => Object.values(group)),
);

/** A function's environment as the stack writes it: keys are contract names only (a typo fails to compile). */
export type ContractEnv = Partial<Record<EnvName, string>>;
