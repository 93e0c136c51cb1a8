/**
 * Worker thread entry (see workerPool.ts): waits for a job, runs its k-means initialisations with the same engine as
 * the main thread (engine.ts) or claims silhouette tiles with the same tile runner (silhouetteTiles.ts), writes the
 * results into the job's shared buffers and signals completion.
 * Loaded only inside a worker; the loop below never returns.
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { createWorkspace, runInit } from './engine';
import type { KdTree } from './kdTree';
import { runTiles, tileRunner } from './silhouetteTiles';
import { DONE, FAILED, IDLE, POSTED, type InitJob, type TileJob, type WorkerJob } from './workerPool';

function run(job: InitJob, tree: KdTree): void {
  const ws = createWorkspace(tree, job.k, job.mode);
  const { n, d } = tree;
  job.seeds.forEach((seed, s) => {
    const out = runInit(ws, seed, job.maxIter, job.tolAbs);
    job.stats[3 * s] = out.inertia;
    job.stats[3 * s + 1] = out.iterations;
    job.stats[3 * s + 2] = out.converged ? 1 : 0;
    job.centers.set(ws.lloyd.centers, s * job.k * d);
    job.labels.set(ws.lloyd.labels, s * n);
  });
}

/** The kernel of the last sample seen: a silhouette sends the same sample in several batches. */
let tiles: { sampleId: number; runner: ReturnType<typeof tileRunner> } | undefined;

function runTileJob(job: TileJob): void {
  if (tiles?.sampleId !== job.sampleId) tiles = { sampleId: job.sampleId, runner: tileRunner(job.d, job.x) };
  const { kernel, rowAcc, colAcc } = tiles.runner;
  runTiles(job, kernel, rowAcc, colAcc);
}

function serve(control: Int32Array): never {
  let tree: KdTree | undefined;
  Atomics.store(control, 0, IDLE);
  Atomics.notify(control, 0);
  for (;;) {
    const state = Atomics.load(control, 0);
    if (state !== POSTED) {
      Atomics.wait(control, 0, state, 1000);
      continue;
    }
    const job = receiveMessageOnPort(parentPort!)?.message as WorkerJob | undefined;
    if (!job) {
      Atomics.wait(control, 0, POSTED, 10); // posted flag seen before the message: try again shortly
      continue;
    }
    try {
      if (job.kind === 'tiles') runTileJob(job);
      else {
        if (job.tree) tree = job.tree;
        if (!tree) throw new Error('no tree');
        run(job, tree);
      }
      Atomics.store(control, 0, DONE);
    } catch {
      Atomics.store(control, 0, FAILED);
    }
    Atomics.notify(control, 0);
  }
}

if (parentPort && workerData?.control) serve(workerData.control as Int32Array);
