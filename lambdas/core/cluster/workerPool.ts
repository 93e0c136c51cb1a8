/**
 * A small pool of worker threads that run k-means initialisations and silhouette distance tiles (kmeansWorker.ts)
 * while the main thread runs its own share, so that `kmeans` and `silhouette` can use several cores and still be
 * synchronous functions.
 *
 * Protocol, per worker: a shared Int32Array control word. The main thread posts a job message, sets the word to
 * POSTED and notifies; the worker (blocked in Atomics.wait) takes the message with receiveMessageOnPort, runs the
 * initialisations, writes the results into shared buffers of the job and sets DONE (or FAILED). The main thread
 * waits on the word with Atomics.wait, which needs no event loop turn, and the worker needs none either.
 *
 * Where the worker entry comes from (`entryPoint`): next to the TypeScript sources it is kmeansWorker.ts, loaded
 * through tsx (a dependency of the product, also what the CLI uses: CLI, tests); in a Lambda bundle it is
 * kmeans-worker.js, a separate esbuild bundle of kmeansWorker.ts that the function construct writes next to the
 * handler's index.js (lib/constructs/defaults/lambda-defaults.ts). Where neither exists or a worker fails to start,
 * `acquireWorkers` returns none and k-means runs on the main thread alone. Workers are unref'd: an idle pool never
 * keeps the process alive.
 */
import { existsSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { KdTree } from './kdTree';
import type { KernelMode } from './kernels';
import type { TileWork } from './silhouetteTiles';

export const IDLE = 0;
export const POSTED = 1;
export const DONE = 2;
export const FAILED = 3;
export const LOAD_FAILED = 4;
export const STARTING = 5;

/** A batch of initialisations for one worker; outputs are views on SharedArrayBuffers, one slot per seed. */
export interface InitJob {
  kind: 'init';
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

/** Silhouette tiles to claim alongside the main thread (silhouetteTiles.ts); every buffer is shared. */
export interface TileJob extends TileWork {
  kind: 'tiles';
  /** Which sorted sample `x` is: the worker compiles a kernel once per sample, not once per batch. */
  sampleId: number;
}

export type WorkerJob = InitJob | TileJob;

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

/** File name of the bundled worker beside a bundled handler (written by lib/constructs/defaults/lambda-defaults.ts; named in lambdas/contract/bundle.ts). */
export const BUNDLED_WORKER = 'kmeans-worker.js';

export interface WorkerEntry {
  entry: string;
  /** Module required before the entry (tsx, to load TypeScript). */
  loader?: string;
}

/**
 * How the worker entry can be loaded from `dir` (default: this module's directory, which in a bundle is the
 * bundle's), or undefined if it cannot: the sources (through tsx), the bundled worker, or compiled output.
 */
export function entryPoint(dir: string = __dirname): WorkerEntry | undefined {
  try {
    const ts = join(dir, 'kmeansWorker.ts');
    if (existsSync(ts)) return { entry: ts, loader: require.resolve('tsx/cjs') };
    for (const name of [BUNDLED_WORKER, 'kmeansWorker.js']) {
      const js = join(dir, name);
      if (existsSync(js)) return { entry: js };
    }
    return undefined;
  } catch {
    return undefined; // no __dirname / require (ESM bundle), or tsx not installed
  }
}

/** Cores this process may use. */
export function availableCores(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/** Set by `limitThreads`: replaces the load-average estimate of `idleCores`. */
let threadsLimit: number | undefined;

/**
 * Sets what threads: 'auto' may use, for processes that know their CPU share better than the load average tells:
 * a Lambda function gets memory / 1,769 MB vCPUs of CPU time (the handler passes KMEANS_THREADS, computed by the
 * construct from the memory size), whatever number of cores the sandbox shows. undefined or 'auto' restores the
 * load-average estimate. Still capped by the visible cores.
 */
export function limitThreads(limit: number | 'auto' | undefined): void {
  if (limit !== undefined && limit !== 'auto' && (!Number.isInteger(limit) || limit < 1)) {
    throw new Error(`threads limit must be a positive integer or 'auto', got ${limit}`);
  }
  threadsLimit = limit === 'auto' ? undefined : limit;
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
  if (threadsLimit !== undefined) return Math.min(cores, threadsLimit);
  const own = performance.now() - lastEnd < 60_000 ? lastThreads : 1;
  const others = Math.max(0, os.loadavg()[0] - own);
  return Math.max(1, Math.min(cores, Math.floor(cores - others + 0.25)));
}

/**
 * Threads for one parallel call (kmeans, silhouette): an explicit count, checked, or with 'auto' (the default) the idle
 * cores when the call's work repays waking workers, else 1; at most `cap`.
 */
export function threadsFor(opt: number | 'auto' | undefined, repaysWorkers: boolean, cap = Infinity): number {
  if (opt === undefined || opt === 'auto') return repaysWorkers ? Math.min(idleCores(), cap) : 1;
  if (!Number.isInteger(opt) || opt < 1) throw new Error(`threads must be a positive integer or 'auto', got ${opt}`);
  return Math.min(opt, cap);
}

/** Memory for a job's inputs and outputs: shared with the workers when there are any, plain otherwise. */
export function jobBuffer(bytes: number, shared: boolean): ArrayBuffer | SharedArrayBuffer {
  return shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
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
    const handle = startWorker(where);
    if (!handle) {
      unavailable = true;
      return [];
    }
    pool.push(handle);
  }
  return pool.slice(0, count);
}

/** Starts one worker on `where` and waits until it is ready; undefined if it cannot load or start. */
export function startWorker(where: WorkerEntry): WorkerHandle | undefined {
  const control = new Int32Array(new SharedArrayBuffer(8));
  control[0] = STARTING;
  let worker: Worker;
  try {
    worker = new Worker(BOOTSTRAP, { eval: true, workerData: { ...where, control } });
  } catch {
    return undefined;
  }
  worker.unref();
  // An error after startup is reported through the control word; this only keeps it from being unhandled.
  worker.on('error', () => undefined);
  Atomics.wait(control, 0, STARTING, STARTUP_TIMEOUT_MS);
  if (Atomics.load(control, 0) !== IDLE) {
    void worker.terminate();
    return undefined;
  }
  return { worker, control, treeId: -1 };
}

/** Hands a job to an idle worker; the tree goes along only if the worker does not hold it yet. */
export function post(handle: WorkerHandle, job: InitJob, tree: KdTree): void {
  send(handle, handle.treeId === job.treeId ? job : { ...job, tree });
  handle.treeId = job.treeId;
}

/** Hands a batch of silhouette tiles to an idle worker. */
export function postTiles(handle: WorkerHandle, job: TileJob): void {
  send(handle, job);
}

function send(handle: WorkerHandle, message: WorkerJob): void {
  handle.worker.postMessage(message);
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
