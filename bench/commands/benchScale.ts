/**
 * `segments bench-scale`: how the pipeline's time and memory grow with the number of customers. For each size it
 * generates a synthetic export once (calibrated generator, cached under .cache/scale/), then runs the ingest work
 * and the train work (bench/scale.ts) each in a fresh process, as each runs in its own Lambda, and reports
 * per-stage seconds, per-phase peak RSS against the functions' memory settings, and growth relative to the
 * smallest size. S3 and DynamoDB I/O are left out (see scale.ts).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { ingestWork, PhaseResult, ScalePhase, StageMeasure, trainWork } from '../scale';
import { UsageError } from '../../lambdas/cli/errors';
import { intOption, parse, required } from '../../lambdas/cli/args';
import { BENCH_SCALE, BENCH_SCALE_WORKER } from '../specs';
import { renderTable } from '../../lambdas/cli/table';

const ROOT = resolve(__dirname, '../..');
const CLI = join(ROOT, 'bin/segments.js');
/** The functions' memory settings (lib/config.ts defaults), the budget each phase's peak is set against. */
const LAMBDA_MB = { ingest: 2048, train: 3008 };
/** Lambda's hard timeout is 15 minutes; the pipeline's own target is 5 minutes for both phases together. */
const BUDGET_SECONDS = 300;

export async function benchScaleWorkerCommand(argv: string[]): Promise<void> {
  const o = parse(argv, BENCH_SCALE_WORKER);
  const phase = required(o.phase, '--phase', BENCH_SCALE_WORKER.name);
  const handoff = required(o.handoff, '--handoff', BENCH_SCALE_WORKER.name);
  const onStage = o.quiet ? undefined : (m: StageMeasure) => process.stderr.write(`  ${phase} ${m.stage}: ${m.seconds.toFixed(2)} s (cpu ${m.cpuSeconds.toFixed(2)} s), rss ${m.rssMb} MB, peak ${m.maxRssMb} MB\n`);
  let result: PhaseResult;
  if (phase === 'ingest') result = await ingestWork(required(o.data, '--data', BENCH_SCALE_WORKER.name), handoff, onStage);
  else if (phase === 'train') result = await trainWork(handoff, { threads: threadsOption(o.threads) }, onStage);
  else throw new UsageError(`--phase expects ingest or train, got "${phase}"`);
  process.stdout.write(JSON.stringify(result) + '\n');
}

/**
 * k-means threads: 1 by default, the conservative case (the deployed train function runs KMEANS_THREADS = 2 at
 * 3,008 MB, lib/constructs/defaults/lambda-defaults.ts); 'auto' or N shows what more threads give.
 */
function threadsOption(value: string | undefined): number | 'auto' {
  return value === 'auto' ? 'auto' : intOption(value ?? '1', '--threads', 1, 64)!;
}

interface SizeRun {
  customers: number;
  generateSeconds?: number;
  ingest: PhaseResult;
  train: PhaseResult;
  /** Wall and CPU seconds by stage over both phases (stage names are distinct across phases). */
  stages: Record<string, number>;
  cpuStages: Record<string, number>;
  totalSeconds: number;
  cpuSeconds: number;
  peakMb: number;
  /** 1-minute load average before and after the run (2 cores: 2.0 means both busy). */
  load: [number, number];
}

export function parseSizes(value: string): number[] {
  const sizes = value.split(',').map((s, i) => intOption(s.trim().replace(/_/g, ''), `--customers (item ${i + 1})`, 100, 50_000_000)!);
  return [...new Set(sizes)].sort((a, b) => a - b);
}

