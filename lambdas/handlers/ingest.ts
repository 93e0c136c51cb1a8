/** Lambda: S3 ObjectCreated under incoming/ -> ingest (lambdas/pipeline/ingest.ts). */
import { ingestUpload, IngestOutcome } from '../pipeline/ingest';
import { decodeS3EventKey } from '../store/s3-event-key';
import { InvocationContext, S3NotificationEvent } from './events';
import { leaseTimesFor } from '../pipeline/lease';
import { awsRuntime, inInvocation, Runtime } from './runtime';
import { configOf, parseIngestConfig } from './config';

// The routing's environment is parsed with the rest of ingest's config (config.ts).
export { routeFromEnv } from './config';

export function createIngestHandler(runtime: () => Runtime) {
  return async (event: S3NotificationEvent, context?: InvocationContext): Promise<IngestOutcome[]> => {
    const rt = runtime();
    const config = configOf(rt, parseIngestConfig);
    return inInvocation(rt, context, async () => {
      const deps = {
        raw: rt.stores.raw,
        artifacts: rt.stores.artifacts,
        segments: rt.stores.segments,
        suppression: () => rt.stores.personalData.suppression(),
        startTraining: rt.startTraining,
        startDistributed: rt.startDistributed,
        route: config.route,
        log: rt.log,
        maxUploadBytes: config.maxUploadBytes,
        maxInvalidRows: config.maxInvalidRows,
        // The lease: owned by this invocation's request id, for its remaining time + a margin (lease.ts).
        leaseTimes: leaseTimesFor(config.lease, context?.getRemainingTimeInMillis()),
        leaseOwner: context?.awsRequestId,
      };
      const outcomes: IngestOutcome[] = [];
      for (const record of event.Records ?? []) outcomes.push(await ingestUpload(deps, decodeS3EventKey(record.s3.object.key)));
      return outcomes;
    });
  };
}

let cached: Runtime | undefined;
export const handler = createIngestHandler(() => (cached ??= awsRuntime('ingest')));
