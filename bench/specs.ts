/**
 * The benchmark commands of `segments` (bench, bench-scale, bench-distributed and their hidden workers), described like
 * the product's commands in lambdas/cli/specs.ts. They live here, outside lambdas/, so that nothing shipped depends on a
 * benchmark: bin/segments.js adds them to the CLI (bench/cli.ts).
 */
import type { CommandSpec } from '../lambdas/cli/args';
import { jsonOption as json, quietOption as quiet } from '../lambdas/cli/specs';

export const BENCH = {
  name: 'bench',
  summary: 'benchmark against the pandas + scikit-learn reference pipeline (npm run bench)',
  options: {
    data: { value: 'DIR', help: 'the export to run on', defaultText: '../shared/olist' },
    runs: { value: 'N', help: 'runs of each side, alternated', default: '3' },
    k: { value: 'N', help: 'k of the final fit (a k whose optimum is unique in the product’s space, so that the agreement means something)', default: '7' },
    threads: { value: 'N|auto', help: 'k-means threads', defaultText: 'every core' },
    reference: { value: 'FILE', help: 'the reference pipeline', defaultText: '../shared/bench/reference_pipeline.py' },
    python: { value: 'FILE', help: 'the Python that runs it', default: '/usr/bin/python3' },
    simulate: { help: 'instead: `segments simulate` against one `segments run` of the same data, and their ratio' },
    verify: { help: 'with --simulate: also the unoptimised simulation, and whether every point and the recommendation are the same' },
    json,
  },
  examples: ['npm run bench -- --data ../shared/olist --runs 3', 'npm run bench -- --simulate --verify --runs 2'],
} satisfies CommandSpec;

export const BENCH_WORKER = {
  name: 'bench-worker',
  summary: 'one timed run of the benchmark work (run by bench)',
  hidden: true,
  options: { data: { value: 'DIR', help: 'the export', required: true }, k: { value: 'N', help: 'k of the final fit', default: '7' }, dump: { value: 'PREFIX', help: 'write the feature matrix and labels' }, threads: { value: 'N|auto', help: 'k-means threads' } },
  examples: [],
} satisfies CommandSpec;

export const BENCH_SCALE = {
  name: 'bench-scale',
  summary: 'time and peak memory of the whole pipeline (ingest + train work) on synthetic exports of growing size',
  options: {
    customers: { value: 'LIST', help: 'sizes, comma-separated', default: '100000,250000,500000,1000000' },
    seed: { value: 'N', help: 'generator seed', default: '1' },
    threads: { value: 'N|auto', help: 'k-means threads', default: '1' },
    cache: { value: 'DIR', help: 'where the generated exports are kept', defaultText: '.cache/scale' },
    json,
    quiet,
  },
  examples: ['node bin/segments.js bench-scale --customers 100000,1000000'],
} satisfies CommandSpec;

export const BENCH_DISTRIBUTED = {
  name: 'bench-distributed',
  summary: 'the distributed path on generated exports, locally: time and peak memory per stage, and the AWS estimate',
  description: [
    'Generates the exports once (.cache/scale), uploads each to the emulators, runs the state machine synthesized from lib/ in the',
    'local interpreter (the items of each map one after the other), and estimates the wall time and cost in AWS from the figures.',
  ].join('\n'),
  options: {
    customers: { value: 'LIST', help: 'sizes to run, comma-separated', default: '1000000,5000000' },
    'estimate-for': { value: 'LIST', help: 'people to estimate the AWS wall time and cost for', default: '1000000,10000000,50000000' },
    'write-rate': { value: 'N', help: 'the table write budget of the estimate, items/s (assignmentWriteRate)', default: '1000' },
    seed: { value: 'N', help: 'generator seed', default: '1' },
    cache: { value: 'DIR', help: 'where the generated exports (and the emulators\' state, while running) are kept', defaultText: '.cache/scale' },
    out: { value: 'FILE', help: 'also write the figures as JSON to FILE (after each size)' },
    from: { value: 'FILES', help: 'instead of running: the runs of earlier --out files (comma-separated), estimated again' },
    json,
    quiet,
  },
  examples: ['node bin/segments.js bench-distributed --customers 1000000,5000000 --out bench-distributed.json', 'node bin/segments.js bench-distributed --customers 200000 --estimate-for 1000000'],
} satisfies CommandSpec;

export const BENCH_SCALE_WORKER = {
  name: 'bench-scale-worker',
  summary: 'one phase (ingest or train) of the scale benchmark, in its own process (run by bench-scale)',
  hidden: true,
  options: {
    phase: { value: 'PHASE', help: 'ingest or train', required: true },
    data: { value: 'DIR', help: 'the export (ingest)' },
    handoff: { value: 'DIR', help: 'where ingest leaves its work for train', required: true },
    threads: { value: 'N|auto', help: 'k-means threads', default: '1' },
    quiet,
  },
  examples: [],
} satisfies CommandSpec;

/** In the order of the help, after the product's commands. */
export const BENCH_SPECS: CommandSpec[] = [BENCH, BENCH_SCALE, BENCH_DISTRIBUTED, BENCH_WORKER, BENCH_SCALE_WORKER];
