/**
 * Benchmark (not a test): this module's k-means vs ml-kmeans vs scikit-learn's KMeans on the same data, for the
 * k sweep the product runs (k = 2..10, 10 initialisations each).
 *
 *   npx tsx bench/kmeans.ts [--n 93000] [--kmin 2] [--kmax 10] [--nInit 10]
 *        [--data blobs,olist,real] [--olist-dir DIR] [--reps 1] [--no-ml] [--ml-ks 2,6,10]
 *        [--no-sklearn] [--python /usr/bin/python3]
 *
 * Reported per k: the fastest of --reps repetitions, ours and scikit-learn's interleaved k by k so that they see
 * the same load on a shared machine.
 *
 * Data sets (9 features, standardised like the product's model coordinates):
 * - blobs: 6 Gaussian blobs (centres uniform in [-10, 10]^9, sd 1.5), like sklearn's make_blobs;
 * - olist: customer-like features (recency, mostly-one frequency, log-normal spend, 1-5 review scores, delivery
 *   delay, late share, items, categories, instalments), log1p on the skewed ones: no clear clusters, many ties,
 *   which is the hard case for k-means (more iterations);
 * - real: the product's model coordinates of the public Olist data set (--olist-dir; default OLIST_DIR, else
 *   ../shared/olist beside the project root), through the product's own
 *   loader, features and transforms (93,358 customers).
 * The data are written to <tmpdir>/kmeans-bench-<name>.f64 (raw float64, row-major) and read back by numpy.
 * Times are wall-clock and process CPU time (all threads). Ours runs twice: on one thread, and with the
 * initialisations spread over all cores; scikit-learn uses its OpenMP/BLAS threads (reported).
 * Timings on a shared machine vary with what else runs: compare runs made back to back.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kmeans as mlKmeans } from 'ml-kmeans';
import { createMatrix, type Matrix } from '../lambdas/core/util/matrix';
import { createRng, type Rng } from '../lambdas/core/util/random';
import { computeFeatures } from '../lambdas/core/features/customerFeatures';
import { featureSpace } from '../lambdas/core/features/transforms';
import { loadOlist } from '../lambdas/core/olist/load';
import { directorySource } from '../lambdas/core/olist/source';
import { adjustedRandIndex } from '../lambdas/core/cluster/ari';
import { kmeans } from '../lambdas/core/cluster/kmeans';
import { availableCores } from '../lambdas/core/cluster/workerPool';

interface Args {
  n: number;
  kmin: number;
  kmax: number;
  nInit: number;
  data: string[];
  reps: number;
  ml: boolean;
  mlKs?: number[];
  olistDir: string;
  sklearn: boolean;
  python: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { n: 93000, kmin: 2, kmax: 10, nInit: 10, data: ['blobs', 'olist'], reps: 1, ml: true, olistDir: process.env.OLIST_DIR ?? join(__dirname, '../../shared/olist'), sklearn: true, python: '/usr/bin/python3' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    if (a === '--n') args.n = Number(next());
    else if (a === '--kmin') args.kmin = Number(next());
    else if (a === '--kmax') args.kmax = Number(next());
    else if (a === '--nInit') args.nInit = Number(next());
    else if (a === '--data') args.data = next().split(',');
    else if (a === '--reps') args.reps = Number(next());
    else if (a === '--no-ml') args.ml = false;
    else if (a === '--ml-ks') args.mlKs = next().split(',').map(Number);
    else if (a === '--olist-dir') args.olistDir = next();
    else if (a === '--no-sklearn') args.sklearn = false;
    else if (a === '--python') args.python = next();
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

function standardise(X: Matrix): Matrix {
  const { rows, cols, data } = X;
  for (let j = 0; j < cols; j++) {
    let mean = 0;
    for (let i = 0; i < rows; i++) mean += data[i * cols + j];
    mean /= rows;
    let v = 0;
    for (let i = 0; i < rows; i++) v += (data[i * cols + j] - mean) ** 2;
    const sd = Math.sqrt(v / rows) || 1;
    for (let i = 0; i < rows; i++) data[i * cols + j] = (data[i * cols + j] - mean) / sd;
  }
  return X;
}

function blobs(n: number, rng: Rng): Matrix {
  const d = 9;
  const centres = Array.from({ length: 6 }, () => Array.from({ length: d }, () => rng.next() * 20 - 10));
  const X = createMatrix(n, d);
  for (let i = 0; i < n; i++) {
    const c = centres[rng.int(centres.length)];
    for (let t = 0; t < d; t++) X.data[i * d + t] = c[t] + 1.5 * rng.normal();
  }
  return standardise(X);
}

function poisson(lambda: number, rng: Rng): number {
  const l = Math.exp(-lambda);
  let k = 0;
  let p = rng.next();
  while (p > l) {
    k++;
    p *= rng.next();
  }
  return k;
}

function pick(weights: number[], rng: Rng): number {
  let r = rng.next() * weights.reduce((a, b) => a + b, 0);
  for (let i = 0; i < weights.length; i++) {
    r -= weights[i];
    if (r < 0) return i;
  }
  return weights.length - 1;
}

/** Olist-like customer features (see the header), transformed as the product does (log1p where skewed, z-scores). */
function olistLike(n: number, rng: Rng): Matrix {
  const d = 9;
  const X = createMatrix(n, d);
  for (let i = 0; i < n; i++) {
    const frequency = 1 + poisson(0.03, rng);
    const late = rng.next() < 0.08;
    const items = frequency + poisson(0.15, rng);
    const row = [
      rng.next() * 700, // recency (days)
      Math.log1p(frequency),
      Math.log1p(Math.exp(4.6 + 0.8 * rng.normal()) * frequency), // monetary
      late ? 1 + pick([0.45, 0.12, 0.15, 0.13, 0.15], rng) : 1 + pick([0.07, 0.02, 0.07, 0.2, 0.64], rng), // review
      late ? 3 + Math.abs(8 * rng.normal()) : -12 + 6 * rng.normal(), // delivery delay (days)
      late ? (frequency > 1 && rng.next() < 0.5 ? 0.5 : 1) : 0, // late share
      Math.log1p(items),
      Math.log1p(Math.min(items, 1 + poisson(0.05, rng))), // categories
      1 + pick([0.5, 0.12, 0.1, 0.08, 0.06, 0.04, 0.03, 0.03, 0.02, 0.02], rng), // instalments
    ];
    X.data.set(row, i * d);
  }
  return standardise(X);
}

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

