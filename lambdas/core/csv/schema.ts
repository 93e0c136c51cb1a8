/**
 * Column types of a CSV table and how a raw field is checked and converted.
 * Conversions return numbers for numeric and time columns (epoch milliseconds, NaN when empty)
 * so that the loaders can fill typed arrays directly.
 */
import { ID_RULE, isValidId } from '../ids';

export type ColumnType =
  /** Free text; maxLength bounds what a row may hold (longer is an invalid row). */
  | { kind: 'string'; maxLength?: number }
  /** An identifier under the rule of core/ids.ts. */
  | { kind: 'id' }
  | { kind: 'int'; min?: number; max?: number }
  | { kind: 'number'; min?: number; max?: number }
  | { kind: 'timestamp' }
  | { kind: 'enum'; values: readonly string[] };

export interface ColumnSpec {
  name: string;
  type: ColumnType;
  /** Whether an empty field is allowed (it then converts to '' or NaN). */
  nullable?: boolean;
}

export interface TableSchema {
  /** Logical name (orders, items, ...). */
  name: string;
  /** File name in an Olist export. */
  file: string;
  /** Whether the pipeline cannot run without this table. */
  required: boolean;
  /** Columns the product reads; other columns in the file are tolerated and ignored. */
  columns: readonly ColumnSpec[];
}

/** What a column's values must look like, in words, for error messages. */
export function describeType(spec: ColumnSpec): string {
  const t = spec.type;
  const base = (() => {
    switch (t.kind) {
      case 'string':
        return t.maxLength === undefined ? 'text' : `text of at most ${t.maxLength} characters`;
      case 'id':
        return ID_RULE;
      case 'int':
        return 'an integer' + range(t.min, t.max);
      case 'number':
        return 'a number' + range(t.min, t.max);
      case 'timestamp':
        return 'a timestamp YYYY-MM-DD HH:MM:SS';
      case 'enum':
        return 'one of ' + t.values.join(', ');
    }
  })();
  return spec.nullable ? `${base} or empty` : base;
}

function range(min?: number, max?: number): string {
  if (min !== undefined && max !== undefined) return ` between ${min} and ${max}`;
  if (min !== undefined) return ` >= ${min}`;
  if (max !== undefined) return ` <= ${max}`;
  return '';
}

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$/;
const DAY_MS = 86_400_000;
const DAYS_IN_MONTH = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Parses 'YYYY-MM-DD HH:MM:SS' (the export's format, UTC assumed; also 'YYYY-MM-DD', 'YYYY-MM-DD HH:MM',
 * 'T' for the space and fractional seconds, ignored) to epoch ms; NaN when malformed or the date does not
 * exist (2018-02-31). Hand-rolled digits and calendar arithmetic: a RegExp match plus Date.UTC per field was
 * 0.6 s of a load of the real export; the RegExp remains the definition for the rare other shapes.
 */
export function parseTimestamp(s: string): number {
  const len = s.length;
  if (len !== 10 && len !== 16 && len !== 19) return parseTimestampSlow(s);
  const y = digits(s, 0, 4);
  const mo = digits(s, 5, 2);
  const d = digits(s, 8, 2);
  if (y < 100 || mo < 0 || d < 0 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return parseTimestampSlow(s);
  let ms = 0;
  if (len > 10) {
    const sep = s.charCodeAt(10);
    const h = digits(s, 11, 2);
    const mi = digits(s, 14, 2);
    if ((sep !== 32 && sep !== 84) || h < 0 || mi < 0 || s.charCodeAt(13) !== 58 || h > 23 || mi > 59) return NaN;
    ms = h * 3_600_000 + mi * 60_000;
    if (len === 19) {
      const se = digits(s, 17, 2);
      if (s.charCodeAt(16) !== 58 || se < 0 || se > 59) return NaN;
      ms += se * 1000;
    }
  }
  if (mo < 1 || mo > 12 || d < 1 || d > (mo === 2 && isLeap(y) ? 29 : DAYS_IN_MONTH[mo])) return NaN;
  return daysFromCivil(y, mo, d) * DAY_MS + ms;
}

/** The definition (and the path for fractional seconds and years before 100, which Date.UTC maps to 19xx). */
function parseTimestampSlow(s: string): number {
  const m = TIMESTAMP.exec(s);
  if (!m) return NaN;
  const [y, mo, d, h, mi, se] = [+m[1], +m[2], +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0)];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59) return NaN;
  const t = Date.UTC(y, mo - 1, d, h, mi, se);
  // Date.UTC rolls 2018-02-31 over to March: reject dates that do not exist.
  if (new Date(t).getUTCDate() !== d) return NaN;
  return t;
}

/** The number written by `n` ASCII digits at `at`, or -1 if any is not a digit. */
function digits(s: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** Days since 1970-01-01 of a proleptic Gregorian date, y >= 0 (H. Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  if (m <= 2) y--;
  const era = (y / 400) | 0;
  const yoe = y - era * 400;
  const doy = (((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) | 0) + d - 1;
  const doe = yoe * 365 + ((yoe / 4) | 0) - ((yoe / 100) | 0) + doy;
  return era * 146_097 + doe - 719_468;
}

const INT = /^-?\d+$/;
const NUM = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/**
 * Checks and converts one field. Returns the converted value, or undefined when the field is invalid
 * (the caller raises the located error, so this stays allocation-free on the hot path).
 */
export function convertField(spec: ColumnSpec, raw: string): string | number | undefined {
  if (raw === '') {
    if (!spec.nullable) return undefined;
    return spec.type.kind === 'string' || spec.type.kind === 'id' || spec.type.kind === 'enum' ? '' : NaN;
  }
  const t = spec.type;
  switch (t.kind) {
    case 'string':
      return t.maxLength !== undefined && raw.length > t.maxLength ? undefined : raw;
    case 'id':
      return isValidId(raw) ? raw : undefined;
    case 'enum':
      return t.values.includes(raw) ? raw : undefined;
    case 'int': {
      if (!INT.test(raw)) return undefined;
      const v = Number(raw);
      return (t.min !== undefined && v < t.min) || (t.max !== undefined && v > t.max) ? undefined : v;
    }
    case 'number': {
      if (!NUM.test(raw)) return undefined;
      const v = Number(raw);
      return (t.min !== undefined && v < t.min) || (t.max !== undefined && v > t.max) ? undefined : v;
    }
    case 'timestamp': {
      const v = parseTimestamp(raw);
      return Number.isNaN(v) ? undefined : v;
    }
  }
}
