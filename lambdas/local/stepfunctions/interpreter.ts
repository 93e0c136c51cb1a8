/**
 * Runs an Amazon States Language definition locally with aws-local-stepfunctions (a maintained ASL interpreter:
 * paths, Parameters/ResultSelector/ResultPath, intrinsic functions, Choice, Retry with backoff, Catch, inline Map,
 * Parallel), its Task states bound to local handlers, so the synthesized state machine itself is what runs, not a
 * hand-written imitation of it: a wrong path, a missing retry or catch, or a payload over the limit fails here.
 *
 * What the interpreter does not implement, and is done here as Step Functions documents it:
 * - Distributed Map states (ProcessorConfig.Mode DISTRIBUTED): their ItemReader (s3:listObjectsV2, s3:getObject of a
 *   JSON list), ItemSelector, MaxConcurrency and ToleratedFailurePercentage/Count. Each such state is run as a Task
 *   whose handler reads the items (as the state machine's role), builds each item's input with the interpreter itself
 *   (a Pass state over the ItemSelector, with $$.Map.Item in the context) and runs the ItemProcessor, a state machine
 *   of its own (a child execution in AWS), with the same bindings.
 * - The 256 KB limit on every state's input and output and on a task's result (States.DataLimitExceeded, which no
 *   Retry or Catch handles).
 * Anything else the interpreter lacks fails loudly (a Task without a binding, an unknown ItemReader).
 */
import { StateMachine } from 'aws-local-stepfunctions';

// aws-local-stepfunctions 3 calls Promise.withResolvers (Node 22+) in every Task state; the project runs on Node 20.
type Resolvers = { promise: Promise<unknown>; resolve: (v: unknown) => void; reject: (e: unknown) => void };
const P = Promise as unknown as { withResolvers?: () => Resolvers };
P.withResolvers ??= () => {
  let resolve!: (v: unknown) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise((a, b) => ([resolve, reject] = [a, b]));
  return { promise, resolve, reject };
};

/** Step Functions' limit on a state's input or output and on a task's result. */
export const PAYLOAD_LIMIT_BYTES = 256 * 1024;

/** An error as Step Functions names it (Error/Cause); terminal ones are neither retried nor caught. */
export class StatesError extends Error {
  readonly isRetryable?: boolean;
  readonly isCatchable?: boolean;
  constructor(name: string, message: string, terminal = false) {
    super(message);
    this.name = name;
    if (terminal) {
      this.isRetryable = false;
      this.isCatchable = false;
    }
  }
}

type Json = Record<string, unknown>;
type Definition = { StartAt: string; States: Record<string, Json>; [k: string]: unknown };

export interface ItemReaderSpec {
  Resource: string;
  Parameters: Json;
  ReaderConfig?: Json;
}

export interface HistoryEvent {
  type: string;
  state?: string;
  at: number;
  /** The Map state and item index of a child execution's event. */
  map?: { state: string; index: number };
  error?: string;
  cause?: string;
}

export interface RunOptions {
  /** The handler of a Task state's Resource (a Lambda function ARN), invoked with the task's input. */
  task(resource: string, input: unknown, state: string): Promise<unknown>;
  /** Reads a Distributed Map's items, as the state machine's role would (S3). */
  readItems(reader: ItemReaderSpec): Promise<unknown[]>;
  /** At most this many items of any Distributed Map at once locally (1: partitions in sequence). */
  mapConcurrency?: number;
  /** Pause before each retry (ms) instead of the definition's intervals (fault tests). */
  retryIntervalMs?: number;
  /** Every state entered, exited, failed or retried, in order (the execution's history). */
  onEvent?(event: HistoryEvent): void;
  /** The context object's Execution fields ($$.Execution.Name, Id, Input...). */
  execution: { Id: string; Name: string; StartTime?: string };
}

function bytes(v: unknown): number {
  return v === undefined ? 0 : Buffer.byteLength(JSON.stringify(v));
}

export function checkPayload(what: string, v: unknown): void {
  const n = bytes(v);
  if (n > PAYLOAD_LIMIT_BYTES) throw new StatesError('States.DataLimitExceeded', `${what} is ${n} bytes, over the ${PAYLOAD_LIMIT_BYTES} bytes Step Functions allows`, true);
}