interface Row {
  k: number;
  wall: number;
  cpu: number;
  inertia: number;
  iterations?: number;
  labels?: Int32Array;
}

function runOurs(X: Matrix, args: Args, threads: number | 'auto'): Row[] {
  const rows: Row[] = [];
  for (let k = args.kmin; k <= args.kmax; k++) {
    const w0 = performance.now();
    const c0 = cpuMs();
    const r = kmeans(X, k, { seed: 0, nInit: args.nInit, threads });
    rows.push({ k, wall: performance.now() - w0, cpu: cpuMs() - c0, inertia: r.inertia, iterations: r.iterations, labels: r.labels });
  }
  return rows;
}

function runMl(X: Matrix, args: Args): Row[] {
  const data: number[][] = [];
  for (let i = 0; i < X.rows; i++) data.push(Array.from(X.data.subarray(i * X.cols, (i + 1) * X.cols)));
  const rows: Row[] = [];
  for (let k = args.kmin; k <= args.kmax; k++) {
    if (args.mlKs && !args.mlKs.includes(k)) {
      rows.push({ k, wall: NaN, cpu: NaN, inertia: NaN });
      continue;
    }
    const w0 = performance.now();
    const c0 = cpuMs();
    let best = Infinity;
    let iterations = 0;
    for (let s = 0; s < args.nInit; s++) {
      // Same budget as ours / sklearn: kmeans++ init, 300 iterations; ml-kmeans' tolerance is absolute on centre moves.
      const r = mlKmeans(data, k, { seed: s + 1, initialization: 'kmeans++', maxIterations: 300, tolerance: 1e-4 });
      let inertia = 0;
      for (let i = 0; i < data.length; i++) {
        const c = r.centroids[r.clusters[i]];
        for (let t = 0; t < X.cols; t++) inertia += (data[i][t] - c[t]) ** 2;
      }
      if (inertia < best) {
        best = inertia;
        iterations = r.iterations;
      }
    }
    rows.push({ k, wall: performance.now() - w0, cpu: cpuMs() - c0, inertia: best, iterations });
  }
  return rows;
}

const SKLEARN = `
import json, sys, time, numpy as np
from sklearn.cluster import KMeans
from threadpoolctl import threadpool_info
path, n, d, kmin, kmax, n_init = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
X = np.fromfile(path, dtype='<f8').reshape(n, d)
rows = []
for k in range(kmin, kmax + 1):
    w0, c0 = time.perf_counter(), time.process_time()
    km = KMeans(n_clusters=k, n_init=n_init, random_state=0).fit(X)
    rows.append(dict(k=k, wall=(time.perf_counter() - w0) * 1000, cpu=(time.process_time() - c0) * 1000, inertia=float(km.inertia_), iterations=int(km.n_iter_)))
    km.labels_.astype('<i4').tofile(path + '.labels%d' % k)
threads = max([p.get('num_threads', 1) for p in threadpool_info()] or [1])
print(json.dumps(dict(rows=rows, threads=threads)))
`;

