/**
 * A small pool of worker threads that run k-means initialisations (kmeansWorker.ts) while the main thread runs its
 * own share, so that `kmeans` can use several cores and still be a synchronous function.
 *
 * Protocol, per worker: a shared Int32Array control word. The main thread posts a job message, sets the word to
 * POSTED and notifies; the worker (blocked in Atomics.wait) takes the message with receiveMessageOnPort, runs the
 * initialisations, writes the results into shared buffers of the job and sets DONE (or FAILED). The main thread
 * waits on the word with Atomics.wait, which needs no event loop turn, and the worker needs none either.
 *
 * Workers load the TypeScript sources through tsx (a dependency of the product, also what the CLI uses), so they
 * are only available where those sources are (CLI, tests); where they are not (a bundled Lambda) or a worker fails
 * to start, `acquireWorkers` returns none and k-means runs on the main thread alone. Workers are unref'd: an idle
 * pool never keeps the process alive.
 */
import { existsSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { KdTree } from './kdTree';
import type { KernelMode } from './kernels';

export const IDLE = 0;
export const POSTED = 1;
export const DONE = 2;
export const FAILED = 3;
export const LOAD_FAILED = 4;
export const STARTING = 5;

/** A batch of initialisations for one worker; outputs are views on SharedArrayBuffers, one slot per seed. */
export interface InitJob {
  treeId: number;
  /** Sent only when the worker does not hold this tree yet (it keeps the last one). */
  tree?: KdTree;
  k: number;
  mode: KernelMode;
  maxIter: number;
  tolAbs: number;
  seeds: number[];
  /** Per seed: inertia, iterations, converged (1/0). */
  stats: Float64Array;
  /** Per seed: k x d centres. */
  centers: Float64Array;
  /** Per seed: n labels in the tree's leaf order. */
  labels: Int32Array;
}

export interface WorkerHandle {
  worker: Worker;
  control: Int32Array;
  /** Id of the tree this worker holds, -1 if none. */
  treeId: number;
}

/** Longest wait for a worker to load the sources (tsx compiles them on first use). */
const STARTUP_TIMEOUT_MS = 30000;

const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
try {
  if (workerData.loader) require(workerData.loader);
  require(workerData.entry);
} catch (err) {
  Atomics.store(workerData.control, 0, ${LOAD_FAILED});
  Atomics.notify(workerData.control, 0);
}
`;

const pool: WorkerHandle[] = [];
let unavailable = false;

/** How the worker entry can be loaded here, or undefined if it cannot. */
function entryPoint(): { entry: string; loader?: string } | undefined {
  try {
    const ts = join(__dirname, 'kmeansWorker.ts');
    if (existsSync(ts)) return { entry: ts, loader: require.resolve('tsx/cjs') };
    const js = join(__dirname, 'kmeansWorker.js');
    return existsSync(js) ? { entry: js } : undefined;
  } catch {
    return undefined; // no __dirname / require (ESM bundle), or tsx not installed
  }
}

/** Cores this process may use. */
export function availableCores(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/** Threads this process ran on in its last parallel call, and when that ended (for idleCores). */
let lastThreads = 1;
let lastEnd = -Infinity;

export function noteThreadsUsed(threads: number): void {
  lastThreads = threads;
  lastEnd = performance.now();
}

/**
 * Cores not busy with other processes, from the 1-minute load average minus this process's own recent threads.
 * Extra threads only help when cores are idle: on a busy machine they compete with the other processes and with
 * each other (measured: 35% slower than one thread on a 2-core machine with 3 runnable tasks).
 */
export function idleCores(): number {
  const cores = availableCores();
  const own = performance.now() - lastEnd < 60_000 ? lastThreads : 1;
  const others = Math.max(0, os.loadavg()[0] - own);
  return Math.max(1, Math.min(cores, Math.floor(cores - others + 0.25)));
}

/** Up to `count` ready workers (none if workers cannot run here). */
export function acquireWorkers(count: number): WorkerHandle[] {
  if (unavailable || count <= 0) return [];
  const where = entryPoint();
  if (!where) {
    unavailable = true;
    return [];
  }
  while (pool.length < count) {
    const control = new Int32Array(new SharedArrayBuffer(8));
    control[0] = STARTING;
    let worker: Worker;
    try {
      worker = new Worker(BOOTSTRAP, { eval: true, workerData: { ...where, control } });
    } catch {
      unavailable = true;
      return [];
    }
    worker.unref();
    // An error after startup is reported through the control word; this only keeps it from being unhandled.
    worker.on('error', () => undefined);
    Atomics.wait(control, 0, STARTING, STARTUP_TIMEOUT_MS);
    if (Atomics.load(control, 0) !== IDLE) {
      void worker.terminate();
      unavailable = true;
      return [];
    }
    pool.push({ worker, control, treeId: -1 });
  }
  return pool.slice(0, count);
}

/** Hands a job to an idle worker; the tree goes along only if the worker does not hold it yet. */
export function post(handle: WorkerHandle, job: InitJob, tree: KdTree): void {
  const message: InitJob = handle.treeId === job.treeId ? job : { ...job, tree };
  handle.worker.postMessage(message);
  handle.treeId = job.treeId;
  Atomics.store(handle.control, 0, POSTED);
  Atomics.notify(handle.control, 0);
}

/** Blocks until the worker has finished its job; false if it failed (the caller then runs the job itself). */
export function wait(handle: WorkerHandle): boolean {
  while (Atomics.load(handle.control, 0) === POSTED) Atomics.wait(handle.control, 0, POSTED, 1000);
  const ok = Atomics.load(handle.control, 0) === DONE;
  if (!ok) handle.treeId = -1;
  Atomics.store(handle.control, 0, IDLE);
  return ok;
}

/** Stops the pool's workers (they are unref'd, so this is only needed to free them early, e.g. in tests). */
export async function shutdownWorkers(): Promise<void> {
  const all = pool.splice(0, pool.length);
  await Promise.all(all.map((h) => h.worker.terminate()));
}
