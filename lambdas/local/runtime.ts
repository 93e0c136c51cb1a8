/**
 * The stack, locally: s3rver and dynalite on 127.0.0.1 with their state in a folder, the same buckets and table as the
 * stack, a local EventBridge endpoint, and S3 events wired to the same handlers with the same prefix filter
 * (incoming/). Only the transport of "start training" differs: an in-process call instead of a Lambda Event
 * invocation, still asynchronous (ingest does not wait for it).
 *
 * Each function runs with its own clients under its own role: every request is authorized against the role's policy
 * as synthesized from lib/ (lambdas/local/iam/, on unless `iam: false`), so what the deployed roles forbid fails here
 * the same way (AccessDenied). The operator's `runtime` (uploads, inspection in tests, `npm start`'s read-back) is not
 * a function and is not restricted, like an administrator's credentials.
 *
 * For fault tests it also emulates what Lambda does around a handler: async invocations retried after an error
 * (lambdaRetries), and containers: each function runs in a container whose SDK clients carry the fault injector
 * (lambdas/local/faults.ts); a crash kills the container (its requests never complete, like a process that timed
 * out), the invocation counts as failed, and the retry runs in a fresh container.
 *
 * Every invocation gets a Lambda-like context: a request id that is new per delivery (each `invoke`, each S3 event,
 * each training start) and the same across the emulated retries of that delivery, as Lambda's async retries are (the
 * run lease's owner: lambdas/pipeline/lease.ts), and the remaining time until the function's timeout (not enforced
 * here; it sizes the lease, and a write stops before it and continues in a new invocation).
 *
 * The distributed path runs as deployed: ingest starts the synthesized state machine (StartExecution, under its role),
 * whose definition runs in a maintained ASL interpreter (lambdas/local/stepfunctions/) with its tasks invoking the
 * compute and publish functions here, each in its container under its role.
 */
import { randomUUID } from 'node:crypto';
import { createIngestHandler } from '../handlers/ingest';
import type { InvocationContext } from '../handlers/events';
import { createStabilityHandler } from '../handlers/stability';
import { createTrainHandler } from '../handlers/train';
import { awsRuntime, Runtime } from '../handlers/runtime';
import { INCOMING_PREFIX } from '../pipeline/datasets';
import { jsonLog, Log, silentLog } from '../pipeline/log';
import { DistributedStart, TrainRequest } from '../pipeline/ingest';
import { ENV } from '../store/config';
import { COMMON_ENV } from '../contract/env';
import { SegmentStore } from '../store/segment-store';
import { Emulators, startEmulators } from './emulators';
import { startEventBus, type BusEvent, type LocalEventBus } from './event-bus';
import { FaultContainer, FaultInjector } from './faults';
import { authorizeInvoke, authorizeStartExecution, functionRuntime, platformCallOfFailure, platformCallsOfInvocation } from './functions';
import { createComputeHandler } from '../handlers/distributed/compute';
import { createPublishHandler } from '../handlers/distributed/publish';
import { localStepFunctions, type LocalStepFunctions } from './stepfunctions/service';
import { IamAuthorizer } from './iam/authorizer';
import { loadStackPolicies, LOCAL_ACCOUNT, LOCAL_REGION, type LocalPolicies, type SynthOptions } from './iam/stack-policies';
import type { TrainOptions } from '../core/model/train';

/** The functions of the local stack invoked asynchronously (by events, by each other). */
export type LocalFunction = 'ingest' | 'train' | 'stability';
/** The distributed path's functions, invoked synchronously by the state machine's tasks. */
export type DistributedFunction = 'compute' | 'publish';