function runSklearn(path: string, X: Matrix, args: Args): { rows: Row[]; threads: number } {
  const out = execFileSync(args.python, ['-c', SKLEARN, path, String(X.rows), String(X.cols), String(args.kmin), String(args.kmax), String(args.nInit)], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  const parsed = JSON.parse(out) as { rows: Row[]; threads: number };
  for (const r of parsed.rows) {
    const buf = readFileSync(`${path}.labels${r.k}`);
    r.labels = new Int32Array(buf.buffer, buf.byteOffset, buf.length / 4);
  }
  return parsed;
}

function fmt(ms: number): string {
  return Number.isNaN(ms) ? '     -' : (ms / 1000).toFixed(2).padStart(6);
}

/** The product's model coordinates of the Olist tables in `dir` (loader, features as of the last purchase, transforms). */
async function realData(dir: string): Promise<Matrix> {
  const data = await loadOlist(directorySource(dir));
  const features = computeFeatures(data);
  return featureSpace(features.values).X;
}

/** The fastest of the repetitions (the one least disturbed by other processes). */
function fastest(rows: Row[]): Row {
  return rows.reduce((a, b) => (b.wall < a.wall ? b : a));
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const cores = availableCores();
  for (const name of args.data) {
    const rng = createRng(42);
    const X = name === 'blobs' ? blobs(args.n, rng) : name === 'olist' ? olistLike(args.n, rng) : name === 'real' ? await realData(args.olistDir) : undefined;
    if (!X) throw new Error(`unknown data set ${name}`);
    const path = join(tmpdir(), `kmeans-bench-${name}.f64`);
    writeFileSync(path, new Uint8Array(X.data.buffer, X.data.byteOffset, X.data.byteLength));
    console.log(`\n== ${name}: ${X.rows} x ${X.cols}, k = ${args.kmin}..${args.kmax}, ${args.nInit} initialisations, best of ${args.reps} interleaved rep(s)`);
    // Interleaved per k (ours on 1 thread, ours on all cores, scikit-learn), so that all three see the same load.
    const single: Row[][] = [];
    const multi: Row[][] = [];
    const sk: Row[][] = [];
    let skThreads = 0;
    for (let rep = 0; rep < args.reps; rep++) {
      for (let k = args.kmin; k <= args.kmax; k++) {
        const one = { ...args, kmin: k, kmax: k };
        const i = k - args.kmin;
        (single[i] ??= []).push(runOurs(X, one, 1)[0]);
        (multi[i] ??= []).push(runOurs(X, one, cores)[0]);
        if (multi[i].at(-1)!.inertia !== single[i].at(-1)!.inertia) throw new Error(`k=${k}: the threaded run differs from the single-thread one`);
        if (args.sklearn) {
          const r = runSklearn(path, X, one);
          skThreads = r.threads;
          (sk[i] ??= []).push(r.rows[0]);
        }
      }
    }
    const ml = args.ml ? runMl(X, args) : undefined;
    const header = ['  k', 'ours(1thr) wall', '   cpu', '      inertia', 'it', `| ours(${cores}thr) wall`, '   cpu'];
    if (args.sklearn) header.push(`| sklearn(${skThreads}thr) wall`, '   cpu', '      inertia', 'it', ' ARI');
    if (ml) header.push('| ml-kmeans wall', '      inertia');
    console.log(header.join(' '));
    const tot = { ours: 0, oursCpu: 0, par: 0, parCpu: 0, sk: 0, skCpu: 0, ml: 0 };
    single.forEach((reps, i) => {
      const o = fastest(reps);
      const p = fastest(multi[i]);
      const cells = [String(o.k).padStart(3), '         ' + fmt(o.wall), fmt(o.cpu), o.inertia.toFixed(1).padStart(13), String(o.iterations).padStart(3), '|           ' + fmt(p.wall), fmt(p.cpu)];
      tot.ours += o.wall;
      tot.oursCpu += o.cpu;
      tot.par += p.wall;
      tot.parCpu += p.cpu;
      if (args.sklearn) {
        const r = fastest(sk[i]);
        tot.sk += r.wall;
        tot.skCpu += r.cpu;
        cells.push('|              ' + fmt(r.wall), fmt(r.cpu), r.inertia.toFixed(1).padStart(13), String(r.iterations).padStart(3), adjustedRandIndex(o.labels!, r.labels!).toFixed(3));
      }
      if (ml) {
        const m = ml[i];
        if (!Number.isNaN(m.wall)) tot.ml += m.wall;
        cells.push('|         ' + fmt(m.wall), (Number.isNaN(m.inertia) ? '-' : m.inertia.toFixed(1)).padStart(13));
      }
      console.log(cells.join(' '));
    });
    const total = [`total: ours 1 thread ${fmt(tot.ours)} s wall, ${fmt(tot.oursCpu)} s cpu`, `ours ${cores} threads ${fmt(tot.par)} s wall, ${fmt(tot.parCpu)} s cpu`];
    if (args.sklearn) total.push(`sklearn ${fmt(tot.sk)} s wall, ${fmt(tot.skCpu)} s cpu`);
    if (ml) total.push(`ml-kmeans ${fmt(tot.ml)} s wall${args.mlKs ? ` (k = ${args.mlKs.join(', ')} only)` : ''}`);
    console.log(total.join(' | '));
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
