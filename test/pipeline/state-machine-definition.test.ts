/**
 * The state machine's definition is what runs locally, so its mistakes fail here before AWS sees them.
 *
 * First the interpreter's contract on small definitions (lambdas/local/stepfunctions/interpreter.ts): a path that
 * matches nothing, a task error without a Retry, a payload over Step Functions' 256 KB, and the Distributed Map
 * features it adds (items from S3 lists, ItemSelector with $$.Map.Item, tolerated failures).
 *
 * Then the synthesized definition itself on the emulators (tiny exports routed to it by a threshold of 10 people),
 * edited as a careless change to lib/ would edit it: its Retry on the writers is what carries a run through a
 * transient S3 error (removed, the same fault fails the run), and a wrong path in an ItemSelector fails the run (a
 * runtime error, which no Catch handles: the execution's end event records it on the run), the model left as it was.
 */
import { createReadStream, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDataset } from '../../lambdas/core/generate/generator';
import { FaultInjector } from '../../lambdas/local/faults';
import { runStateMachine, PAYLOAD_LIMIT_BYTES, type RunOptions } from '../../lambdas/local/stepfunctions/interpreter';
import { startLocalStack, type LocalStack } from '../../lambdas/local/runtime';
import { datasetPrefix } from '../../lambdas/pipeline/datasets';
import { ROUTE_ENV } from '../../lambdas/pipeline/route';
import { STATES } from '../../lib/constructs/distributed-pipeline';

const execution = { Id: 'arn:aws:states:us-east-1:000000000000:execution:test:run', Name: 'run' };
const fail = (name: string, message: string) => Object.assign(new Error(message), { name });

describe('the interpreter', () => {
  const options = (task: RunOptions['task'], extra: Partial<RunOptions> = {}): RunOptions => ({ task, readItems: async () => [], execution, retryIntervalMs: 0, ...extra });
  const task = (extra: Record<string, unknown> = {}) => ({ Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:000000000000:function:f', ...extra });

  test('a path that matches nothing fails the execution with States.Runtime', async () => {
    const def = { StartAt: 'T', States: { T: task({ Parameters: { 'key.$': '$.plan.itemz' }, End: true }) } };
    const out = await runStateMachine(def, { plan: { items: 'x' } }, options(async (_, input) => input));
    expect(out).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
    expect(out.cause).toMatch(/\$\.plan\.itemz/);
  });

  test('a task error is retried only where the definition says so', async () => {
    let calls = 0;
    const flaky = async () => {
      if (calls++ === 0) throw fail('SlowDown', 'Please reduce your request rate.');
      return { ok: true };
    };
    const retried = { StartAt: 'T', States: { T: task({ Retry: [{ ErrorEquals: ['SlowDown'], MaxAttempts: 2 }], End: true }) } };
    expect(await runStateMachine(retried, {}, options(flaky))).toMatchObject({ status: 'SUCCEEDED', output: { ok: true } });
    calls = 0;
    const bare = { StartAt: 'T', States: { T: task({ End: true }) } };
    expect(await runStateMachine(bare, {}, options(flaky))).toMatchObject({ status: 'FAILED', error: 'SlowDown' });
  });

  test('a result over 256 KB fails with States.DataLimitExceeded, which no Catch handles', async () => {
    const big = 'x'.repeat(PAYLOAD_LIMIT_BYTES);
    const def = {
      StartAt: 'T',
      States: { T: task({ ResultPath: '$.r', Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }], End: true }), Caught: { Type: 'Succeed' } },
    };
    const out = await runStateMachine(def, {}, options(async () => ({ big })));
    expect(out).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded' });
    // A state output over the limit, built by the definition itself (two results under the limit, merged).
    const half = 'y'.repeat(PAYLOAD_LIMIT_BYTES / 2 + 10);
    const merged = { StartAt: 'A', States: { A: task({ ResultPath: '$.a', Next: 'B' }), B: task({ ResultPath: '$.b', End: true }) } };
    expect(await runStateMachine(merged, {}, options(async () => half))).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded' });
  });

  test('a Distributed Map reads its items from S3, selects each with $$.Map.Item, and tolerates no failure by default', async () => {
    const map = (extra: Record<string, unknown> = {}) => ({
      StartAt: 'M',
      States: {
        M: {
          Type: 'Map',
          ItemReader: { Resource: 'arn:aws:states:::s3:getObject', ReaderConfig: { InputType: 'JSON' }, Parameters: { Bucket: 'b', 'Key.$': '$.list' } },
          ItemSelector: { 'n.$': '$$.Map.Item.Value.n', 'i.$': '$$.Map.Item.Index', 'tag.$': '$.tag' },
          ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' }, StartAt: 'Square', States: { Square: task({ End: true }) } },
          MaxConcurrency: 2,
          End: true,
          ...extra,
        },
      },
    });
    const reads: unknown[] = [];
    const readItems: RunOptions['readItems'] = async (reader) => (reads.push(reader.Parameters), [1, 2, 3, 4].map((n) => ({ n })));
    let inFlight = 0;
    let most = 0;
    const square = async (_: string, input: unknown) => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      const { n, i, tag } = input as { n: number; i: number; tag: string };
      if (n === 3 && tag === 'fail') throw fail('Boom', 'item 3');
      return { sq: n * n, i, tag };
    };
    const ok = await runStateMachine(map(), { list: 'work/items.json', tag: 't' }, options(square, { readItems }));
    expect(ok).toMatchObject({ status: 'SUCCEEDED', output: [1, 4, 9, 16].map((sq, i) => ({ sq, i, tag: 't' })) });
    expect(reads).toEqual([{ Bucket: 'b', Key: 'work/items.json' }]);
    expect(most).toBe(2);
    expect(await runStateMachine(map(), { list: 'l', tag: 'fail' }, options(square, { readItems }))).toMatchObject({ status: 'FAILED', error: 'States.ExceedToleratedFailureThreshold' });
    expect(await runStateMachine(map({ ToleratedFailurePercentage: 25 }), { list: 'l', tag: 'fail' }, options(square, { readItems }))).toMatchObject({ status: 'SUCCEEDED' });
  });
});

