/**
 * No write that cannot finish: a training whose assignment write meets its time limit stops before it, records where,
 * and a continuation (train invoked again, no new training) writes the rest; each assignment is sent once, the previous
 * model stays active until every assignment is written, then the new one is activated once.
 *
 * The limit is the train function's timeout as the local runtime reports it to the handler (the Lambda context), made
 * short here, with a write budget that cannot write the export in one invocation.
 */
import { createReadStream, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BatchWriteItemCommandInput } from '@aws-sdk/client-dynamodb';
import { generateDataset } from '../../lambdas/core/generate/generator';
import { FaultInjector } from '../../lambdas/local/faults';
import { startLocalStack, type InvocationInfo, type LocalStack } from '../../lambdas/local/runtime';
import { datasetPrefix } from '../../lambdas/pipeline/datasets';
import type { TrainContinuing, TrainOutcome } from '../../lambdas/pipeline/train';

const work = mkdtempSync(join(tmpdir(), 'segments-resumable-'));
const faults = new FaultInjector();
let stack: LocalStack;
let first: string;
/** The second dataset's train invocations (the listener is registered after the first dataset). */
const trains: InvocationInfo[] = [];
/** What readers saw when each training invocation ended: the active version and the new version's META. */
const seen: { active?: string; status?: string; assignmentsWritten?: number; writeNext?: number }[] = [];
/** Assignment items of the second model sent to the table, by customer. */
const sent = new Map<string, number>();
let secondVersion: string | undefined;

async function upload(datasetId: string, dir: string): Promise<void> {
  for (const f of readdirSync(dir)) await stack.runtime.stores.raw.putStream(datasetPrefix(datasetId) + f, createReadStream(join(dir, f)), { contentLength: statSync(join(dir, f)).size });
  await stack.idle();
}

beforeAll(async () => {
  await generateDataset({ customers: 300, seed: 5, outDir: join(work, 'a') });
  await generateDataset({ customers: 1500, seed: 6, outDir: join(work, 'b') });
  stack = await startLocalStack({
    dir: join(work, 'state'),
    inMemoryDynamo: true,
    faults,
    env: { FIXED_K: '4', TRAIN_SWEEP: 'false', TRAIN_COMPARE: 'false', TRAIN_REPORTS: 'false' },
    trainOptions: { nInit: 2, threads: 1 },
  });
  await upload('first', join(work, 'a'));
  first = (await stack.runtime.stores.segments.getActivePointer())!.version;

  // 1,500 people at 300 items/s need 5 s; each invocation may write for 3 s less the 1.5 s margin.
  stack.updateFunctionEnv({ WRITE_RATE_PER_SECOND: '300', WRITE_STOP_MARGIN_MS: '1500' });
  faults.set([
    {
      name: 'observe the assignment puts',
      service: 'dynamodb',
      operations: ['BatchWriteItem'],
      when: (input: BatchWriteItemCommandInput) => {
        for (const requests of Object.values(input.RequestItems ?? {}))
          for (const r of requests) {
            const item = r.PutRequest?.Item;
            if (item?.type?.S === 'assignment' && item.version?.S !== first) sent.set(item.customerId.S!, (sent.get(item.customerId.S!) ?? 0) + 1);
          }
        return false; // observe only, never a fault
      },
      fault: { kind: 'delay', ms: 0 },
    },
  ]);
  stack.onInvocation((info) => {
    if (info.fn !== 'train') return;
    trains.push(info);
    const r = info.result as TrainOutcome | TrainContinuing | undefined;
    secondVersion ??= r?.version;
    void Promise.all([stack.runtime.stores.segments.getActivePointer(), r?.version ? stack.runtime.stores.segments.getModel(r.version) : undefined]).then(([pointer, record]) =>
      seen.push({ active: pointer?.version, status: record?.status, assignmentsWritten: record?.assignmentsWritten, writeNext: record?.writeNext }),
    );
  });
  // The train function's timeout as its context reports it: 3 s.
  stack.updateFunctionTimeouts({ train: 3000 });
  await upload('second', join(work, 'b'));
}, 300_000);

afterAll(async () => {
  await stack?.stop();
  await rm(work, { recursive: true, force: true });
});

test('the write stopped before the time limit and continuations finished it without training again', async () => {
  expect(stack.failures).toEqual([]);
  const outcomes = trains.map((t) => t.result as TrainOutcome | TrainContinuing);
  expect(outcomes.length).toBeGreaterThanOrEqual(2);
  expect(outcomes.slice(0, -1).every((o) => o.status === 'continuing')).toBe(true);
  expect(outcomes[outcomes.length - 1]).toMatchObject({ status: 'activated', version: secondVersion });
  const continuing = outcomes.slice(0, -1) as TrainContinuing[];
  expect(continuing[0].written).toBeGreaterThan(0);
  expect(continuing[0].written).toBeLessThan(continuing[0].of);
  // Each continuation carries on from where the previous invocation stopped.
  for (let i = 1; i < continuing.length; i++) expect(continuing[i].written).toBeGreaterThan(continuing[i - 1].written);
  // Only the first invocation trained: the continuations are requests with `resume`.
  const requests = trains.map((t) => t.event as { resume?: { version: string; from: number } });
  expect(requests[0].resume).toBeUndefined();
  expect(requests.slice(1).map((r) => r.resume?.from)).toEqual(continuing.map((c) => c.written));
});

test('every assignment was sent once, and the previous model stayed active until all were written', async () => {
  const record = (await stack.runtime.stores.segments.getModel(secondVersion!))!;
  expect(sent.size).toBe(record.model.people);
  expect([...sent.values()].every((n) => n === 1)).toBe(true);
  expect(record.assignmentsWritten).toBe(record.model.people);
  await new Promise((r) => setTimeout(r, 100));
  const duringWrite = seen.slice(0, -1);
  expect(duringWrite.length).toBeGreaterThan(0);
  for (const s of duringWrite) expect(s).toMatchObject({ active: first, status: 'writing', assignmentsWritten: 0 });
  expect(duringWrite.map((s) => s.writeNext)).toEqual((trains.slice(0, -1).map((t) => t.result) as TrainContinuing[]).map((c) => c.written));
  expect(seen[seen.length - 1]).toMatchObject({ active: secondVersion, status: 'active' });
  const run = await stack.runtime.stores.segments.getRun('second');
  expect(run).toMatchObject({ status: 'succeeded', modelVersion: secondVersion });
  expect(run!.counts.assignmentsWritten).toBe(record.model.people);
  expect(stack.events.filter((e) => e.detailType === 'Segmentation model activated').map((e) => e.detail.version)).toEqual([first, secondVersion]);
  expect(stack.iam!.denials).toEqual([]);
});
