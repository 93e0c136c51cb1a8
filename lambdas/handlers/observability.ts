/**
 * Logs, metrics and traces of a function in Lambda, through Powertools for AWS Lambda (TypeScript):
 * - Logger: one JSON object per line with the service, the request id and cold start (from the invocation's context);
 * - Metrics: the pipeline's count metrics (lambdas/contract/metrics.ts) as Embedded Metric Format lines, published at
 *   once and without dimensions (the alarms watch the dimensionless metric), so no API call or permission is needed;
 * - Tracer: the AWS SDK clients captured (X-Ray active tracing is on in the stack) and a subsegment per invocation with
 *   the cold start and service annotations.
 * The pipeline keeps its small `Log` interface (lambdas/pipeline/log.ts); this is its Lambda implementation. The local
 * runtime gives the functions its own readable sink instead, and Tracer is off there (POWERTOOLS_TRACE_ENABLED=false).
 *
 * Tracer is loaded only when tracing is on: loading it loads the X-Ray SDK, which at once enables an async hook
 * (cls-hooked) on every promise and timer of the process, tracing or not. In the local runtime, the CLI and the tests
 * that hook cost ~5% of the CPU of a pipeline test (profile of test/pipeline/faults.test.ts).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { COMMON_ENV } from '../contract/env';
import { METRICS_NAMESPACE } from '../contract/metrics';
import type { Log } from '../pipeline/log';
import type { ClientHooks } from '../store/config';
import type { Env } from './config';

/** The parts of Lambda's context Powertools Logger reads (the local runtime's context has the request id only). */
export interface LoggedContext {
  awsRequestId: string;
  functionName?: string;
  functionVersion?: string;
  invokedFunctionArn?: string;
  memoryLimitInMB?: string;
}

export interface Observability {
  log: Log;
  /** Capture of the SDK clients the stores create (S3, DynamoDB, EventBridge). */
  clientHooks: ClientHooks;
  /** Captures one more client (Lambda, Step Functions). */
  capture<C>(client: C): C;
  /** Runs one invocation: its context on every log line, its trace subsegment, its error recorded on the trace. */
  invocation<T>(context: LoggedContext | undefined, body: () => Promise<T>): Promise<T>;
}

/** Logger and Metrics write to stdout/stderr, as Lambda's log agent reads them (Powertools' own Console). */
export function powertools(service: string, env: Env = process.env): Observability {
  const serviceName = env[COMMON_ENV.serviceName] || service;
  const logger = new Logger({ serviceName });
  const metrics = new Metrics({ serviceName, namespace: env[COMMON_ENV.metricsNamespace] || METRICS_NAMESPACE });
  // Powertools adds the service as a default dimension; the alarms watch the metric without any.
  metrics.clearDefaultDimensions();
  const tracer = loadTracer(serviceName, env);
  const capture = <C>(client: C): C => (tracer?.isTracingEnabled() ? (tracer.captureAWSv3Client(client as never) as C) : client);
  const log: Log = {
    info: (message, fields) => logger.info(message, { ...fields }),
    warn: (message, fields) => logger.warn(message, { ...fields }),
    error: (message, fields) => logger.error(message, { ...fields }),
    metric: (name, value) => {
      // An empty dimension set: EMF `Dimensions: [[]]`, the metric itself with no dimension.
      metrics.addDimensions({});
      metrics.addMetric(name, MetricUnit.Count, value);
      metrics.publishStoredMetrics();
    },
  };
  return {
    log,
    clientHooks: { s3: (c) => void capture(c), dynamo: (c) => void capture(c), events: (c) => void capture(c) },
    capture,
    async invocation(context, body) {
      if (context) logger.addContext(context as never);
      if (!tracer?.isTracingEnabled()) return body();
      // Powertools' manual instrumentation: a subsegment of Lambda's facade segment for the handler.
      const segment = tracer.getSegment();
      const subsegment = segment?.addNewSubsegment(`## ${serviceName}`);
      if (subsegment) tracer.setSegment(subsegment);
      tracer.annotateColdStart();
      tracer.addServiceNameAnnotation();
      try {
        return await body();
      } catch (err) {
        tracer.addErrorAsMetadata(err as Error);
        throw err;
      } finally {
        subsegment?.close();
        if (segment) tracer.setSegment(segment);
      }
    },
  };
}

/** Powertools Tracer, unless tracing is turned off (then not even loaded: see the header). */
function loadTracer(serviceName: string, env: Env): Tracer | undefined {
  if (env[COMMON_ENV.traceEnabled]?.toLowerCase() === 'false') return undefined;
  const tracer = require('@aws-lambda-powertools/tracer') as typeof import('@aws-lambda-powertools/tracer');
  return new tracer.Tracer({ serviceName });
}