describe('the synthesized definition, edited', () => {
  const work = mkdtempSync(join(tmpdir(), 'segments-definition-'));
  const faults = new FaultInjector();
  let stack: LocalStack;
  let original: Record<string, any>;

  async function runDistributed(datasetId: string): Promise<void> {
    const dir = join(work, 'data');
    for (const f of readdirSync(dir)) await stack.runtime.stores.raw.putStream(datasetPrefix(datasetId) + f, createReadStream(join(dir, f)), { contentLength: statSync(join(dir, f)).size });
    await stack.idle();
  }
  const lastExecution = () => stack.stepFunctions.executions[stack.stepFunctions.executions.length - 1];
  /** The first writer's part counts (work/<run>/written/p-00000.json) cannot be stored: three S3 503s, the SDK's attempts. */
  const failFirstWrittenPut = () =>
    faults.set([{ name: 's3 503', service: 's3', operations: ['PutObject'], when: (input: { Key?: string }) => /\/written\/p-00000\.json$/.test(input.Key ?? ''), from: 1, to: 3, fault: { kind: 'error', status: 503, code: 'ServiceUnavailable' } }]);

  beforeAll(async () => {
    await generateDataset({ customers: 200, seed: 3, outDir: join(work, 'data') });
    stack = await startLocalStack({
      dir: join(work, 'state'),
      inMemoryDynamo: true,
      faults,
      env: { FIXED_K: '3', TRAIN_SWEEP: 'false', TRAIN_COMPARE: 'false', [ROUTE_ENV.above]: '10' },
      trainOptions: { nInit: 2, threads: 1 },
      distributed: { retryIntervalMs: 10 },
    });
    original = stack.iam!.policies.stateMachine.definition;
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await rm(work, { recursive: true, force: true });
  });

  test('as synthesized: the writers\' Retry carries the run through a transient S3 error', async () => {
    failFirstWrittenPut();
    await runDistributed('as-synthesized');
    expect(faults.hits('s3 503')).toBe(3);
    expect(lastExecution()).toMatchObject({ status: 'SUCCEEDED' });
    expect(lastExecution().history.filter((e) => e.type === 'StateRetried' && e.state === STATES.writePartition)).toHaveLength(1);
    expect((await stack.runtime.stores.segments.getRun('as-synthesized'))?.status).toBe('succeeded');
  }, 120_000);

  test('without that Retry the same fault fails the run, recorded on the run; the active model stays', async () => {
    const edited = structuredClone(original);
    delete edited.States.WriteAssignments.ItemProcessor.States.WritePartition.Retry;
    stack.stepFunctions.updateDefinition(edited);
    const active = (await stack.runtime.stores.segments.getActivePointer())!.version;
    failFirstWrittenPut();
    await runDistributed('no-retry');
    expect(lastExecution()).toMatchObject({ status: 'FAILED', error: 'States.ExceedToleratedFailureThreshold' });
    expect(lastExecution().cause).toMatch(/ServiceUnavailable/);
    const run = (await stack.runtime.stores.segments.getRun('no-retry'))!;
    expect(run.status).toBe('failed');
    expect(run.reasons.join(' ')).toMatch(/ServiceUnavailable/);
    expect((await stack.runtime.stores.segments.getActivePointer())!.version).toBe(active);
    expect(stack.failures.map((f) => f.source)).toEqual(['distributed']);
    stack.failures.length = 0;
  }, 120_000);

  test('a wrong path in an ItemSelector fails the run at that state (a runtime error: no Catch handles it, as in AWS; the end event records it)', async () => {
    const edited = structuredClone(original);
    edited.States.WriteAssignments.ItemSelector['model.$'] = '$.models';
    stack.stepFunctions.updateDefinition(edited);
    faults.clear();
    await runDistributed('wrong-path');
    expect(lastExecution()).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
    expect(lastExecution().cause).toMatch(/\$\.models/);
    const entered = lastExecution().history.filter((e) => e.type === 'StateEntered').map((e) => e.state);
    expect(entered).toContain('Draft');
    expect(entered).not.toContain(STATES.writePartition);
    expect(entered).not.toContain(STATES.recordFailure);
    // The ExecutionEnded rule: the run record says why, the error report too.
    const run = (await stack.runtime.stores.segments.getRun('wrong-path'))!;
    expect(run.status).toBe('failed');
    expect(run.reasons.join(' ')).toMatch(/States\.Runtime.*\$\.models/);
    expect(await stack.runtime.stores.artifacts.exists('errors/wrong-path/error.json')).toBe(true);
    stack.failures.length = 0;
  }, 120_000);
});
