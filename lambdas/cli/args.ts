/**
 * Option parsing shared by the commands, on commander (help with every option and its default, suggestions for
 * mistyped commands and options), with errors phrased for people as one line and the usage exit code.
 *
 * A command is described once (lambdas/cli/specs.ts): its options keyed by long name, each with a value name
 * (options without one are switches), a help text, and its default (applied and shown) or a defaultText (shown
 * only: what happens when the option is left out). main.ts builds the program from the same descriptions, so the
 * help, the suggestions and the parsing cannot disagree.
 */
import { existsSync, statSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { parseTimestamp } from '../core/csv/schema';
import { UsageError } from './errors';

export interface OptionDef {
  /** Value name shown in help (DIR, N, DATE...); absent for a switch. */
  value?: string;
  help: string;
  /** Applied when the option is left out, and shown in help. */
  default?: string;
  /** Shown in help as the default when nothing is applied here (e.g. "chosen by the rule"). */
  defaultText?: string;
  /** Must be given. */
  required?: boolean;
}

export type OptionDefs = Record<string, OptionDef>;

export interface CommandSpec<T extends OptionDefs = OptionDefs> {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** More about the command, in its own help. */
  description?: string;
  options: T;
  /** Complete command lines, shown under "Examples". */
  examples: string[];
  /** Internal commands (run by other commands) stay out of the help. */
  hidden?: boolean;
}

/** Values by long option name: strings for options with a value, booleans for switches. */
export type Values<T extends OptionDefs> = { [K in keyof T]?: T[K] extends { value: string } ? string : boolean };

/** What `--help` printed: not an error, the command ends with exit 0. */
export class HelpShown extends Error {
  override name = 'HelpShown';
}

const HELP_CONFIG = {
  sortOptions: false,
  showGlobalOptions: false,
  optionDescription(option: Option): string {
    const extra = option.defaultValueDescription ?? (option.defaultValue !== undefined ? String(option.defaultValue) : undefined);
    return extra !== undefined ? `${option.description} (default: ${extra})` : option.description;
  },
};

/** A commander command for one spec: options, help text with defaults and examples, errors thrown (never exit). */
export function buildCommand(spec: CommandSpec, parent?: Command): Command {
  const cmd = parent ? parent.command(spec.name, { hidden: spec.hidden }) : new Command(`segments ${spec.name}`);
  cmd.summary(spec.summary).description(spec.description ? `${spec.summary}\n\n${spec.description}` : spec.summary);
  for (const [name, def] of Object.entries(spec.options)) {
    // Required options are checked by the commands (required()), which name what is missing.
    const option = new Option(def.value ? `--${name} <${def.value}>` : `--${name}`, def.required ? `${def.help} (required)` : def.help);
    if (def.default !== undefined) option.default(def.default);
    if (def.defaultText !== undefined) option.defaultValueDescription = def.defaultText;
    cmd.addOption(option);
  }
  cmd.helpOption('-h, --help', 'this help');
  cmd.configureHelp(HELP_CONFIG);
  if (spec.examples.length) cmd.addHelpText('after', `\nExamples:\n${spec.examples.map((e) => `  ${e}`).join('\n')}`);
  cmd.allowExcessArguments(false).showSuggestionAfterError(true).exitOverride();
  cmd.configureOutput({ writeErr: () => undefined, outputError: () => undefined });
  return cmd;
}

/** The whole help of a command as `--help` prints it, examples included (helpInformation() leaves them out). */
export function helpText(cmd: Command): string {
  let text = '';
  cmd.configureOutput({ writeOut: (s) => (text += s) });
  cmd.outputHelp();
  return text;
}

/** Parses a command's arguments (the words after its name); --help prints the help and throws HelpShown. */
export function parse<T extends OptionDefs>(argv: string[], spec: CommandSpec<T>): Values<T> {
  rejectNpmSwallowedOptions(argv, spec);
  const cmd = buildCommand(spec);
  try {
    cmd.parse(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError && err.code === 'commander.excessArguments')
      throw new UsageError(`unexpected ${cmd.args.map((a) => `"${a}"`).join(' ')}: every value follows its option, as in --data DIR; see segments ${spec.name} --help`);
    throw usageFromCommander(err, spec.name, Object.keys(spec.options));
  }
  const values: Record<string, unknown> = {};
  for (const option of cmd.options as Option[]) {
    if (option.long === '--help') continue;
    // A `--no-x` flag is commander's negation of x (attribute `x`, true unless the flag is given): the spec's `no-x` is
    // true when the flag is given.
    values[option.long!.slice(2)] = option.negate ? cmd.getOptionValue(option.attributeName()) === false : cmd.getOptionValue(option.attributeName());
  }
  return values as Values<T>;
}

/** Commander's errors as the CLI's one-line usage errors; --help as HelpShown. */
export function usageFromCommander(err: unknown, command?: string, options: string[] = []): Error {
  if (!(err instanceof CommanderError)) return err as Error;
  if (err.code === 'commander.helpDisplayed' || err.code === 'commander.help' || err.code === 'commander.version') return new HelpShown();
  const message = (err.code === 'commander.unknownOption' && !err.message.includes('Did you mean') ? err.message + oneLetterSuggestion(err.message, options) : err.message)
    .replace(/^error: /, '')
    .replace(/\n\(Did you mean (.*)\?\)$/s, ' (did you mean $1?)')
    .replace(/'(--?[\w-]+)(?: <[\w-]+>)?'/g, '$1')
    .replace(/'([\w-]+)'/g, '"$1"');
  const help = command ? `segments ${command} --help` : 'segments --help';
  return new UsageError(`${message}; see ${help}`);
}

/**
 * Commander never suggests one-letter options ("no one character guesses"), yet `--kk` or `-k` for `--k` is the
 * likeliest typo of all: suggested when the mistyped word is that letter repeated.
 */
function oneLetterSuggestion(message: string, options: string[]): string {
  const word = /'(-+[^']*)'/.exec(message)?.[1].replace(/^-+/, '').toLowerCase() ?? '';
  const letter = options.find((o) => o.length === 1 && word.length > 0 && [...word].every((c) => c === o));
  return letter ? `\n(Did you mean --${letter}?)` : '';
}

