/**
 * The local stack as a long-running service (`segments start --serve`): s3rver, dynalite and the local event bus on
 * fixed ports, every upload under incoming/ of the raw bucket (whoever makes it: the AWS CLI, boto3, an SDK) wired to
 * ingest and training as deployed (the same handlers, under their roles' IAM policies), the stability check on a timer
 * like the stack's EventBridge schedule, and `<state>/endpoints.json` for clients. Presentation (what is printed) is the
 * CLI's (lambdas/cli/commands/serve.ts).
 */
import path from 'node:path';
import { startLocalStack, type LocalStack } from './runtime';
import { removeEndpoints, runningLocalStack, serveEndpoints, writeEndpoints, type ServeEndpoints } from './serve-endpoints';

/** Fixed ports (dynalite's and s3rver's own defaults, and the next one for the event bus); 0 picks free ones. */
export const DEFAULT_SERVE_PORTS = { s3: 4568, dynamodb: 4567, events: 4569 } as const;

export interface ServeOptions {
  /** The state folder (default .local): the emulators' data in `<state>/emulators`, endpoints.json and events.jsonl beside it. */
  state: string;
  ports: { s3: number; dynamodb: number; events: number };
  /** Period of the stability check; undefined: no timer. */
  scheduleMs?: number;
  /** IAM enforcement (default on). */
  iam?: boolean;
  /** Extra environment of the functions (FIXED_K, ...). */
  env?: Record<string, string>;
  logs?: boolean;
  logWriter?: (line: string) => void;
}

export interface ScheduledCheck {
  startedAt: Date;
  result?: unknown;
  error?: unknown;
}

export interface LocalServer {
  stack: LocalStack;
  endpoints: ServeEndpoints;
  endpointsFile: string;
  /** When the timer fires next (undefined without a schedule). */
  nextCheckAt(): Date | undefined;
  /** Called when a scheduled check starts and when it ends. */
  onCheck(listener: (check: ScheduledCheck) => void): () => void;
  /** Invocations still running (a stop waits for them). */
  running(): number;
  /** Stops the timer, waits for running invocations, stops the servers, removes endpoints.json. */
  stop(): Promise<void>;
}

function portInUse(err: unknown, ports: ServeOptions['ports']): Error | undefined {
  const e = err as NodeJS.ErrnoException & { port?: number };
  if (e?.code !== 'EADDRINUSE') return undefined;
  const flag = e.port === ports.dynamodb ? '--dynamodb-port' : e.port === ports.events ? '--events-port' : '--s3-port';
  return new Error(`port ${e.port ?? '?'} on 127.0.0.1 is in use (another local stack?): choose another with ${flag} (0 picks a free one)`);
}

export async function startServing(options: ServeOptions): Promise<LocalServer> {
  const state = path.resolve(options.state);
  const other = runningLocalStack(state);
  if (other) throw new Error(`a local stack already serves ${state} (pid ${other.pid}, S3 ${other.s3Endpoint}); stop it first, or use another --state`);
  const eventsLog = path.join(state, 'events.jsonl');
  let stack: LocalStack;
  try {
    stack = await startLocalStack({
      dir: path.join(state, 'emulators'),
      s3Port: options.ports.s3,
      dynamoPort: options.ports.dynamodb,
      eventsPort: options.ports.events,
      eventsLog,
      iam: options.iam,
      env: options.env,
      logs: options.logs,
      logWriter: options.logWriter,
    });
  } catch (err) {
    throw portInUse(err, options.ports) ?? err;
  }
  const { emulators } = stack;
  const endpoints = serveEndpoints({
    s3Endpoint: emulators.s3Endpoint,
    dynamoEndpoint: emulators.dynamoEndpoint,
    eventsEndpoint: stack.bus.endpoint,
    rawBucket: emulators.rawBucket,
    artifactsBucket: emulators.artifactsBucket,
    tableName: emulators.tableName,
    eventsLog,
  });
  const endpointsFile = await writeEndpoints(state, endpoints);

  // The schedule: one check at a time, as the stability function's reserved concurrency of 1 makes it in AWS.
  const checkListeners = new Set<(check: ScheduledCheck) => void>();
  let current: Promise<void> | undefined;
  let next: Date | undefined;
  let timer: NodeJS.Timeout | undefined;
  const runCheck = () => {
    next = options.scheduleMs ? new Date(Date.now() + options.scheduleMs) : undefined;
    if (current) return; // the previous check is still running: this tick is skipped
    const check: ScheduledCheck = { startedAt: new Date() };
    for (const l of checkListeners) l(check);
    current = stack
      .invoke('stability', { source: 'aws.events', 'detail-type': 'Scheduled Event', time: check.startedAt.toISOString() })
      .then((result) => void (check.result = result))
      .catch((error) => void (check.error = error))
      .finally(() => {
        current = undefined;
        for (const l of checkListeners) l(check);
      });
  };
  if (options.scheduleMs) {
    next = new Date(Date.now() + options.scheduleMs);
    timer = setInterval(runCheck, options.scheduleMs);
  }

  let stopping: Promise<void> | undefined;
  return {
    stack,
    endpoints,
    endpointsFile,
    nextCheckAt: () => next,
    onCheck(listener) {
      checkListeners.add(listener);
      return () => checkListeners.delete(listener);
    },
    running: () => stack.inFlight() + (current ? 1 : 0),
    stop() {
      stopping ??= (async () => {
        if (timer) clearInterval(timer);
        next = undefined;
        await current;
        await stack.stop();
        await removeEndpoints(state);
      })();
      return stopping;
    },
  };
}