/** The synthetic export for n customers, generated once per (n, seed) into the cache; a marker says it is complete. */
export async function ensureDataset(cache: string, n: number, seed: number, log: (s: string) => void): Promise<{ dir: string; seconds?: number }> {
  const dir = join(cache, `${n}-seed${seed}`);
  const marker = join(dir, '.complete.json');
  if (existsSync(marker)) return { dir };
  log(`generating ${n.toLocaleString('en-US')} customers (seed ${seed}) into ${dir}`);
  const tmp = `${dir}.partial`;
  await rm(tmp, { recursive: true, force: true });
  const t = performance.now();
  const r = spawnSync(process.execPath, [CLI, 'generate', '--customers', String(n), '--seed', String(seed), '--out', tmp, '--quiet'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`generating ${n} customers failed: ${r.stderr.trim().split('\n').pop()}`);
  const seconds = (performance.now() - t) / 1000;
  await writeFile(join(tmp, '.complete.json'), JSON.stringify({ customers: n, seed, seconds, at: new Date().toISOString() }) + '\n');
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
  return { dir, seconds };
}

function runPhase(phase: ScalePhase, args: string[], quiet: boolean): PhaseResult {
  // Progress lines of the worker go straight to our stderr; its result is the one JSON line on stdout.
  const r = spawnSync(process.execPath, [CLI, 'bench-scale-worker', '--phase', phase, ...args, ...(quiet ? ['--quiet'] : [])], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', quiet ? 'pipe' : 'inherit'],
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) throw new Error(`${phase} run failed (exit ${r.status ?? r.signal})${r.stderr ? `: ${r.stderr.trim().split('\n').pop()}` : ''}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as PhaseResult;
}

export async function benchScaleCommand(argv: string[]): Promise<void> {
  const o = parse(argv, BENCH_SCALE);
  const threads = String(threadsOption(o.threads));
  const sizes = parseSizes(o.customers ?? '100000,250000,500000,1000000');
  const seed = intOption(o.seed ?? '1', '--seed', 0, 2 ** 32 - 1)!;
  const cache = resolve(o.cache ?? join(ROOT, '.cache/scale'));
  const quiet = Boolean(o.quiet || o.json);
  const log = (s: string) => !quiet && process.stderr.write(s + '\n');
  await mkdir(cache, { recursive: true });

  const runs: SizeRun[] = [];
  for (const n of sizes) {
    const data = await ensureDataset(cache, n, seed, log);
    const handoff = join(cache, `${n}-seed${seed}.handoff`);
    const before = loadavg()[0];
    log(`${n.toLocaleString('en-US')} customers (load average ${before.toFixed(2)} on ${cpus().length} cores)`);
    const ingest = runPhase('ingest', ['--data', data.dir, '--handoff', handoff], quiet);
    const train = runPhase('train', ['--handoff', handoff, '--threads', threads], quiet);
    await rm(handoff, { recursive: true, force: true });
    const all = [...ingest.stages, ...train.stages];
    runs.push({
      customers: n,
      generateSeconds: data.seconds,
      ingest,
      train,
      stages: Object.fromEntries(all.map((s) => [s.stage, s.seconds])),
      cpuStages: Object.fromEntries(all.map((s) => [s.stage, s.cpuSeconds])),
      totalSeconds: ingest.seconds + train.seconds,
      cpuSeconds: ingest.cpuSeconds + train.cpuSeconds,
      peakMb: Math.max(ingest.peakMb, train.peakMb),
      load: [before, loadavg()[0]],
    });
  }

  const base = runs[0];
  const growth = runs.map((r) => ({
    customers: r.customers,
    secondsPer100k: (r.totalSeconds / r.customers) * 1e5,
    cpuSecondsPer100k: (r.cpuSeconds / r.customers) * 1e5,
    timeVsFirst: r.totalSeconds / base.totalSeconds,
    cpuVsFirst: r.cpuSeconds / base.cpuSeconds,
    peakVsFirst: r.peakMb / base.peakMb,
    sizeVsFirst: r.customers / base.customers,
  }));
  const budget = { seconds: BUDGET_SECONDS, lambdaMb: LAMBDA_MB };
  if (o.json) {
    process.stdout.write(JSON.stringify({ seed, threads, cores: cpus().length, budget, runs, growth }, null, 2) + '\n');
    return;
  }
  // Stage columns: the Lambdas' stages, a few small ones folded together (see the legend printed below).
  const columns: [string, string[]][] = [
    ['load', ['load']],
    ['features', ['features', 'exploration']],
    ['train', ['train']],
    ['pca+summary', ['pca+summary']],
    ['csv', ['assignments csv']],
    ['reports', ['reports']],
    ['items', ['items']],
    ['other', ['handoff', 'decode']],
  ];
  const table = (kind: 'wall' | 'cpu') =>
    renderTable(
      ['customers', ...columns.map(([c]) => c), 'total s', 's/100k', 'x first', 'ingest MB', 'train MB', 'peak x', 'load avg'],
      runs.map((r, i) => {
        const by = kind === 'wall' ? r.stages : r.cpuStages;
        const total = kind === 'wall' ? r.totalSeconds : r.cpuSeconds;
        return [
          r.customers.toLocaleString('en-US'),
          ...columns.map(([, names]) => names.reduce((t, n) => t + (by[n] ?? 0), 0).toFixed(1)),
          total.toFixed(1),
          (kind === 'wall' ? growth[i].secondsPer100k : growth[i].cpuSecondsPer100k).toFixed(1),
          (kind === 'wall' ? growth[i].timeVsFirst : growth[i].cpuVsFirst).toFixed(2),
          r.ingest.peakMb,
          r.train.peakMb,
          growth[i].peakVsFirst.toFixed(2),
          `${r.load[0].toFixed(1)}-${r.load[1].toFixed(1)}`,
        ];
      }),
    );
  const worst = runs[runs.length - 1];
  const ok = worst.totalSeconds < BUDGET_SECONDS && worst.ingest.peakMb < LAMBDA_MB.ingest && worst.train.peakMb < LAMBDA_MB.train;
  const trainStages = (r: SizeRun) =>
    Object.entries(r.train.facts)
      .filter(([k]) => k.startsWith('train.'))
      .map(([k, v]) => `${k.slice(6)} ${v} s`)
      .join(', ');
  process.stdout.write(
    [
      `Scale benchmark: synthetic Olist-like exports (seed ${seed}); ingest and train each in a fresh process; k-means threads ${threads}; ${cpus().length} cores.`,
      'features = features + exploration facts; other = features hand-off write + read; items = the DynamoDB items built in memory (no S3 or DynamoDB I/O).',
      '',
      'Wall-clock seconds by stage, peak RSS per phase:',
      table('wall'),
      '',
      'CPU seconds by stage (user + system, all threads; what a busy machine does not inflate):',
      table('cpu'),
      '',
      `${ok ? 'within' : 'OVER'} budget at ${worst.customers.toLocaleString('en-US')} customers: ${worst.totalSeconds.toFixed(0)} s wall (${worst.cpuSeconds.toFixed(0)} s CPU) of ${BUDGET_SECONDS} s; ingest ${worst.ingest.peakMb} MB of ${LAMBDA_MB.ingest} MB, train ${worst.train.peakMb} MB of ${LAMBDA_MB.train} MB.`,
      ...runs.map((r) => `train at ${r.customers.toLocaleString('en-US')}: k = ${r.train.facts.k}, sweep on ${r.train.facts.sweepSample} customers; ${trainStages(r)} (wall)`),
    ].join('\n') + '\n',
  );
}

