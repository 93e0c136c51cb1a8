/**
 * `npm run bench -- --data DIR`: the project's pipeline against ../shared/bench/reference_pipeline.py
 * (pandas + scikit-learn) on the same data and the same work, alternating runs so that both see the same
 * machine state; per-stage medians, peak memory of each process, the ratio project / reference, and the
 * agreement of the final partitions (scikit-learn refitted on the project's own feature matrix).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { benchWork, WorkResult } from '../work';
import { availableCores } from '../../lambdas/core/cluster/workerPool';
import { FEATURE_NAMES } from '../../lambdas/core/domain/types';
import { intOption, parse } from '../../lambdas/cli/args';
import { BENCH, BENCH_WORKER } from '../specs';
import { benchSimulate } from './benchSimulate';
import { fmt, renderTable } from '../../lambdas/cli/table';

const ROOT = resolve(__dirname, '../..');

interface Measured {
  wall: number;
  stages: Record<string, number>;
  peakMb: number;
}

export async function benchWorkerCommand(argv: string[]): Promise<void> {
  const o = parse(argv, BENCH_WORKER);
  const result = await benchWork(o.data!, intOption(o.k ?? '7', '--k', 2)!, o.dump, threadsOption(o.threads));
  process.stdout.write(JSON.stringify(result) + '\n');
}

/**
 * k-means threads. Default: every core, as scikit-learn's OpenMP loops use them. The library's own default
 * ('auto', from the load average) is meant for shared machines, and would here mostly see the reference run that
 * just ended, so the two would not be compared on the same machine.
 */
function threadsOption(v: string | undefined): number | 'auto' {
  if (v === 'auto') return 'auto';
  return v === undefined ? availableCores() : intOption(v, '--threads', 1, 256)!;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function runProject(data: string, k: number, threads: number | 'auto', dump?: string): Measured & { result: WorkResult } {
  const t = performance.now();
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/segments.js'), 'bench-worker', '--data', data, '--k', String(k), '--threads', String(threads), ...(dump ? ['--dump', dump] : [])], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const wall = (performance.now() - t) / 1000;
  if (r.status !== 0) throw new Error(`project run failed: ${r.stderr.trim().split('\n').pop()}`);
  const result = JSON.parse(r.stdout) as WorkResult;
  return { wall, stages: result.stages, peakMb: result.maxRssMb, result };
}

function runReference(python: string, reference: string, data: string, k: number): Measured {
  const t = performance.now();
  const r = spawnSync(python, [join(ROOT, 'bench/peak.py'), reference, data, '--k', String(k)], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const wall = (performance.now() - t) / 1000;
  if (r.status !== 0) throw new Error(`reference run failed: ${r.stderr.trim().split('\n').pop()}`);
  const out = JSON.parse(r.stdout);
  const peak = /PEAK_RSS_MB (\d+)/.exec(r.stderr);
  return { wall, stages: out.stages, peakMb: peak ? Number(peak[1]) : NaN };
}

export async function benchCommand(argv: string[]): Promise<void> {
  const o = parse(argv, BENCH);
  const data = resolve(o.data ?? join(ROOT, '../shared/olist'));
  const runs = intOption(o.runs ?? '3', '--runs', 1, 50)!;
  if (o.simulate) return benchSimulate({ data, runs, verify: !!o.verify, json: !!o.json });
  const k = intOption(o.k ?? '7', '--k', 2, 10)!;
  const threads = threadsOption(o.threads);
  const reference = resolve(o.reference ?? join(ROOT, '../shared/bench/reference_pipeline.py'));
  const python = o.python ?? '/usr/bin/python3';
  const hasReference = existsSync(reference) && spawnSync(python, ['-c', 'import sklearn, pandas'], { encoding: 'utf8' }).status === 0;
  const log = (s: string) => !o.json && process.stderr.write(s + '\n');
  if (!hasReference) log(`reference skipped: ${existsSync(reference) ? `${python} lacks scikit-learn/pandas (apt-get install -y python3-sklearn python3-pandas)` : `${reference} not found`}`);

  const project: Measured[] = [];
  const ref: Measured[] = [];
  const dump = join(mkdtempSync(join(tmpdir(), 'segments-bench-')), 'final');
  let last: WorkResult | undefined;
  for (let i = 0; i < runs; i++) {
    // Alternate which side goes first, so neither always runs on a warmer (or busier) machine.
    const order = i % 2 === 0 ? ['project', 'reference'] : ['reference', 'project'];
    for (const side of order) {
      if (side === 'project') {
        const m = runProject(data, k, threads, i === 0 ? dump : undefined);
        project.push(m);
        last = m.result;
        log(`run ${i + 1}/${runs} project   ${m.wall.toFixed(1)} s, ${m.peakMb} MB`);
      } else if (hasReference) {
        const m = runReference(python, reference, data, k);
        ref.push(m);
        log(`run ${i + 1}/${runs} reference ${m.wall.toFixed(1)} s, ${m.peakMb} MB`);
      }
    }
  }
  const stages = ['load', 'features', 'sweep', 'final'];
  const row = (name: string, get: (m: Measured) => number) => {
    const p = median(project.map(get));
    const r = ref.length ? median(ref.map(get)) : NaN;
    return { stage: name, project: p, reference: r, ratio: p / r };
  };
  const table = [...stages.map((s) => row(s, (m) => m.stages[s] ?? 0)), row('total (process wall time)', (m) => m.wall)];
  const peak = { project: Math.max(...project.map((m) => m.peakMb)), reference: ref.length ? Math.max(...ref.map((m) => m.peakMb)) : NaN };
  let agreement: { ari: number; sklearnInertia: number; ourInertia: number; inertiaRatio: number } | undefined;
  if (hasReference) {
    const r = spawnSync(python, [join(ROOT, 'bench/agreement.py'), dump, String(FEATURE_NAMES.length), String(k)], { encoding: 'utf8' });
    if (r.status === 0) {
      const a = JSON.parse(r.stdout);
      agreement = { ...a, inertiaRatio: a.ourInertia / a.sklearnInertia };
    } else log(`agreement check failed: ${r.stderr.trim().split('\n').pop()}`);
  }
  const result = { data, runs, k, customers: last?.customers, stages: table, peakMb: peak, agreement, project, reference: ref };
  if (o.json) {
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return;
  }
  process.stdout.write(
    [
      `Benchmark on ${data}: ${fmt.int(last?.customers ?? 0)} customers, k = 2..10 x 10 initialisations + final k = ${k}; median of ${runs} alternating runs`,
      '',
      renderTable(
        ['stage', 'project (s)', 'reference (s)', 'ratio'],
        table.map((r) => [r.stage, r.project.toFixed(2), Number.isNaN(r.reference) ? '-' : r.reference.toFixed(2), Number.isNaN(r.ratio) ? '-' : `${r.ratio.toFixed(2)}x`]),
      ),
      '',
      `peak memory: project ${peak.project} MB, reference ${Number.isNaN(peak.reference) ? '-' : `${peak.reference} MB`}`,
      agreement
        ? `agreement at k = ${k} (scikit-learn KMeans n_init=10 on the project's feature matrix): ARI ${agreement.ari.toFixed(4)}, inertia ${agreement.ourInertia.toFixed(0)} vs ${agreement.sklearnInertia.toFixed(0)} (${((agreement.inertiaRatio - 1) * 100).toFixed(2)}%)`
        : '',
    ].join('\n') + '\n',
  );
}
