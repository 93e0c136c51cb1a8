/**
 * The `segments` command: dispatches to one module per sub-command. Errors become one line on stderr and
 * a non-zero exit (2 for usage mistakes), never a stack trace (SEGMENTS_DEBUG=1 shows it).
 */
import { DataFormatError } from '../core/csv/errors';
import { EXIT, UsageError } from './errors';

interface Command {
  summary: string;
  usage: string;
  load: () => Promise<(argv: string[]) => Promise<void>>;
}

const COMMANDS: Record<string, Command> = {
  start: {
    summary: 'the main job (npm start): run the pipeline locally on the embedded default data, or on --data DIR; --serve keeps the local stack running for any S3 client',
    usage: 'segments start [--data DIR] [--dataset-id ID] [--customers N] [--k N] [--state DIR] [--no-iam] [--logs] [--quiet] | segments start --serve [--s3-port N] [--dynamodb-port N] [--events-port N] [--schedule 5m] [--k N] [--state DIR] [--no-iam]',
    load: async () => (require('./commands/start') as typeof import('./commands/start')).startCommand,
  },
  run: {
    summary: 'segment the customers of an Olist export and write summary.json, model.json, segments.json, assignments.csv',
    usage: 'segments run --data DIR --out DIR [--k N] [--as-of DATE] [--seed N] [--max-invalid-rows N] [--full-silhouette] [--json] [--quiet]',
    load: async () => (require('./commands/run') as typeof import('./commands/run')).runCommand,
  },
  assign: {
    summary: 'label the customers of new data with an existing model (its own fitted transforms)',
    usage: 'segments assign --model FILE --data DIR --out DIR [--as-of DATE] [--json] [--quiet]',
    load: async () => (require('./commands/assign') as typeof import('./commands/assign')).assignCommand,
  },
  generate: {
    summary: 'write a synthetic dataset in the exact Olist format, calibrated on the real export',
    usage: 'segments generate --customers N --seed S --out DIR [--quiet]',
    load: async () => (require('./commands/generate') as typeof import('./commands/generate')).generateCommand,
  },
  query: {
    summary: "a customer's segment, or the customers of a segment (highest spend first), from the local or deployed store",
    usage: 'segments query (--customer ID | --segment ID [--limit N] [--cursor C] [--order spendDesc|spendAsc]) [--aws [--table NAME] [--region R]] [--state DIR] [--json]',
    load: async () => (require('./commands/query') as typeof import('./commands/query')).queryCommand,
  },
  segments: {
    summary: 'the segments of the active model with their descriptions and actions',
    usage: 'segments segments [--aws [--table NAME] [--region R]] [--state DIR] [--json]',
    load: async () => (require('./commands/query') as typeof import('./commands/query')).segmentsCommand,
  },
  models: {
    summary: 'model versions and the stability-check history; --prune deletes old versions from the local table (retention policy)',
    usage: 'segments models [--aws [--table NAME] [--region R]] [--state DIR] [--json] | segments models --prune [--keep N] [--dry-run] [--state DIR] [--json]',
    load: async () => (require('./commands/query') as typeof import('./commands/query')).modelsCommand,
  },
  bench: {
    summary: 'benchmark against the pandas + scikit-learn reference pipeline (npm run bench)',
    usage: 'segments bench [--data DIR] [--runs N] [--k N] [--reference FILE] [--python FILE] [--json]',
    load: async () => (require('./commands/bench') as typeof import('./commands/bench')).benchCommand,
  },
  'bench-worker': {
    summary: 'one timed run of the benchmark work (used by bench)',
    usage: 'segments bench-worker --data DIR --k N [--dump PREFIX]',
    load: async () => (require('./commands/bench') as typeof import('./commands/bench')).benchWorkerCommand,
  },
  'bench-scale': {
    summary: 'time and peak memory of the whole pipeline (ingest + train work) on synthetic exports of growing size',
    usage: 'segments bench-scale [--customers 100000,250000,500000,1000000] [--seed S] [--threads N|auto] [--cache DIR] [--json] [--quiet]',
    load: async () => (require('./commands/benchScale') as typeof import('./commands/benchScale')).benchScaleCommand,
  },
  'bench-scale-worker': {
    summary: 'one phase (ingest or train) of the scale benchmark, in its own process (used by bench-scale)',
    usage: 'segments bench-scale-worker --phase ingest|train --data DIR --handoff DIR [--threads N|auto] [--quiet]',
    load: async () => (require('./commands/benchScale') as typeof import('./commands/benchScale')).benchScaleWorkerCommand,
  },
  simulate: {
    summary: 'update-frequency simulation over the time axis: how long a model stays valid (writes stability.json)',
    usage: 'segments simulate --data DIR [--out DIR] [--start DATE] [--step 14d] [--horizon 52w] [--threshold 0.8] [--seeds 5] [--k N] [--json] [--quiet]',
    load: async () => (require('./commands/simulate') as typeof import('./commands/simulate')).simulateCommand,
  },
  check: {
    summary: 'stability check of a model against a fresh fit on the latest data (ARI, feature drift, age)',
    usage: 'segments check --model FILE --data DIR [--threshold 0.8] [--cadence-days N] [--json] [--quiet]',
    load: async () => (require('./commands/check') as typeof import('./commands/check')).checkCommand,
  },
  report: {
    summary: 'write the HTML reports (exploration, model trials, maintenance, segment cards) with charts',
    usage: 'segments report --data DIR --out DIR [--k N] [--as-of DATE] [--seed N] [--max-invalid-rows N] [--stability FILE] [--with-simulation] [--json] [--quiet]',
    load: async () => (require('./commands/report') as typeof import('./commands/report')).reportCommand,
  },
};

export function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    'segments: customer segmentation for e-commerce (Olist export format)',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}\n  ${' '.repeat(width)}  ${c.usage}`),
    '',
    'Progress goes to stderr when it is a terminal; --quiet silences it. --json prints machine-readable output.',
    'Run `segments COMMAND --help` for one command.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help() + '\n');
    return name ? EXIT.ok : EXIT.usage;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    process.stderr.write(`segments: unknown command "${name}"\n\n${help()}\n`);
    return EXIT.usage;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${cmd.summary}\nusage: ${cmd.usage}\n`);
    return EXIT.ok;
  }
  try {
    await (await cmd.load())(rest);
    return EXIT.ok;
  } catch (err) {
    if (process.env.SEGMENTS_DEBUG) console.error(err);
    process.stderr.write(`\nsegments ${name}: ${oneLine(err)}\n`);
    // --json: the same error for programs on stdout, located fields included (file, line, column, expected, found).
    if (rest.includes('--json')) process.stdout.write(JSON.stringify({ error: err instanceof DataFormatError ? err.toJSON() : { message: oneLine(err) } }) + '\n');
    return err instanceof UsageError ? EXIT.usage : EXIT.failure;
  }
}

function oneLine(err: unknown): string {
  if (err instanceof DataFormatError || err instanceof UsageError) return err.message;
  if (err && typeof err === 'object' && 'code' in err && (err as NodeJS.ErrnoException).code === 'ENOENT') return `no such file or directory: ${(err as NodeJS.ErrnoException).path}`;
  return err instanceof Error ? err.message : String(err);
}
