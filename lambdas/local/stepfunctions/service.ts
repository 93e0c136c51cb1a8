/**
 * The local Step Functions service of the distributed path: StartExecution of the synthesized state machine (its
 * definition from the CDK app, lambdas/local/iam/stack-policies.ts), each execution run by the interpreter
 * (interpreter.ts) with its Task states bound to the compute and publish handlers and its Distributed Maps reading
 * their items as the state machine's role. What the state machine's role may do is enforced like a function's:
 * lambda:InvokeFunction of each task's function, s3 reads of the item lists.
 */
import { executionName } from '../../pipeline/ingest';
import type { BlobStore } from '../../store/blob-store';
import type { IamAuthorizer } from '../iam/authorizer';
import type { FunctionKey, LocalPolicies } from '../iam/stack-policies';
import { runStateMachine, StatesError, type ExecutionOutcome, type HistoryEvent, type ItemReaderSpec } from './interpreter';

export interface ExecutionRecord extends Partial<Omit<ExecutionOutcome, 'status'>> {
  name: string;
  arn: string;
  input: Record<string, unknown>;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  startDate: string;
  stopDate?: string;
  history: HistoryEvent[];
}

export interface LocalStepFunctionsOptions {
  policies: Pick<LocalPolicies, 'stateMachine' | 'functions'>;
  /** Decides the state machine's requests (undefined: --no-iam). */
  authorizer?: IamAuthorizer;
  /** Invokes a function of the path synchronously (its handler under its role), as a task of the state machine. */
  invoke(fn: 'compute' | 'publish', event: unknown): Promise<unknown>;
  /** The buckets the state machine's role reads items from (its own IAM-enforced clients). */
  stores: BlobStore[];
  mapConcurrency?: number;
  retryIntervalMs?: number;
  onEvent?(execution: string, event: HistoryEvent): void;
  /** An execution that did not succeed (the stack's ExecutionEnded rule sends it to the publish function). */
  onFailed?(execution: ExecutionRecord): Promise<void>;
}

export interface LocalStepFunctions {
  readonly arn: string;
  readonly executions: ExecutionRecord[];
  /** Called when an execution ends, whatever its outcome (serve mode prints it). */
  onEnded(listener: (execution: ExecutionRecord) => void): () => void;
  /** Replaces the definition (as a deployment of an edited state machine would): later executions run it. */
  updateDefinition(definition: Record<string, unknown>): void;
  /** As StartExecution: a name already used with the same input returns that execution (idempotent); else it fails. */
  startExecution(input: Record<string, unknown>, name?: string): { execution: ExecutionRecord; done: Promise<ExecutionRecord> };
}

export function localStepFunctions(options: LocalStepFunctionsOptions): LocalStepFunctions {
  const { stateMachine } = options.policies;
  let definition = stateMachine.definition;
  const ended = new Set<(execution: ExecutionRecord) => void>();
  const executions: ExecutionRecord[] = [];
  const byArn = new Map<string, FunctionKey>();
  for (const key of ['compute', 'publish'] as const) {
    const arn = options.policies.functions[key]?.functionArn;
    if (arn) byArn.set(arn, key);
  }
  const authorize = async (action: string, resource: string, error: string) => {
    if (!options.authorizer) return;
    const decision = await options.authorizer.authorize('stateMachine', { action, resource });
    if (!decision.allowed) throw new StatesError(error, decision.message);
  };

  const task = async (resource: string, input: unknown) => {
    const fn = byArn.get(resource.replace(/:\$LATEST$/, ''));
    if (fn !== 'compute' && fn !== 'publish') throw new StatesError('States.Runtime', `no local function for Resource ${resource}`);
    await authorize('lambda:InvokeFunction', resource, 'Lambda.AWSLambdaException');
    return options.invoke(fn, input);
  };

  const readItems = async (reader: ItemReaderSpec) => {
    const { Bucket, Key, Prefix } = reader.Parameters as { Bucket: string; Key?: string; Prefix?: string };
    const store = options.stores.find((s) => s.bucket === Bucket);
    if (!store) throw new StatesError('States.ItemReaderFailed', `ItemReader: no local bucket ${Bucket}`);
    try {
      if (reader.Resource.endsWith(':s3:listObjectsV2')) {
        return (await store.list(Prefix ?? '')).map((o) => ({ Key: o.key, Size: o.size, Etag: `"${o.etag}"`, LastModified: o.lastModified?.toISOString(), StorageClass: 'STANDARD' }));
      }
      if (reader.Resource.endsWith(':s3:getObject') && (reader.ReaderConfig?.InputType ?? 'JSON') === 'JSON') {
        const items = await store.getJson<unknown>(Key!);
        if (!Array.isArray(items)) throw new Error(`s3://${Bucket}/${Key} is not a JSON array`);
        return items;
      }
    } catch (err) {
      throw new StatesError('States.ItemReaderFailed', `ItemReader ${reader.Resource}: ${(err as Error).name}: ${(err as Error).message}`);
    }
    throw new StatesError('States.ItemReaderFailed', `ItemReader ${reader.Resource} with ${JSON.stringify(reader.ReaderConfig ?? {})} is not emulated locally`);
  };

  return {
    arn: stateMachine.arn,
    executions,
    onEnded(listener) {
      ended.add(listener);
      return () => ended.delete(listener);
    },
    updateDefinition(next) {
      definition = next;
    },
    startExecution(input, name) {
      const executionName_ = executionName(name ?? `${Date.now()}-${Math.random().toString(36).slice(2, 10)}`);
      const existing = executions.find((e) => e.name === executionName_);
      if (existing) {
        if (JSON.stringify(existing.input) !== JSON.stringify(input)) throw new StatesError('ExecutionAlreadyExists', `Execution Already Exists: '${existing.arn}'`);
        return { execution: existing, done: Promise.resolve(existing) };
      }
      const arn = `${stateMachine.arn.replace(':stateMachine:', ':execution:')}:${executionName_}`;
      const record: ExecutionRecord = { name: executionName_, arn, input, status: 'RUNNING', startDate: new Date().toISOString(), history: [] };
      executions.push(record);
      const done = runStateMachine(definition as never, input, {
        task,
        readItems,
        mapConcurrency: options.mapConcurrency,
        retryIntervalMs: options.retryIntervalMs,
        execution: { Id: arn, Name: executionName_, StartTime: record.startDate },
        onEvent(e) {
          record.history.push(e);
          options.onEvent?.(executionName_, e);
        },
      })
        .then((outcome) => Object.assign(record, outcome, { stopDate: new Date().toISOString() }))
        .then(async (r) => {
          if (r.status === 'FAILED') await options.onFailed?.(r);
          for (const listener of ended) listener(r);
          return r;
        });
      return { execution: record, done };
    },
  };
}
