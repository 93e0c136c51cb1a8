/**
 * What the handlers build from their environment on a cold start: the stores (S3 and DynamoDB through
 * lambdas/store/config.ts, so the same code reaches AWS or the local emulators) and the transports that
 * differ between a Lambda function and the local runtime (how training is started, how events are sent).
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { ClientHooks, createStores, eventsClientConfig, Stores } from '../store/config';
import { EVENT_BUS_NAME, EVENT_SOURCE } from '../pipeline/events';
import { jsonLog, Log } from '../pipeline/log';
import { DistributedStart, TrainRequest } from '../pipeline/ingest';
import { ROUTE_ENV } from '../pipeline/route';
import type { TrainOptions } from '../core/model/train';

export interface Runtime {
  stores: Stores;
  log: Log;
  env: Record<string, string | undefined>;
  startTraining(request: TrainRequest): Promise<void>;
  /** Starts the distributed path's state machine (StartExecution in AWS; the local interpreter locally). */
  startDistributed(request: DistributedStart): Promise<void>;
  /** Publishes an event on the bus (EventBridge in AWS; captured locally). */
  publishEvent(detailType: string, detail: Record<string, unknown>): Promise<void>;
}

export function numberFromEnv(env: Record<string, string | undefined>, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`environment variable ${name}=${v} is not a number`);
  return n;
}

/**
 * KMEANS_THREADS: 'auto' (unset) or a positive integer, the threads k-means may use in this function (the stack sets
 * it from the memory size: Lambda's CPU share, which the load average does not show).
 */
export function threadsFromEnv(env: Record<string, string | undefined>): number | 'auto' {
  const v = env.KMEANS_THREADS;
  if (v === undefined || v === '' || v === 'auto') return 'auto';
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`environment variable KMEANS_THREADS=${v} is not 'auto' or a positive integer`);
  return n;
}

/**
 * Cheaper trainings (local tests), for train and the distributed compute alike: TRAIN_SWEEP=false with FIXED_K fits
 * that k only, TRAIN_COMPARE=false skips the alternative algorithms. Unset: the full training.
 */
export function trainOptionsFromEnv(env: Record<string, string | undefined>, fixedK: number | undefined): TrainOptions {
  // Without the sweep (a fixed k) the agreement of fits with other seeds is not measured either: one fit.
  const noSweep = env.TRAIN_SWEEP === 'false' && fixedK !== undefined;
  return {
    ...(noSweep ? { sweep: false, stabilityFits: 1 } : {}),
    compare: env.TRAIN_COMPARE === 'false' ? false : undefined,
  };
}

/**
 * The runtime of a Lambda function: clients from the environment (AWS, or the local endpoints). The local runtime
 * (lambdas/local/functions.ts) uses it too, with `hooks` adding the local IAM enforcement to each client.
 */
export function awsRuntime(
  service: string,
  env: Record<string, string | undefined> = process.env,
  clients: { lambda?: LambdaClient; events?: EventBridgeClient; log?: Log; hooks?: ClientHooks } = {},
): Runtime {
  const stores = createStores(env, clients.hooks);
  let lambda = clients.lambda;
  let events = clients.events;
  let sfn: SFNClient | undefined;
  return {
    stores,
    env,
    log: clients.log ?? jsonLog(service),
    async startTraining(request) {
      // Ingest and stability name train; train itself (the continuation of a write) is the function running.
      const fn = env.TRAIN_FUNCTION_NAME ?? env.AWS_LAMBDA_FUNCTION_NAME;
      if (!fn) throw new Error('environment variable TRAIN_FUNCTION_NAME is not set');
      lambda ??= new LambdaClient({});
      await lambda.send(new InvokeCommand({ FunctionName: fn, InvocationType: 'Event', Payload: Buffer.from(JSON.stringify(request)) }));
    },
    async startDistributed(request) {
      const stateMachineArn = env[ROUTE_ENV.stateMachine];
      if (!stateMachineArn) throw new Error(`environment variable ${ROUTE_ENV.stateMachine} is not set`);
      sfn ??= new SFNClient({});
      await sfn.send(new StartExecutionCommand({ stateMachineArn, name: request.name, input: JSON.stringify(request.input) }));
    },
    async publishEvent(detailType, detail) {
      if (!events) {
        events = new EventBridgeClient(eventsClientConfig(stores.config));
        clients.hooks?.events?.(events);
      }
      const res = await events.send(
        new PutEventsCommand({ Entries: [{ EventBusName: env.EVENT_BUS_NAME ?? EVENT_BUS_NAME, Source: env.EVENT_SOURCE ?? EVENT_SOURCE, DetailType: detailType, Detail: JSON.stringify(detail) }] }),
      );
      if (res.FailedEntryCount) throw new Error(`PutEvents failed: ${res.Entries?.map((e) => `${e.ErrorCode}: ${e.ErrorMessage}`).join('; ')}`);
    },
  };
}