export interface LocalStack {
  emulators: Emulators;
  /** The operator's runtime: unrestricted clients (uploads, inspection), the endpoints in `runtime.env`. */
  runtime: Runtime;
  /** The runtime of a function, under its role (what `invoke` uses), with extra environment (e.g. ARI_THRESHOLD). */
  functionRuntime(fn: LocalFunction, env?: Record<string, string>): Runtime;
  /** Resolves when every event and every invocation started so far has finished. */
  idle(): Promise<void>;
  /** Asynchronous invocations (S3 events, training starts) still running. */
  inFlight(): number;
  /**
   * Invokes a function as Lambda's async invocation would (containers, retries); resolves with its result. `env` adds
   * to the function's environment for this invocation (a fresh container), `clock` pins the stability check's time.
   */
  invoke(fn: LocalFunction, event: unknown, options?: InvokeOptions): Promise<unknown>;
  /** Failures of asynchronous work (as Lambda would send them to the failure queue). */
  failures: { source: string; error: unknown }[];
  /** The local EventBridge endpoint and what the functions published on it. */
  bus: LocalEventBus;
  /** Events published on the (local) bus, in order. */
  readonly events: { detailType: string; detail: Record<string, unknown> }[];
  /** The IAM decisions of the functions' requests; undefined when enforcement is off. */
  iam?: IamAuthorizer;
  /**
   * Changes the functions' environment (undefined removes a variable), as a configuration update does in Lambda: later
   * invocations run in new containers that see it.
   */
  updateFunctionEnv(vars: Record<string, string | undefined>): void;
  /** Changes the functions' timeouts as their context reports them (a configuration update), e.g. a short one in tests. */
  updateFunctionTimeouts(timeouts: Partial<Record<LocalFunction | DistributedFunction, number>>): void;
  /** Called when an invocation ends (serve mode prints it). */
  onInvocation(listener: (info: InvocationInfo) => void): () => void;
  /** The distributed path's state machine, run from its synthesized definition: its executions and their history. */
  stepFunctions: LocalStepFunctions;
  stop(): Promise<void>;
}

export interface InvokeOptions {
  env?: Record<string, string>;
  clock?: () => Date;
}

export interface InvocationInfo {
  fn: LocalFunction;
  event: unknown;
  result?: unknown;
  error?: unknown;
  ms: number;
}

export interface LocalStackOptions {
  dir: string;
  /** Structured logs on stdout (like CloudWatch); off by default for a readable console. */
  logs?: boolean;
  /** Where the logs go (default stdout). */
  logWriter?: (line: string) => void;
  /** Environment of the functions beyond the store settings (FIXED_K, MAX_UPLOAD_BYTES, ...). */
  env?: Record<string, string>;
  inMemoryDynamo?: boolean;
  /** Emulator ports (default 0: ephemeral). */
  s3Port?: number;
  dynamoPort?: number;
  eventsPort?: number;
  /** Append every published event to this JSON Lines file. */
  eventsLog?: string;
  /**
   * IAM enforcement (default true): the stack's policies synthesized from lib/ with `stack` options, or given policies
   * (a test's edited copy). false turns it off.
   */
  iam?: boolean | LocalPolicies;
  /** Stack options that change the policies (autoRetrain grants stability lambda:InvokeFunction on train). */
  stack?: SynthOptions;
  /** Wraps the segment store, e.g. to inject faults an emulator cannot produce (a crash mid-write). */
  decorateSegments?: (store: SegmentStore) => SegmentStore;
  /** Training options beyond FIXED_K (e.g. { sweep: false } for cheap test runs). */
  trainOptions?: TrainOptions;
  /** Fault injection on the functions' SDK clients; each function then runs in its own (crashable) container. */
  faults?: FaultInjector;
  /** Lambda's retries of a failed async invocation (the stack: ingest 2, train 2, stability 1) and the wait before each (Lambda: 1-2 min). */
  lambdaRetries?: { ingest?: number; train?: number; stability?: number; delayMs?: number };
  /** Function timeouts reported by the emulated context (default: the stack's, ingest 10 min, train 15 min, stability 10 min, compute and publish 15 min). */
  timeoutsMs?: Partial<Record<LocalFunction | DistributedFunction, number>>;
  /** The distributed path's executions: items of a Distributed Map at once (1: in sequence), pause before retries. */
  distributed?: { mapConcurrency?: number; retryIntervalMs?: number };
}

/** lib/constructs/pipeline-functions.ts, stability-schedule.ts and distributed-pipeline.ts. */
const STACK_TIMEOUTS_MS: Record<LocalFunction | DistributedFunction, number> = { ingest: 600_000, train: 900_000, stability: 600_000, compute: 900_000, publish: 900_000 };

/** One emulated Lambda container: its runtime (clients) and its fate. */
interface Container {
  runtime: Runtime;
  fault?: FaultContainer;
  /** Rejects when the container crashes. */
  crashed: Promise<never>;
}