const isDistributedMap = (s: Json) => s.Type === 'Map' && ((s.ItemProcessor as Json | undefined)?.ProcessorConfig as Json | undefined)?.Mode === 'DISTRIBUTED';

/** Every state of a definition, nested ones (Map processors, Parallel branches) included. */
function* allStates(def: Definition): Generator<[string, Json]> {
  for (const [name, s] of Object.entries(def.States)) {
    yield [name, s];
    const processor = (s.ItemProcessor ?? s.Iterator) as Definition | undefined;
    if (processor) yield* allStates(processor);
    for (const branch of (s.Branches as Definition[] | undefined) ?? []) yield* allStates(branch);
  }
}

/** The definition with each Distributed Map replaced by a Task (run by runDistributedMap) keeping its I/O fields. */
function rewrite(def: Definition): Definition {
  const States: Record<string, Json> = {};
  for (const [name, s] of Object.entries(def.States)) {
    if (!isDistributedMap(s)) {
      States[name] = s;
      continue;
    }
    const keep = ['InputPath', 'ResultSelector', 'ResultPath', 'OutputPath', 'Retry', 'Catch', 'Next', 'End', 'Comment'];
    // A Distributed Map has no time limit of its own (the interpreter's Task default is the States Language's 60 s;
    // Node's timers hold at most 2^31 ms, ~24 days).
    States[name] = { Type: 'Task', Resource: `local:distributed-map:${name}`, TimeoutSeconds: 2_000_000, ...Object.fromEntries(keep.filter((k) => k in s).map((k) => [k, s[k]])) };
  }
  return { ...def, States };
}

/** A payload template (Parameters, ItemSelector, ItemReader.Parameters) evaluated by the interpreter itself. */
async function evaluate(template: unknown, input: unknown, context: Json): Promise<unknown> {
  const sm = new StateMachine({ StartAt: 'Evaluate', States: { Evaluate: { Type: 'Pass', Parameters: template, End: true } } } as never, { validationOptions: { noValidate: true } });
  return sm.run(input as never, { context } as never).result;
}

export interface ExecutionOutcome {
  status: 'SUCCEEDED' | 'FAILED';
  output?: unknown;
  error?: string;
  cause?: string;
}

