/** Lambda: S3 ObjectCreated under incoming/ -> ingest (lambdas/pipeline/ingest.ts). */
import { ingestUpload, IngestOutcome } from '../pipeline/ingest';
import { decodeS3EventKey } from '../store/s3-event-key';
import { InvocationContext, S3NotificationEvent } from './events';
import { leaseTimesFromEnv } from '../pipeline/lease';
import { awsRuntime, numberFromEnv, Runtime } from './runtime';

export function createIngestHandler(runtime: () => Runtime) {
  return async (event: S3NotificationEvent, context?: InvocationContext): Promise<IngestOutcome[]> => {
    const rt = runtime();
    const deps = {
      raw: rt.stores.raw,
      artifacts: rt.stores.artifacts,
      segments: rt.stores.segments,
      suppression: () => rt.stores.personalData.suppression(),
      startTraining: rt.startTraining,
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
