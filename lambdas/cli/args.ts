/** Option parsing shared by the commands (node:util parseArgs), with errors phrased for people. */
import { parseArgs, ParseArgsConfig } from 'node:util';
import { parseTimestamp } from '../core/csv/schema';
import { UsageError } from './errors';

type Options = NonNullable<ParseArgsConfig['options']>;

export function parse<T extends Options>(argv: string[], options: T, usage: string) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: false, strict: true }).values;
  } catch (err) {
    throw new UsageError(`${(err as Error).message.replace(/\. To specify.*$/s, '')}\nusage: ${usage}`);
  }
}

export function required(value: string | undefined, flag: string, usage: string): string {
  if (!value) throw new UsageError(`missing ${flag}\nusage: ${usage}`);
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
