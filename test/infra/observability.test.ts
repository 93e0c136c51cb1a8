/**
 * The functions' logs, metrics and traces in Lambda (lambdas/handlers/observability.ts, Powertools): the lines as
 * CloudWatch receives them on stdout/stderr, and the SDK clients captured for X-Ray when tracing is on.
 */
import { METRICS_NAMESPACE, METRIC_NAMES } from '../../lambdas/contract';
import { powertools } from '../../lambdas/handlers/observability';
import { awsRuntime } from '../../lambdas/handlers/runtime';

/** What Powertools writes during `run`, one parsed JSON object per line (it writes through its own Console). */
async function captured(run: () => Promise<void>): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  const grab = (chunk: unknown) => (lines.push(...String(chunk).split('\n').filter(Boolean)), true);
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(grab);
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(grab);
  try {
    await run();
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
}

const lambdaContext = (awsRequestId: string) => ({ awsRequestId, functionName: 'SegmentationStack-Ingest', functionVersion: '$LATEST', invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:SegmentationStack-Ingest', memoryLimitInMB: '2048' });

describe('Powertools in Lambda', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  });

  test('every line carries the service, the request id and cold start; a later invocation is warm', async () => {
    // Set by Lambda in an on-demand container (Powertools reports no cold start for provisioned concurrency).
    process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand';
    const obs = powertools('ingest', { POWERTOOLS_SERVICE_NAME: 'ingest' });
    const lines = await captured(async () => {
      await obs.invocation(lambdaContext('req-1'), async () => {
        obs.log.info('dataset claimed', { datasetId: 'd1' });
        obs.log.warn('table tolerated', { rows: 2 });
      });
      await obs.invocation(lambdaContext('req-2'), async () => obs.log.error('ingest failed', { error: 'bad header' }));
    });
    expect(lines).toEqual([
      expect.objectContaining({ level: 'INFO', message: 'dataset claimed', service: 'ingest', function_request_id: 'req-1', cold_start: true, datasetId: 'd1' }),
      expect.objectContaining({ level: 'WARN', message: 'table tolerated', function_request_id: 'req-1', cold_start: true, rows: 2 }),
      expect.objectContaining({ level: 'ERROR', message: 'ingest failed', function_request_id: 'req-2', cold_start: false, error: 'bad header' }),
    ]);
  });

  test('a metric is one EMF line at once: the namespace and name the alarm watches, no dimension', async () => {
    const obs = powertools('ingest', { POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE });
    const lines = await captured(async () => {
      obs.log.metric(METRIC_NAMES.failedRuns, 1);
      obs.log.metric(METRIC_NAMES.modelVersionsDeleted, 3);
    });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Namespace: 'Segments', Dimensions: [[]], Metrics: [{ Name: 'FailedRuns', Unit: 'Count' }] }] },
      FailedRuns: 1,
    });
    // Nothing else that could be a dimension value (the service is not one: the alarm's metric has none).
    expect(Object.keys(lines[0]).sort()).toEqual(['FailedRuns', '_aws']);
    expect(lines[1]).toMatchObject({ _aws: { CloudWatchMetrics: [{ Dimensions: [[]], Metrics: [{ Name: 'ModelVersionsDeleted' }] }] }, ModelVersionsDeleted: 3 });
  });

  describe('Tracer', () => {    const traced = (client: { middlewareStack: { identify(): string[] } }) => client.middlewareStack.identify().some((m) => /xray/i.test(m));

    test("in Lambda the stores' S3 and DynamoDB clients are captured", () => {
      process.env.AWS_EXECUTION_ENV = 'AWS_Lambda_nodejs22.x';
      const rt = awsRuntime('train', { AWS_REGION: 'us-east-1', ARTIFACTS_BUCKET: 'a', TABLE_NAME: 't' });
      try {
        expect([traced(rt.stores.s3), traced(rt.stores.dynamo)]).toEqual([true, true]);
      } finally {
        rt.stores.s3.destroy();
        rt.stores.dynamo.destroy();
      }
    });

    test('off with POWERTOOLS_TRACE_ENABLED=false (the local runtime), and outside Lambda', () => {
      process.env.AWS_EXECUTION_ENV = 'AWS_Lambda_nodejs22.x';
      process.env.POWERTOOLS_TRACE_ENABLED = 'false';
      const off = awsRuntime('train', { AWS_REGION: 'us-east-1' });
      delete process.env.AWS_EXECUTION_ENV;
      delete process.env.POWERTOOLS_TRACE_ENABLED;
      const outside = awsRuntime('train', { AWS_REGION: 'us-east-1' });
      try {
        expect([traced(off.stores.s3), traced(outside.stores.s3)]).toEqual([false, false]);
      } finally {
        for (const rt of [off, outside]) (rt.stores.s3.destroy(), rt.stores.dynamo.destroy());
      }
    });
  });
});
