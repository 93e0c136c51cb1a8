/**
 * `segments start --serve`: the local stack as a service (lambdas/local/serve.ts), for people. Prints the endpoints as
 * `export` lines to paste into a shell, then one line per thing the stack does (each function invocation and its
 * outcome, each event published, each scheduled check) until Ctrl-C or SIGTERM, which stop it cleanly: the timer
 * stops, running invocations finish, the servers close, endpoints.json is removed. A second signal aborts at once.
 */
import { DETAIL_TYPES, type ModelActivatedDetail } from '../../pipeline/events';
import type { IngestOutcome } from '../../pipeline/ingest';
import type { StabilityOutcome } from '../../pipeline/stability';
import type { TrainContinuing, TrainOutcome, TrainSkipped } from '../../pipeline/train';
import type { BusEvent } from '../../local/event-bus';
import type { InvocationInfo } from '../../local/runtime';
import { startServing, type ServeOptions } from '../../local/serve';
import { exportLines } from '../../local/serve-endpoints';
import { fmt } from '../table';

export interface ServeCommandOptions extends ServeOptions {
  /** How the schedule was given (e.g. `5m`, `rate(7 days)`), for the banner. */
  scheduleLabel?: string;
}

const clock = () => new Date().toISOString().slice(11, 19);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const message = (err: unknown) => (err instanceof Error ? `${err.name && err.name !== 'Error' ? `${err.name}: ` : ''}${err.message}` : String(err));

function describeInvocation(info: InvocationInfo): string[] {
  if (info.error) return [`${info.fn} FAILED after ${seconds(info.ms)}: ${message(info.error)}`];
  switch (info.fn) {
    case 'ingest':
      return (info.result as IngestOutcome[]).map((o) => {
        switch (o.status) {
          case 'waiting':
            return `ingest ${o.datasetId}: waiting for ${o.missing.length} more table${o.missing.length > 1 ? 's' : ''} (${o.missing.join(', ')})`;
          case 'ingested':
            return `ingest ${o.datasetId}: ${fmt.int(o.customers)} customers' features in ${seconds(info.ms)}; training started`;
          case 'rejected':
            return `ingest ${o.datasetId}: REJECTED: ${o.reasons.join('; ')}`;
          case 'duplicate':
            return `ingest ${o.datasetId}: already ${o.runStatus}, nothing to do`;
          case 'routed':
            return `ingest ${o.datasetId}: distributed path (execution ${o.execution}): ${o.reason}`;
          default:
            return `ingest: ignored ${o.key} (${o.reason})`;
        }
      });
    case 'train': {
      const r = info.result as TrainOutcome | TrainSkipped | TrainContinuing;
      if (r.status === 'duplicate') return [`train ${r.datasetId}: already ${r.runStatus}, nothing to do`];
      if (r.status === 'continuing') return [`train ${r.datasetId}: ${fmt.int(r.written)} of ${fmt.int(r.of)} assignments of ${r.version} written before the time limit; a continuation writes the rest`];
      const what = r.status === 'superseded' ? `model ${r.version} complete but NOT activated: newer data is active (${r.previousVersion})` : `model ${r.version} is active`;
      return [`train ${r.datasetId}: ${what}, k=${r.k}, ${fmt.int(r.customers)} customers, in ${seconds(info.ms)}`];
    }
    default: {
      const r = info.result as StabilityOutcome & { retention?: { deleted: string[] } };
      const retention = r.retention?.deleted.length ? `; retention deleted ${r.retention.deleted.join(', ')}` : '';
      if (r.status !== 'checked') return [`stability: ${r.status} (${r.reason})${retention}`];
      const ari = r.record.ari === null ? 'ARI unknown' : `ARI ${fmt.num(r.record.ari, 3)}`;
      return [`stability: ${r.record.verdict}, ${ari}, model ${r.record.modelVersion} ${Math.round(r.record.ageDays)} days old${r.retraining ? `; retraining ${r.retraining}` : ''}${retention}`];
    }
  }
}

function describeEvent(e: BusEvent): string {
  if (e['detail-type'] === DETAIL_TYPES.activated) {
    const d = e.detail as unknown as ModelActivatedDetail;
    const moved = d.customersChangedSegment === null ? '' : `, ${fmt.int(d.customersChangedSegment)} customers changed segment, ${fmt.int(d.newCustomers ?? 0)} new`;
    return `event "${e['detail-type']}" (${e.source}): ${d.version}${d.previousVersion ? ` replaces ${d.previousVersion}` : ''}${moved}; segments: ${d.segments.map((s) => `${s.id} ${s.name} (${fmt.int(s.size)})`).join(', ')}`;
  }
  return `event "${e['detail-type']}" (${e.source}): ${JSON.stringify(e.detail).slice(0, 160)}`;
}

export async function serveCommand(options: ServeCommandOptions): Promise<void> {
  const out = (line: string) => process.stdout.write(line + '\n');
  const say = (line: string) => out(`${clock()} ${line}`);
  const server = await startServing(options);
  const { endpoints, stack } = server;
  out(`Local stack serving (state ${stack.emulators.dir}; IAM ${stack.iam ? 'enforced from the synthesized stack' : 'OFF'}). For a shell:`);
  out('');
  for (const line of exportLines(endpoints)) out(line);
  out('');
  out(`Endpoints for programs: ${server.endpointsFile}; published events: ${endpoints.eventsLog}`);
  // --endpoint-url: AWS CLI versions before 2.13 (Debian 12 ships 2.9) and boto3 before 1.28 ignore AWS_ENDPOINT_URL_*.
  out(`Drop data:  aws --endpoint-url $AWS_ENDPOINT_URL_S3 s3 cp --recursive DIR s3://${endpoints.rawBucket}/incoming/<dataset-id>/ --exclude "*" --include "*.csv"`);
  out(`Run status: aws --endpoint-url $AWS_ENDPOINT_URL_DYNAMODB dynamodb get-item --table-name ${endpoints.tableName} --key '{"PK":{"S":"RUN#<dataset-id>"},"SK":{"S":"META"}}'`);
  out('            (--endpoint-url for AWS CLI < 2.13 and boto3 < 1.28, which ignore AWS_ENDPOINT_URL_S3/_DYNAMODB)');
  out(`Query:      npx segments segments | npx segments query --customer ID   (they use this running stack)`);
  const next = server.nextCheckAt();
  out(`Stability check: ${next ? `every ${options.scheduleLabel}, next at ${next.toISOString()}` : 'off (--schedule 5m to run it)'}. Ctrl-C stops.`);

  stack.onInvocation((info) => describeInvocation(info).forEach(say));
  stack.stepFunctions.onEnded((e) =>
    say(`distributed run ${e.name}: ${e.status} in ${seconds(Date.parse(e.stopDate ?? '') - Date.parse(e.startDate))}${e.status === 'FAILED' ? `: ${e.error}: ${e.cause}` : ''}`),
  );
  stack.bus.onEvent((e) => say(describeEvent(e)));
  server.onCheck((check) => {
    if (check.result === undefined && check.error === undefined) say('stability: scheduled check started');
  });

  await new Promise<void>((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals++;
      if (signals > 1) {
        say(`${signal} again: aborting (a run cut short here is taken over by its next event once its lease expires)`);
        process.exit(130);
      }
      const running = server.running();
      say(`${signal}: stopping${running ? `, waiting for ${running} running invocation${running > 1 ? 's' : ''} (${signal} again aborts)` : ''}`);
      server.stop().then(
        () => {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          say('stopped');
          resolve();
        },
        (err) => {
          say(`stop failed: ${message(err)}`);
          process.exit(1);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
