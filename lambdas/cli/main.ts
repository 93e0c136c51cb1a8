/**
 * The `segments` command: finds the sub-command (commander, with suggestions for a mistyped name), answers --help
 * from the specs without loading anything heavy, and runs one module per sub-command. Errors become one line on
 * stderr and a non-zero exit (1 for bad data or failures, 2 for usage mistakes), never a stack trace
 * (SEGMENTS_DEBUG=1 shows it).
 */
import { Command } from 'commander';
import { DataFormatError } from '../core/csv/errors';
import { buildCommand, helpText, HelpShown, usageFromCommander, type CommandSpec } from './args';
import { EXIT, UsageError } from './errors';
import { SPECS } from './specs';

export type Runner = (argv: string[]) => Promise<void>;

/**
 * Commands defined outside lambdas/ and added by the entry point (bin/segments.js adds the benchmarks of bench/cli.ts):
 * what ships under lambdas/ never imports a benchmark.
 */
export interface CommandSet {
  specs: CommandSpec[];
  runners: Record<string, () => Runner>;
}

/** The module that runs each command, loaded only when it runs. */
const RUNNERS: Record<string, () => Runner> = {
  start: () => (require('./commands/start') as typeof import('./commands/start')).startCommand,
  run: () => (require('./commands/run') as typeof import('./commands/run')).runCommand,
  assign: () => (require('./commands/assign') as typeof import('./commands/assign')).assignCommand,
  generate: () => (require('./commands/generate') as typeof import('./commands/generate')).generateCommand,
  query: () => (require('./commands/query') as typeof import('./commands/query')).queryCommand,
  export: () => (require('./commands/export') as typeof import('./commands/export')).exportCommand,
  segments: () => (require('./commands/query') as typeof import('./commands/query')).segmentsCommand,
  models: () => (require('./commands/query') as typeof import('./commands/query')).modelsCommand,
  forget: () => (require('./commands/forget') as typeof import('./commands/forget')).forgetCommand,
  simulate: () => (require('./commands/simulate') as typeof import('./commands/simulate')).simulateCommand,
  check: () => (require('./commands/check') as typeof import('./commands/check')).checkCommand,
  report: () => (require('./commands/report') as typeof import('./commands/report')).reportCommand,
};

/** The whole program: every command with its options (hidden ones left out of the help). */
export function program(extra: CommandSet[] = []): Command {
  const root = new Command('segments')
    .description('Customer segmentation for e-commerce (Olist export format). Run `segments COMMAND --help` for one command.')
    .helpOption('-h, --help', 'this help')
    .helpCommand(false)
    .configureHelp({ sortSubcommands: false })
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, outputError: () => undefined });
  root.addHelpText(
    'after',
    [
      '',
      'Progress goes to stderr when it is a terminal; --quiet silences it. --json prints machine-readable output.',
      'Exit codes: 0 done, 1 bad data or a failure, 2 a usage mistake.',
      '',
      'Examples:',
      '  npm start                                   # the whole pipeline locally, on generated data',
      '  npm start -- --data ~/olist                 # ... on your own export',
      '  npx segments segments                       # the segments of the active model',
      '  npx segments query --segment 2 --limit 50   # the customers of segment 2, highest spend first',
      '  npx segments export --segment 2 --out segment-2.csv   # a campaign list: every customer of segment 2',
    ].join('\n'),
  );
  for (const spec of [...SPECS, ...extra.flatMap((set) => set.specs)]) buildCommand(spec, root);
  return root;
}

export function help(extra: CommandSet[] = []): string {
  return helpText(program(extra));
}

export async function main(argv: string[], extra: CommandSet[] = []): Promise<number> {
  const [name, ...rest] = argv;
  const root = program(extra);
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(helpText(root));
    return name ? EXIT.ok : EXIT.usage;
  }
  const cmd = root.commands.find((c) => c.name() === name);
  const runner = RUNNERS[name] ?? extra.find((set) => name in set.runners)?.runners[name];
  if (!cmd || !runner) {
    // commander words the error and finds the nearest command name.
    const err = (() => {
      try {
        root.parse([name], { from: 'user' });
      } catch (e) {
        return usageFromCommander(e);
      }
      return new UsageError(`unknown command "${name}"`);
    })();
    process.stderr.write(`segments: ${err.message}\n`);
    return EXIT.usage;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(helpText(cmd));
    return EXIT.ok;
  }
  try {
    await runner()(rest);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof HelpShown) return EXIT.ok;
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
