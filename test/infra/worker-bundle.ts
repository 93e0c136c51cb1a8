/**
 * Checks on a synthesized function's bundle directory: that the k-means worker bundled beside the handler
 * (lib/constructs/defaults/lambda-defaults.ts) is found the way the bundled workerPool finds it, starts as a worker thread
 * in plain Node (outside Jest's sandbox, with nothing from the repository loaded in it) and answers a job exactly as
 * the engine does in this process: k-means initialisations, then silhouette tiles.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { App } from 'aws-cdk-lib';
import { createWorkspace, runInit } from '../../lambdas/core/cluster/engine';
import { buildKdTree } from '../../lambdas/core/cluster/kdTree';
import { computeTile, TILE, TILE_FIELDS, tileRunner, type TileWork } from '../../lambdas/core/cluster/silhouetteTiles';
import { entryPoint, post, postTiles, startWorker, wait, type InitJob } from '../../lambdas/core/cluster/workerPool';

/** The staged asset directory of a function resource (Code.S3Key is `<asset hash>.zip`, staged as asset.<hash>). */
export function assetDirOf(app: App, functionResource: { Properties?: any }): string {
  const key: unknown = functionResource.Properties?.Code?.S3Key;
  if (typeof key !== 'string' || !key.endsWith('.zip')) throw new Error(`function Code.S3Key is ${JSON.stringify(key)}, expected "<hash>.zip"`);
  const dir = path.join(app.outdir, `asset.${key.slice(0, -'.zip'.length)}`);
  if (!fs.existsSync(path.join(dir, 'index.js'))) throw new Error(`no bundled index.js in ${dir}`);
  return dir;
}

/** Four overlapping blobs in d dimensions (so that k-means iterates), from a fixed LCG. */
function blobs(n: number, d: number): Float64Array {
  const x = new Float64Array(n * d);
  let s = 12345;
  const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  for (let i = 0; i < n; i++) for (let t = 0; t < d; t++) x[i * d + t] = (i % 4) * (t % 2 ? 1 : -1) + 3 * rand();
  return x;
}

export interface WorkerComparison {
  entry: string;
  loader?: string;
  started: boolean;
  done: boolean;
  /** Per seed, worker vs in-process: inertia, iterations, converged, centres, labels. */
  worker: { stats: number[]; centers: number[]; labels: number[] };
  inProcess: { stats: number[]; centers: number[]; labels: number[] };
  /** Silhouette tiles (distance sums per row and column of each tile): the worker's, then this process's. */
  tiles: { done: boolean; worker: number[]; inProcess: number[] };
}

/** Every tile of the pairwise sums over n rows (upper triangle), as the silhouette lists them. */
function tileJob(x: Float64Array, n: number, d: number): TileWork {
  const list: number[] = [];
  for (let i0 = 0; i0 < n; i0 += TILE) {
    for (let j0 = i0; j0 < n; j0 += TILE) list.push(i0, Math.min(i0 + TILE, n), j0, Math.min(j0 + TILE, n), i0 === j0 ? 1 : 0, 0, 0);
  }
  const count = list.length / TILE_FIELDS;
  const sab = <T>(Ctor: new (b: SharedArrayBuffer) => T, bytes: number) => new Ctor(new SharedArrayBuffer(bytes));
  const tiles = sab(Int32Array, 4 * list.length);
  tiles.set(list);
  return { x, d, tiles, next: sab(Int32Array, 4), done: sab(Int32Array, 4 * count), out: sab(Float64Array, 8 * 2 * TILE * count) };
}

/** Runs one job (a few initialisations on a small matrix) on the bundled worker of `dir` and in this process. */
export async function runBundledWorker(dir: string): Promise<WorkerComparison> {
  const where = entryPoint(dir);
  if (!where) throw new Error(`workerPool.entryPoint found no k-means worker in ${dir} (expected kmeans-worker.js)`);
  const n = 2000;
  const d = 5;
  const k = 4;
  const seeds = [11, 12, 13];
  const maxIter = 300;
  const tolAbs = 1e-6;
  const tree = buildKdTree(blobs(n, d), n, d, 32);
  const shared = <T>(Ctor: new (b: SharedArrayBuffer) => T, bytes: number) => new Ctor(new SharedArrayBuffer(bytes));
  const job: InitJob = {
    kind: 'init',
    treeId: 1,
    k,
    mode: 'auto',
    maxIter,
    tolAbs,
    seeds,
    stats: shared(Float64Array, 8 * 3 * seeds.length),
    centers: shared(Float64Array, 8 * k * d * seeds.length),
    labels: shared(Int32Array, 4 * n * seeds.length),
  };

  const rows = 600;
  const x = new Float64Array(new SharedArrayBuffer(8 * rows * d));
  x.set(blobs(rows, d));
  const tiles = tileJob(x, rows, d);
  const handle = startWorker(where);
  let done = false;
  let tilesDone = false;
  if (handle) {
    try {
      post(handle, job, tree);
      done = wait(handle);
      // The worker alone claims every tile (this thread takes none), for the same k-means worker as above.
      postTiles(handle, { kind: 'tiles', sampleId: 1, ...tiles });
      tilesDone = wait(handle);
    } finally {
      await handle.worker.terminate();
    }
  }

  const ws = createWorkspace(tree, k, 'auto');
  const inProcess = { stats: [] as number[], centers: [] as number[], labels: [] as number[] };
  for (const seed of seeds) {
    const out = runInit(ws, seed, maxIter, tolAbs);
    inProcess.stats.push(out.inertia, out.iterations, out.converged ? 1 : 0);
    inProcess.centers.push(...ws.lloyd.centers);
    inProcess.labels.push(...ws.lloyd.labels);
  }
  const here = tileJob(x, rows, d);
  const runner = tileRunner(d, x);
  for (let t = 0; t < here.done.length; t++) computeTile(here, t, runner.kernel, runner.rowAcc, runner.colAcc);
  return {
    ...where,
    started: handle !== undefined,
    done,
    worker: { stats: [...job.stats], centers: [...job.centers], labels: [...job.labels] },
    inProcess,
    tiles: { done: tilesDone && tiles.done.every((v) => v === 1), worker: [...tiles.out], inProcess: [...here.out] },
  };
}
