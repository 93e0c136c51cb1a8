/** Lambda: S3 ObjectCreated under incoming/ -> ingest (lambdas/pipeline/ingest.ts). */
import { ingestUpload, IngestOutcome } from '../pipeline/ingest';
import { decodeS3EventKey } from '../store/s3-event-key';
import { InvocationContext, S3NotificationEvent } from './events';
import { leaseTimesFromEnv } from '../pipeline/lease';
import { awsRuntime, numberFromEnv, Runtime } from './runtime';
import { DEPLOYED_LIMITS, ROUTE_ENV, type SinglePathLimits } from '../pipeline/route';

/** The routing's inputs (lib/constructs/distributed-pipeline.ts sets them; locally the deployed defaults). */
export function routeFromEnv(env: Record<string, string | undefined>): { limits: SinglePathLimits; above?: number; partitionPeople?: number } {
  const raw = env[ROUTE_ENV.limits];
  let limits = DEPLOYED_LIMITS;
  if (raw) {
    try {
      limits = { ...DEPLOYED_LIMITS, ...(JSON.parse(raw) as Partial<SinglePathLimits>) };
    } catch {
      throw new Error(`environment variable ${ROUTE_ENV.limits} is not JSON: ${raw}`);
    }
  }
  return { limits, above: numberFromEnv(env, ROUTE_ENV.above), partitionPeople: numberFromEnv(env, ROUTE_ENV.partitionPeople) };
}

export function createIngestHandler(runtime: () => Runtime) {
  return async (event: S3NotificationEvent, context?: InvocationContext): Promise<IngestOutcome[]> => {
    const rt = runtime();
    const deps = {
      raw: rt.stores.raw,
      artifacts: rt.stores.artifacts,
      segments: rt.stores.segments,
      suppression: () => rt.stores.personalData.suppression(),
      startTraining: rt.startTraining,
      startDistributed: rt.startDistributed,
      route: routeFromEnv(rt.env),
      log: rt.log,
      maxUploadBytes: numberFromEnv(rt.env, 'MAX_UPLOAD_BYTES'),
      maxInvalidRows: numberFromEnv(rt.env, 'MAX_INVALID_ROWS'),
      // The lease: owned by this invocation's request id, for its remaining time + a margin (lease.ts).
      leaseTimes: leaseTimesFromEnv(rt.env, context?.getRemainingTimeInMillis()),
      leaseOwner: context?.awsRequestId,
    };
    const outcomes: IngestOutcome[] = [];
    for (const record of event.Records ?? []) outcomes.push(await ingestUpload(deps, decodeS3EventKey(record.s3.object.key)));
    return outcomes;
  };
}

let cached: Runtime | undefined;
export const handler = createIngestHandler(() => (cached ??= awsRuntime('ingest')));
