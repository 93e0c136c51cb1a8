/**
 * Column types of a CSV table and how a raw field is checked and converted.
 * Conversions return numbers for numeric and time columns (epoch milliseconds, NaN when empty)
 * so that the loaders can fill typed arrays directly.
 */
export type ColumnType =
  | { kind: 'string' }
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
        return 'text';
      case 'id':
        return 'an identifier (non-empty text)';
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

/** Parses 'YYYY-MM-DD HH:MM:SS' (the export's format, UTC assumed) to epoch ms; NaN when malformed. */
export function parseTimestamp(s: string): number {
  const m = TIMESTAMP.exec(s);
  if (!m) return NaN;
  const [y, mo, d, h, mi, se] = [+m[1], +m[2], +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0)];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59) return NaN;
  const t = Date.UTC(y, mo - 1, d, h, mi, se);
  // Date.UTC rolls 2018-02-31 over to March: reject dates that do not exist.
  if (new Date(t).getUTCDate() !== d) return NaN;
  return t;
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
    case 'id':
      return raw;
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
