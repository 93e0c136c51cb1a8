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
  run: {
    summary: 'segment the customers of an Olist export and write summary.json, model.json, segments.json, assignments.csv',
    usage: 'segments run --data DIR --out DIR [--k N] [--as-of DATE] [--seed N] [--full-silhouette] [--json] [--quiet]',
    load: async () => (await import('./commands/run')).runCommand,
  },
  assign: {
    summary: 'label the customers of new data with an existing model (its own fitted transforms)',
    usage: 'segments assign --model FILE --data DIR --out DIR [--as-of DATE] [--json] [--quiet]',
    load: async () => (await import('./commands/assign')).assignCommand,
  },
  generate: {
    summary: 'write a synthetic dataset in the exact Olist format, calibrated on the real export',
    usage: 'segments generate --customers N --seed S --out DIR [--quiet]',
    load: async () => (await import('./commands/generate')).generateCommand,
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
    return err instanceof UsageError ? EXIT.usage : EXIT.failure;
  }
}

function oneLine(err: unknown): string {
  if (err instanceof DataFormatError || err instanceof UsageError) return err.message;
  if (err && typeof err === 'object' && 'code' in err && (err as NodeJS.ErrnoException).code === 'ENOENT') return `no such file or directory: ${(err as NodeJS.ErrnoException).path}`;
  return err instanceof Error ? err.message : String(err);
}
