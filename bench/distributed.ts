/**
 * The distributed path at scale, locally: a generated export uploaded to s3rver, then the synthesized state machine
 * run by the local ASL interpreter (lambdas/local/stepfunctions/) with its tasks invoking the compute and publish
 * handlers, one item of each Distributed Map at a time (in AWS they run in parallel), writing every assignment to
 * dynalite on disk. The emulators run in their own process (emulator-child.ts), so the memory sampled here is the
 * functions': per stage, the wall time, CPU time, peak RSS and heap, and each task's duration (what one Lambda
 * invocation of that stage takes, the figure the AWS estimate builds on: aws-estimate.ts).
 */
import { fork } from 'node:child_process';
import { readdirSync, statSync, createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { createComputeHandler } from '../lambdas/handlers/distributed/compute';
import { createPublishHandler } from '../lambdas/handlers/distributed/publish';
import { awsRuntime } from '../lambdas/handlers/runtime';
import { loadStackPolicies, type LocalNames } from '../lambdas/local/iam/stack-policies';
import { localStepFunctions } from '../lambdas/local/stepfunctions/service';
import type { HistoryEvent } from '../lambdas/local/stepfunctions/interpreter';
import { datasetPrefix } from '../lambdas/pipeline/datasets';
import { silentLog } from '../lambdas/pipeline/log';
import { estimateRows } from '../lambdas/pipeline/route';
import { tableOfKey } from '../lambdas/core/distributed/shuffle';
import { createStores } from '../lambdas/store/config';

/** The stages people read, from the top-level states of the definition (the Lloyd loop is one stage). */
const STAGE_OF: Record<string, string> = {
  Plan: 'plan',
  Scatter: 'scatter',
  JoinOrders: 'join orders',
  JoinChildren: 'join children',
  PartitionFeatures: 'features',
  Fit: 'fit',
  KMeansPartials: 'lloyd',
  KMeansReduce: 'lloyd',
  Converged: 'lloyd',
  Draft: 'draft',
  WriteAssignments: 'write',
  Activate: 'activate',
};
export const STAGES = ['plan', 'scatter', 'join orders', 'join children', 'features', 'fit', 'lloyd', 'draft', 'write', 'activate'] as const;
export type Stage = (typeof STAGES)[number];

export interface StageFigure {
  stage: Stage;
  seconds: number;
  cpuSeconds: number;
  /** Highest resident set size and V8 heap in use sampled during the stage (MB). */
  peakRssMb: number;
  peakHeapMb: number;
  /** Task invocations of the stage and their durations (one Lambda invocation each in AWS). */
  tasks: number;
  sumTaskSeconds: number;
  maxTaskSeconds: number;
  /** The same per task state (a stage may have two: the Lloyd loop's partials and reduce). */
  byTask: Record<string, { n: number; sum: number; max: number }>;
}

export interface DistributedBenchResult {
  customers: number;
  people: number;
  partitions: number;
  buckets: number;
  iterations: number;
  /** Bytes of the export's tables, and of the largest one. */
  exportBytes: number;
  largestTableBytes: number;
  uploadSeconds: number;
  runSeconds: number;
  stages: StageFigure[];
  /** Objects and bytes under work/ when the run ended (the shuffle's pieces, features, partials). */
  workObjects: number;
  workBytes: number;
  load: [number, number];
  cores: number;
}

const mb = (bytes: number) => Math.round(bytes / 2 ** 20);

/** The emulators in a child process; resolves with their environment. */
function startEmulatorProcess(dir: string): Promise<{ env: Record<string, string>; names: LocalNames; stop(): Promise<void> }> {
  const child = fork(join(__dirname, 'emulator-child.ts'), [dir], { execArgv: ['-r', 'tsx/cjs'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the emulator process exited (${code}) before it was ready`)));
    child.once('message', (m: { env: Record<string, string>; names: LocalNames }) => {
      child.removeAllListeners('exit');
      resolve({
        ...m,
        stop: () =>
          new Promise<void>((done) => {
            child.once('exit', () => done());
            child.send('stop');
          }),
      });
    });
  });
}

export async function benchDistributed(options: { data: string; state: string; customers: number; log?: (line: string) => void; partitionPeople?: number }): Promise<DistributedBenchResult> {
  const log = options.log ?? (() => undefined);
  await rm(options.state, { recursive: true, force: true });
  const emulators = await startEmulatorProcess(options.state);
  const before = loadavg()[0];
  try {
    const env = { ...emulators.env };
    const operator = createStores(env);
    const files = readdirSync(options.data).filter((f) => f.endsWith('.csv') && tableOfKey(f).role !== 'ignored');
    const sizes = files.map((f) => statSync(join(options.data, f)).size);
    let t = performance.now();
    for (const [i, f] of files.entries()) {
      log(`uploading ${f} (${mb(sizes[i])} MB)`);
      await operator.raw.putStream(datasetPrefix('bench') + f, createReadStream(join(options.data, f)), { contentLength: sizes[i] });
    }
    const uploadSeconds = (performance.now() - t) / 1000;

    const policies = await loadStackPolicies(emulators.names);
    const compute = awsRuntime('compute', env, { log: silentLog });
    const publish = awsRuntime('publish', env, { log: silentLog });
    const machine = awsRuntime('stateMachine', env, { log: silentLog });
    const handlers = { compute: createComputeHandler(() => compute), publish: createPublishHandler(() => publish) };
    const invoke = (fn: 'compute' | 'publish', event: unknown) => {
      const deadline = Date.now() + 900_000;
      return handlers[fn](event as never, { awsRequestId: `bench-${Date.now()}`, getRemainingTimeInMillis: () => deadline - Date.now() });
    };

    // Stage clock and memory sampler, driven by the execution's history.
    const figures = new Map<Stage, StageFigure>(STAGES.map((stage) => [stage, { stage, seconds: 0, cpuSeconds: 0, peakRssMb: 0, peakHeapMb: 0, tasks: 0, sumTaskSeconds: 0, maxTaskSeconds: 0, byTask: {} }]));
    let current: Stage | undefined;
    let stageStart = 0;
    let cpuStart = process.cpuUsage();
    const taskStart = new Map<string, number>();
    const close = (at: number) => {
      if (!current) return;
      const f = figures.get(current)!;
      f.seconds += (at - stageStart) / 1000;
      const cpu = process.cpuUsage(cpuStart);
      f.cpuSeconds += (cpu.user + cpu.system) / 1e6;
    };
    const onEvent = (e: HistoryEvent) => {
      const stage = e.state ? (STAGE_OF[e.state] as Stage | undefined) : undefined;
      if (!e.map && e.type === 'StateEntered' && stage && stage !== current) {
        close(e.at);
        current = stage;
        stageStart = e.at;
        cpuStart = process.cpuUsage();
        log(`stage ${stage}`);
      }
      // Task durations: the tasks of the maps' items, and the top-level tasks themselves.
      const isTask = e.state && !['Converged', 'PartitionWritten', 'ResumePartition', 'PartitionComplete'].includes(e.state) && (e.map || ['Plan', 'Fit', 'KMeansReduce', 'Draft', 'Activate'].includes(e.state));
      if (!isTask || !current) return;
      const id = `${e.map?.state ?? ''}:${e.map?.index ?? ''}:${e.state}`;
      if (e.type === 'StateEntered') taskStart.set(id, e.at);
      if (e.type === 'StateExited' && taskStart.has(id)) {
        const seconds = (e.at - taskStart.get(id)!) / 1000;
        const f = figures.get(current)!;
        f.tasks++;
        f.sumTaskSeconds += seconds;
        f.maxTaskSeconds = Math.max(f.maxTaskSeconds, seconds);
        const t = (f.byTask[e.state!] ??= { n: 0, sum: 0, max: 0 });
        t.n++;
        t.sum += seconds;
        t.max = Math.max(t.max, seconds);
      }
    };
    const sampler = setInterval(() => {
      if (!current) return;
      const f = figures.get(current)!;
      const m = process.memoryUsage();
      f.peakRssMb = Math.max(f.peakRssMb, mb(m.rss));
      f.peakHeapMb = Math.max(f.peakHeapMb, mb(m.heapUsed));
    }, 50);

    const sfn = localStepFunctions({ policies, invoke, stores: [machine.stores.raw, machine.stores.artifacts], mapConcurrency: 1, onEvent: (_, e) => onEvent(e) });
    const customersKey = files.find((f) => tableOfKey(f).role === 'customers')!;
    const estimatedPeople = await estimateRows(operator.raw, datasetPrefix('bench') + customersKey, sizes[files.indexOf(customersKey)]);
    t = performance.now();
    const { done } = sfn.startExecution({ datasetId: 'bench', runId: 'bench', estimatedPeople, ...(options.partitionPeople ? { partitionPeople: options.partitionPeople } : {}) }, 'bench');
    const execution = await done;
    close(Date.now());
    clearInterval(sampler);
    if (execution.status !== 'SUCCEEDED') throw new Error(`the distributed run failed: ${execution.error}: ${execution.cause}`);
    const runSeconds = (performance.now() - t) / 1000;

    const plan = await operator.artifacts.getJson<{ partitions: number; buckets: number }>('work/bench/plan.json');
    const active = (await operator.segments.getActiveModel())!.record;
    const iterations = execution.history.filter((e) => !e.map && e.type === 'StateEntered' && e.state === 'KMeansReduce').length;
    const work = await operator.artifacts.list('work/bench/');
    for (const rt of [operator, compute.stores, publish.stores, machine.stores]) {
      rt.s3.destroy();
      rt.dynamo.destroy();
    }
    return {
      customers: options.customers,
      people: active.model.people,
      partitions: plan.partitions,
      buckets: plan.buckets,
      iterations,
      exportBytes: sizes.reduce((a, b) => a + b, 0),
      largestTableBytes: Math.max(...sizes),
      uploadSeconds,
      runSeconds,
      stages: [...figures.values()],
      workObjects: work.length,
      workBytes: work.reduce((a, o) => a + o.size, 0),
      load: [before, loadavg()[0]],
      cores: cpus().length,
    };
  } finally {
    await emulators.stop();
    await rm(options.state, { recursive: true, force: true });
  }
}