/** Runs `definition` on `input` (validated first, as Step Functions validates a definition it is given). */
export async function runStateMachine(definition: Definition, input: unknown, options: RunOptions): Promise<ExecutionOutcome> {
  new StateMachine(definition as never, { validationOptions: { checkArn: false, checkPaths: true } });
  checkPayload('the execution input', input);
  const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  const retryOverrides: Record<string, number> = {};
  let violation: StatesError | undefined;
  const event = (e: HistoryEvent) => options.onEvent?.(e);

  const context = (extra: Json = {}) => ({ Execution: { ...options.execution, Input: input }, StateMachine: {}, ...extra });
  const bind = (def: Definition) => {
    for (const [name, s] of allStates(def)) {
      if (options.retryIntervalMs !== undefined && s.Retry) retryOverrides[name] = options.retryIntervalMs;
      if (isDistributedMap(s)) {
        handlers[name] = (mapInput) => runDistributedMap(name, s, mapInput);
      } else if (s.Type === 'Task') {
        const resource = String(s.Resource);
        handlers[name] = async (taskInput) => {
          checkPayload(`the input of task ${name}`, taskInput);
          const result = JSON.parse(JSON.stringify((await options.task(resource, taskInput, name)) ?? null));
          checkPayload(`the result of task ${name}`, result);
          return result;
        };
      }
    }
  };

  /** Watches a run's history: records it, and stops the run at the first state input or output over the limit. */
  const watch = (run: ReturnType<StateMachine['run']>, map?: HistoryEvent['map']) => {
    (async () => {
      for await (const e of run.eventLogs as AsyncIterable<Json>) {
        const state = e.state as { name: string; input?: unknown; output?: unknown } | undefined;
        event({ type: String(e.type), state: state?.name, at: Number(e.timestamp), map, error: e.Error as string | undefined, cause: e.Cause as string | undefined });
        if (violation || !state) continue;
        for (const [what, v] of [['input', state.input], ['output', state.output]] as const) {
          if (bytes(v) > PAYLOAD_LIMIT_BYTES) {
            violation = new StatesError('States.DataLimitExceeded', `the ${what} of state ${state.name} is ${bytes(v)} bytes, over the ${PAYLOAD_LIMIT_BYTES} bytes Step Functions allows`, true);
            run.abort();
          }
        }
      }
    })().catch(() => undefined);
  };

  const run = (def: Definition, runInput: unknown, ctx: Json, map?: HistoryEvent['map']) => {
    const sm = new StateMachine(rewrite(def) as never, { validationOptions: { noValidate: true } });
    const execution = sm.run(runInput as never, { overrides: { taskResourceLocalHandlers: handlers, retryIntervalOverrides: retryOverrides }, context: ctx } as never);
    watch(execution, map);
    return execution.result;
  };

  async function runDistributedMap(name: string, s: Json, mapInput: unknown): Promise<unknown[]> {
    const reader = s.ItemReader as ItemReaderSpec | undefined;
    let items: unknown;
    if (reader) {
      const parameters = (await evaluate(reader.Parameters, mapInput, context())) as Json;
      items = await options.readItems({ ...reader, Parameters: parameters });
    } else {
      items = s.ItemsPath ? await evaluate({ 'items.$': s.ItemsPath }, mapInput, context()).then((r) => (r as Json).items) : mapInput;
    }
    if (!Array.isArray(items)) throw new StatesError('States.Runtime', `Map state ${name}: its items are not an array`);
    const selector = (s.ItemSelector ?? s.Parameters) as Json | undefined;
    const processor = s.ItemProcessor as Definition;
    const limit = Math.max(1, Math.min(Number(s.MaxConcurrency) || Infinity, options.mapConcurrency ?? Infinity, items.length));
    const results: unknown[] = new Array(items.length);
    const failures: { index: number; error: unknown }[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: limit }, async () => {
        while (next < items.length && !violation) {
          const index = next++;
          const ctx = context({ Map: { Item: { Index: index, Value: items[index] } } });
          // The ItemSelector is the Map state's own: a path that matches nothing fails the state (States.Runtime),
          // as in an inline Map, not one item.
          const childInput = selector ? await evaluate(selector, mapInput, ctx).catch((err) => Promise.reject((err as { cause?: unknown }).cause ?? err)) : items[index];
          checkPayload(`the input of item ${index} of Map state ${name}`, childInput);
          try {
            results[index] = await run(processor, childInput, ctx, { state: name, index });
          } catch (error) {
            failures.push({ index, error: (error as { cause?: unknown }).cause ?? error });
          }
        }
      }),
    );
    if (violation) throw violation;
    const tolerated = Math.max(Number(s.ToleratedFailureCount ?? 0), Math.floor((Number(s.ToleratedFailurePercentage ?? 0) / 100) * items.length));
    if (failures.length > tolerated) {
      const first = failures.sort((a, b) => a.index - b.index)[0];
      const err = first.error as Error;
      throw new StatesError('States.ExceedToleratedFailureThreshold', `Map state ${name}: ${failures.length} of ${items.length} items failed (${tolerated} tolerated); item ${first.index}: ${err?.name}: ${err?.message}`);
    }
    return results;
  }

  bind(definition);
  const unbound = [...allStates(definition)].filter(([name, s]) => s.Type === 'Task' && !handlers[name]);
  if (unbound.length) throw new Error(`no local binding for task state(s) ${unbound.map(([n]) => n).join(', ')}`);
  try {
    const output = await run(definition, input, context());
    if (violation) throw violation;
    checkPayload('the execution output', output);
    return { status: 'SUCCEEDED', output };
  } catch (thrown) {
    const err = (violation ?? (thrown as { cause?: unknown }).cause ?? thrown) as Error;
    return { status: 'FAILED', error: err?.name ?? 'Error', cause: err?.message ?? String(err) };
  }
}