/** npm's own settings that share a name with an option here: npm always sets them, they say nothing of the user. */
const NPM_OWN_CONFIG = new Set(['cache', 'json']);

/**
 * `npm start --data DIR` (without `--`): npm keeps options it does not know for itself (npm_config_data=true) and
 * passes DIR on as a bare word. Said plainly, with the command that works, instead of a puzzling error or an option
 * silently ignored.
 */
function rejectNpmSwallowedOptions(argv: string[], spec: CommandSpec): void {
  const script = process.env.npm_lifecycle_event;
  // Only under a package.json script that runs this CLI (not, say, jest under `npm test`).
  if (!script || !process.env.npm_lifecycle_script?.includes('segments.js')) return;
  const swallowed = Object.keys(spec.options).filter((name) => !NPM_OWN_CONFIG.has(name) && process.env[`npm_config_${name.replace(/-/g, '_')}`] !== undefined && !argv.includes(`--${name}`));
  if (!swallowed.length) return;
  const words = argv.filter((a) => !a.startsWith('-'));
  const rebuilt = swallowed.map((name, i) => (spec.options[name].value ? `--${name} ${words[i] ?? spec.options[name].value}` : `--${name}`)).join(' ');
  throw new UsageError(`npm kept ${swallowed.map((n) => `--${n}`).join(', ')} for itself: options for the command go after \`--\`, as in \`npm ${script === 'start' ? 'start' : `run ${script}`} -- ${rebuilt}\``);
}

export function required(value: string | undefined, flag: string, command?: string): string {
  if (!value) throw new UsageError(`missing ${flag}${command ? `; see segments ${command} --help` : ''}`);
  return value;
}

export function intOption(value: string | undefined, flag: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${flag} expects an integer between ${min} and ${max}, got "${value}"`);
  return n;
}

/** A date (YYYY-MM-DD, meaning the end of that day) or a timestamp (YYYY-MM-DD HH:MM:SS), UTC. */
export function dateOption(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const t = parseTimestamp(value.trim());
  if (Number.isNaN(t)) throw new UsageError(`${flag} expects a date YYYY-MM-DD or YYYY-MM-DD HH:MM:SS, got "${value}"`);
  return /^\d{4}-\d{2}-\d{2}$/.test(value.trim()) ? t + 86_400_000 - 1 : t;
}

/** A folder holding an export's CSV files: a file or a missing path is a usage mistake, said as such. */
export function dataDirOption(value: string | undefined, flag = '--data', command?: string): string {
  const dir = required(value, flag, command);
  if (!existsSync(dir)) throw new UsageError(`${flag} ${dir}: no such folder`);
  if (!statSync(dir).isDirectory()) throw new UsageError(`${flag} ${dir} is a file, not a folder: give the folder that holds the export's CSV files`);
  return dir;
}
