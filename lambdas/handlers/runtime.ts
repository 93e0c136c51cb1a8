/**
 * What the handlers build from their environment on a cold start: the stores (S3 and DynamoDB through
 * lambdas/store/config.ts, so the same code reaches AWS or the local emulators) and the transports that
 * differ between a Lambda function and the local runtime (how training is started, how events are sent).
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { ClientHooks, createStores, eventsClientConfig, Stores } from '../store/config';
import { COMMON_ENV, EVENT_BUS_NAME, EVENT_SOURCE, FUNCTION_ENV, LAMBDA_ENV, ROUTE_ENV, type EnvName } from '../contract';
import type { Log } from '../pipeline/log';
import { DistributedStart, TrainRequest } from '../pipeline/ingest';
import type { Env } from './config';
import { powertools, type LoggedContext, type Observability } from './observability';

export interface Runtime {
  stores: Stores;
  log: Log;
  /** The function's environment: its handler parses it once into its config (config.ts configOf). */
  env: Env;
  /** Powertools (Lambda only): request id and cold start in each log line, traces. */
  observability?: Observability;
  startTraining(request: TrainRequest): Promise<void>;
  /** Starts the distributed path's state machine (StartExecution in AWS; the local interpreter locally). */
  startDistributed(request: DistributedStart): Promise<void>;
  /** Publishes an event on the bus (EventBridge in AWS; captured locally). */
  publishEvent(detailType: string, detail: Record<string, unknown>): Promise<void>;
}

// The environment's parsers (re-exported for the callers that read one value).
export { numberFromEnv, threadsFromEnv, trainOptionsFromEnv } from './config';

/** Where the runtime sends what it starts and publishes, from the function's environment (parsed once, at creation). */
interface Transport {
  /** The train function: ingest and stability name it; train itself (a write's continuation) is the function running. */
  trainFunctionName?: string;
  stateMachineArn?: string;
  eventBusName: string;
  eventSource: string;
}

function transportFromEnv(env: Env): Transport {
  const value = (name: EnvName) => env[name] || undefined;
  return {
    trainFunctionName: value(FUNCTION_ENV.trainFunctionName) ?? value(LAMBDA_ENV.functionName),
    stateMachineArn: value(ROUTE_ENV.stateMachine),
    eventBusName: value(COMMON_ENV.eventBusName) ?? EVENT_BUS_NAME,
    eventSource: value(COMMON_ENV.eventSource) ?? EVENT_SOURCE,
  };
}

/**
 * Runs one invocation of a handler: in Lambda, with its context on every log line and its own trace subsegment
 * (observability.ts); elsewhere (the local runtime's sink, tests' hand-made runtimes) just the body.
 */
export function inInvocation<T>(rt: Runtime, context: LoggedContext | undefined, body: () => Promise<T>): Promise<T> {
  return rt.observability ? rt.observability.invocation(context, body) : body();
}

/**
 * The runtime of a Lambda function: clients from the environment (AWS, or the local endpoints). Without a `log` it
 * logs, counts and traces through Powertools (observability.ts); the local runtime (lambdas/local/functions.ts) gives
 * its own readable log, and `hooks` adding the local IAM enforcement to each client.
 */
export function awsRuntime(
  service: string,
  env: Env = process.env,
  clients: { lambda?: LambdaClient; events?: EventBridgeClient; log?: Log; hooks?: ClientHooks } = {},
): Runtime {
  const observability = clients.log ? undefined : powertools(service, env);
  const transport = transportFromEnv(env);
  const stores = createStores(env, chainHooks(observability?.clientHooks, clients.hooks));
  const capture = <C>(client: C): C => (observability ? observability.capture(client) : client);
  let lambda = clients.lambda;
  let events = clients.events;
  let sfn: SFNClient | undefined;
  return {
    stores,
    env,
    log: clients.log ?? observability!.log,
    observability,
    async startTraining(request) {
      const fn = transport.trainFunctionName;
      if (!fn) throw new Error(`environment variable ${FUNCTION_ENV.trainFunctionName} is not set`);
      lambda ??= capture(new LambdaClient({}));
      await lambda.send(new InvokeCommand({ FunctionName: fn, InvocationType: 'Event', Payload: Buffer.from(JSON.stringify(request)) }));
    },
    async startDistributed(request) {
      const stateMachineArn = transport.stateMachineArn;
      if (!stateMachineArn) throw new Error(`environment variable ${ROUTE_ENV.stateMachine} is not set`);
      sfn ??= capture(new SFNClient({}));
      await sfn.send(new StartExecutionCommand({ stateMachineArn, name: request.name, input: JSON.stringify(request.input) }));
    },
    async publishEvent(detailType, detail) {
      if (!events) {
        events = new EventBridgeClient(eventsClientConfig(stores.config));
        clients.hooks?.events?.(events);
        observability?.clientHooks.events?.(events);
      }
      const res = await events.send(
        new PutEventsCommand({ Entries: [{ EventBusName: transport.eventBusName, Source: transport.eventSource, DetailType: detailType, Detail: JSON.stringify(detail) }] }),
      );
      if (res.FailedEntryCount) throw new Error(`PutEvents failed: ${res.Entries?.map((e) => `${e.ErrorCode}: ${e.ErrorMessage}`).join('; ')}`);
    },
  };
}

/** Both sets of hooks on each client (either may be absent). */
export function chainHooks(...all: (ClientHooks | undefined)[]): ClientHooks | undefined {
  const defined = all.filter((h): h is ClientHooks => !!h);
  if (defined.length <= 1) return defined[0];
  return {
    s3: (c) => defined.forEach((h) => h.s3?.(c)),
    dynamo: (c) => defined.forEach((h) => h.dynamo?.(c)),
    events: (c) => defined.forEach((h) => h.events?.(c)),
  };
}