export async function startLocalStack(opts: LocalStackOptions): Promise<LocalStack> {
  const emulators = await startEmulators({ dir: opts.dir, inMemoryDynamo: opts.inMemoryDynamo, s3Port: opts.s3Port, dynamoPort: opts.dynamoPort });
  let bus: LocalEventBus | undefined;
  let authorizer: IamAuthorizer | undefined;
  let policies: LocalPolicies;
  const log: Log = opts.logs ? jsonLog('local', opts.logWriter) : silentLog;
  try {
    bus = await startEventBus({ port: opts.eventsPort, account: LOCAL_ACCOUNT, region: LOCAL_REGION, logFile: opts.eventsLog });
    // The synthesized stack: the roles' policies (enforced unless iam is false) and the state machine's definition.
    const names = { rawBucket: emulators.rawBucket, artifactsBucket: emulators.artifactsBucket, tableName: emulators.tableName };
    policies = typeof opts.iam === 'object' ? opts.iam : await loadStackPolicies(names, opts.stack);
    if (opts.iam !== false) {
      authorizer = new IamAuthorizer(policies, (request, decision) => log.warn('AccessDenied', { function: request.fn, action: request.action, resource: request.resource, message: decision.message }));
    }
  } catch (err) {
    await bus?.stop();
    await emulators.stop();
    throw err;
  }
  const events = bus;
  // The functions' environment as the stack sets it, with the local endpoints; no X-Ray here (Powertools Tracer off).
  const env: Record<string, string> = { [COMMON_ENV.traceEnabled]: 'false', ...opts.env, ...emulators.env, [ENV.eventsEndpoint]: events.endpoint };
  const timeouts = { ...STACK_TIMEOUTS_MS, ...opts.timeoutsMs };
  const pending = new Set<Promise<unknown>>();
  const failures: LocalStack['failures'] = [];
  const listeners = new Set<(info: InvocationInfo) => void>();
  const track = (source: string, p: Promise<unknown>) => {
    const tracked = p.catch((error) => failures.push({ source, error })).finally(() => pending.delete(tracked));
    pending.add(tracked);
  };
  const runtime = awsRuntime('operator', env, { log });
  const closers: Runtime[] = [runtime];

  /** A function's runtime in a container: its own clients (IAM, faults), startTraining through the local Lambda service. */
  const makeRuntime = (fn: LocalFunction | DistributedFunction, extraEnv: Record<string, string> = {}, container?: FaultContainer): Runtime => {
    const faults = opts.faults;
    const rt = functionRuntime(fn, {
      env: { ...env, ...extraEnv },
      log,
      authorizer,
      decorateSegments: opts.decorateSegments,
      hooks: faults && container ? { s3: (c) => faults.install(c, 's3', container), dynamo: (c) => faults.install(c, 'dynamodb', container) } : undefined,
    });
    closers.push(rt);
    return {
      ...rt,
      async startTraining(request: TrainRequest) {
        await authorizeInvoke(authorizer, fn, 'train');
        // Asynchronous like InvocationType 'Event': the caller returns before training ends.
        track('train', Promise.resolve().then(() => invoke('train', request)));
      },
      async startDistributed(request: DistributedStart) {
        await authorizeStartExecution(authorizer, fn, stepFunctions.arn);
        const { done } = stepFunctions.startExecution(request.input, request.name);
        track(
          'distributed',
          done.then((e) => {
            if (e.status === 'FAILED') throw new Error(`execution ${e.name} failed: ${e.error}: ${e.cause}`);
          }),
        );
      },
    };
  };

  // One container per function; with faults, a crashed container is replaced by a fresh one at the next attempt.
  const containers = new Map<LocalFunction | DistributedFunction, Container>();
  const containerFor = (fn: LocalFunction | DistributedFunction, extraEnv?: Record<string, string>): Container => {
    const current = containers.get(fn);
    if (!extraEnv && current && !current.fault?.dead) return current;
    const faults = opts.faults;
    let container: Container;
    if (!faults) {
      container = { runtime: makeRuntime(fn, extraEnv), crashed: new Promise<never>(() => undefined) };
    } else {
      let crash!: (reason: Error) => void;
      const crashed = new Promise<never>((_, reject) => (crash = reject));
      crashed.catch(() => undefined);
      const fault = faults.container((reason) => crash(new Error(reason)));
      container = { runtime: makeRuntime(fn, extraEnv, fault), fault, crashed };
    }
    // A container with its own environment is this invocation's only (another configuration of the function).
    if (!extraEnv) containers.set(fn, container);
    return container;
  };
  const handlers = {
    ingest: (rt: Runtime, event: unknown, context: InvocationContext) => createIngestHandler(() => rt)(event as never, context),
    train: (rt: Runtime, event: unknown, context: InvocationContext) => createTrainHandler(() => rt, { trainOptions: opts.trainOptions })(event as never, context),
    stability: (rt: Runtime, event: unknown, context: InvocationContext, clock?: () => Date) => createStabilityHandler(() => rt, clock)(event, context),
  };
  /** One async invocation with Lambda's retries: a thrown error or a crash fails the attempt; the last failure is reported. */
  const invoke = async (fn: LocalFunction, event: unknown, options: InvokeOptions = {}): Promise<unknown> => {
    const retries = opts.lambdaRetries?.[fn] ?? 0;
    const awsRequestId = randomUUID(); // one delivery: its retries keep the id, as Lambda's do
    const timeoutMs = timeouts[fn];
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      const container = containerFor(fn, options.env);
      const deadline = Date.now() + timeoutMs;
      const context: InvocationContext = { awsRequestId, getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) };
      for (const denied of await platformCallsOfInvocation(authorizer, fn)) log.warn('the Lambda service cannot deliver logs or traces', { function: fn, error: denied });
      try {
        const result = await Promise.race([handlers[fn](container.runtime, event, context, options.clock), container.crashed]);
        for (const l of listeners) l({ fn, event, result, ms: Date.now() - started });
        return result;
      } catch (err) {
        log.warn(`${fn} invocation failed`, { attempt: attempt + 1, error: (err as Error).message });
        if (attempt >= retries) {
          const undeliverable = await platformCallOfFailure(authorizer, fn);
          if (undeliverable) log.error('the failed invocation cannot go to the failure queue', { function: fn, error: undeliverable });
          for (const l of listeners) l({ fn, event, error: err, ms: Date.now() - started });
          throw err;
        }
        await new Promise((resolve) => setTimeout(resolve, opts.lambdaRetries?.delayMs ?? 1000));
      }
    }
  };
  /** A task of the state machine: a synchronous invocation of compute or publish (Step Functions retries, not Lambda). */
  const invokeDistributed = async (fn: DistributedFunction, event: unknown): Promise<unknown> => {
    const container = containerFor(fn);
    const deadline = Date.now() + timeouts[fn];
    const context: InvocationContext = { awsRequestId: randomUUID(), getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) };
    for (const denied of await platformCallsOfInvocation(authorizer, fn)) log.warn('the Lambda service cannot deliver logs or traces', { function: fn, error: denied });
    const handler = fn === 'compute' ? createComputeHandler(() => container.runtime, { trainOptions: opts.trainOptions }) : createPublishHandler(() => container.runtime);
    return Promise.race([handler(event as never, context), container.crashed]);
  };
  // The state machine's own clients (its Distributed Maps read their items from S3 under its role).
  const stateMachineRuntime = functionRuntime('stateMachine', { env, log, authorizer });
  closers.push(stateMachineRuntime);
  const stepFunctions = localStepFunctions({
    policies,
    authorizer,
    invoke: invokeDistributed,
    stores: [stateMachineRuntime.stores.raw, stateMachineRuntime.stores.artifacts],
    mapConcurrency: opts.distributed?.mapConcurrency,
    retryIntervalMs: opts.distributed?.retryIntervalMs,
    // The ExecutionEnded rule (EventBridge -> publish): the end of a failed execution, as its event detail says it.
    onFailed: async (e) => {
      const execution = { status: 'FAILED', name: e.name, executionArn: e.arn, input: JSON.stringify(e.input), error: e.error, cause: e.cause };
      await invokeDistributed('publish', { step: 'ended', execution }).catch((err) => log.error('the end of a failed execution was not recorded', { execution: e.name, error: (err as Error).message }));
    },
  });
  const unsubscribe = emulators.onObjectCreated((event) => track('ingest', invoke('ingest', event)), { bucket: emulators.rawBucket, prefix: INCOMING_PREFIX });
  const idle = async () => {
    for (;;) {
      await emulators.drain();
      if (!pending.size) return;
      await Promise.allSettled([...pending]);
    }
  };
  const toEvent = (e: BusEvent) => ({ detailType: e['detail-type'], detail: e.detail });
  return {
    emulators,
    runtime,
    functionRuntime: (fn, extraEnv) => makeRuntime(fn, extraEnv),
    invoke,
    idle,
    inFlight: () => pending.size,
    failures,
    bus: events,
    get events() {
      return events.events.map(toEvent);
    },
    iam: authorizer,
    updateFunctionEnv(vars) {
      for (const [k, v] of Object.entries(vars)) {
        if (v === undefined) delete env[k];
        else env[k] = v;
      }
      containers.clear();
    },
    updateFunctionTimeouts(t) {
      Object.assign(timeouts, t);
    },
    onInvocation(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stepFunctions,
    async stop() {
      await idle();
      unsubscribe();
      for (const rt of closers) {
        rt.stores.s3.destroy();
        rt.stores.dynamo.destroy();
      }
      await events.stop();
      await emulators.stop();
    },
  };
}
