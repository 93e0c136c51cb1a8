/**
 * Streaming, schema-checked CSV reading (csv-parse underneath).
 *
 * The reader never holds a table in memory: each valid row is converted to typed values and handed to a
 * callback, so the loaders can aggregate as they go. Every problem becomes a DataFormatError naming the
 * file, the line (where the record starts, quoted newlines included), the column and what was expected.
 */
import { Readable, Transform, TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse, CsvError } from 'csv-parse';
import { DataFormatError } from './errors';
import { ColumnSpec, TableSchema, convertField, describeType } from './schema';

export type FieldValue = string | number;

export interface ReadOptions {
  /**
   * Row-level tolerance: how many invalid data rows may be skipped (and counted) before the file is
   * rejected. 0, the default, rejects the file at its first invalid row.
   */
  maxInvalidRows?: number;
  /** Called with the number of bytes read so far, for progress reporting. */
  onBytes?: (bytes: number) => void;
}

export interface ReadResult {
  rows: number;
  invalidRows: number;
  /** The first few skipped-row errors, when maxInvalidRows > 0. */
  invalidSamples: DataFormatError[];
  /** Header columns that the schema does not know (tolerated). */
  extraColumns: string[];
  bytes: number;
}

/**
 * Reads one table. `onRow` receives the values in the schema's column order; the array is reused
 * between rows, so copy what you keep.
 */
export async function readTable(
  file: string,
  input: Readable,
  schema: TableSchema,
  onRow: (values: FieldValue[], line: number) => void,
  options: ReadOptions = {},
): Promise<ReadResult> {
  const maxInvalid = options.maxInvalidRows ?? 0;
  const columns = schema.columns;
  const values: FieldValue[] = new Array(columns.length);
  const result: ReadResult = { rows: 0, invalidRows: 0, invalidSamples: [], extraColumns: [], bytes: 0 };
  let header: string[] | undefined;
  let positions: Int32Array | undefined; // file column index of each schema column
  let previousEndLine = 0;
  let embeddedCrlf = 0;

  const fail = (err: DataFormatError): void => {
    if (result.invalidRows >= maxInvalid) throw err;
    result.invalidRows++;
    if (result.invalidSamples.length < 10) result.invalidSamples.push(err);
  };

  const parser = parse({
    bom: true,
    relax_column_count: true,
    skip_empty_lines: true,
    on_record: (record: string[], context: { lines: number }) => {
      const line = previousEndLine + 1;
      // csv-parse counts a CRLF inside a quoted field as two lines; subtract those to stay on the file's lines.
      for (let i = 0; i < record.length; i++) if (record[i].indexOf('\r\n') !== -1) embeddedCrlf += countCrlf(record[i]);
      previousEndLine = context.lines - embeddedCrlf;
      if (!header) {
        header = record;
        positions = checkHeader(file, schema, record);
        result.extraColumns = record.filter((c) => !columns.some((s) => s.name === c));
        return null;
      }
      if (record.length !== header.length) {
        // A truncated last line, a stray delimiter or a wrong quote all show up here.
        fail(new DataFormatError(file, line, undefined, `${header.length} fields as in the header`, `${record.length} field${record.length === 1 ? '' : 's'}`, false));
        return null;
      }
      if (isRepeatedHeader(record, header)) {
        fail(new DataFormatError(file, line, undefined, 'a data row', 'a repeated header line', false));
        return null;
      }
      for (let c = 0; c < columns.length; c++) {
        const raw = record[positions![c]];
        const v = convertField(columns[c], raw);
        if (v === undefined) {
          fail(new DataFormatError(file, line, columnLabel(columns[c], positions![c]), describeType(columns[c]), raw));
          return null;
        }
        values[c] = v;
      }
      result.rows++;
      onRow(values, line);
      return null;
    },
  });

  const decoder = new Utf8Check(file, (bytes) => {
    result.bytes = bytes;
    options.onBytes?.(bytes);
  });
  try {
    await pipeline(input, decoder, parser);
  } catch (err) {
    throw toDataFormatError(file, err, previousEndLine, decoder.firstLine);
  }
  if (!header) throw new DataFormatError(file, 1, undefined, `a header line with the columns ${columns.map((c) => c.name).join(', ')}`, 'an empty file', false);
  return result;
}

function columnLabel(spec: ColumnSpec, position: number): string {
  return `${spec.name} (${position + 1})`;
}

function isRepeatedHeader(record: string[], header: string[]): boolean {
  for (let i = 0; i < header.length; i++) if (record[i] !== header[i]) return false;
  return true;
}

/** Maps schema columns to file positions; a missing column is an error that lists what the header has. */
function checkHeader(file: string, schema: TableSchema, header: string[]): Int32Array {
  const positions = new Int32Array(schema.columns.length);
  const index = new Map(header.map((name, i) => [name.trim(), i]));
  for (let c = 0; c < schema.columns.length; c++) {
    const name = schema.columns[c].name;
    const at = index.get(name);
    if (at === undefined) {
      const joined = header.join(',');
      if (header.length === 1 && /[;\t|]/.test(joined)) {
        throw new DataFormatError(file, 1, undefined, 'comma-separated columns', `another delimiter in the header: ${joined}`, false);
      }
      throw new DataFormatError(file, 1, name, `a column named "${name}" in the header`, joined);
    }
    positions[c] = at;
  }
  return positions;
}

function toDataFormatError(file: string, err: unknown, lastLine: number, firstLine?: string): Error {
  if (err instanceof DataFormatError) return err;
  if (err instanceof CsvError) {
    const line = typeof err.lines === 'number' ? err.lines : lastLine + 1;
    if (err.code === 'CSV_QUOTE_NOT_CLOSED') return new DataFormatError(file, lastLine + 1, undefined, 'a closing quote before the end of the file (the file may be truncated)', 'the end of the file', false);
    if (line <= 1 && firstLine !== undefined && !firstLine.includes(',') && /[;\t|]/.test(firstLine)) {
      return new DataFormatError(file, 1, undefined, 'comma-separated columns', `another delimiter in the header: ${firstLine}`, false);
    }
    return new DataFormatError(file, line, undefined, 'well-formed CSV', err.message.replace(/^Invalid[^:]*:\s*/, ''), false);
  }
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * Decodes UTF-8 strictly (a stray Latin-1 byte is an error, not a silent U+FFFD) and counts lines so the
 * error can say where the bad bytes are.
 */
class Utf8Check extends Transform {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  private lines = 1;
  private bytes = 0;
  /** The file's first line (up to 4 kB), kept to explain a parse failure of the header. */
  firstLine?: string;
  private head = '';

  constructor(
    private readonly file: string,
    private readonly onBytes: (bytes: number) => void,
  ) {
    super({ decodeStrings: true, readableObjectMode: false });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let text: string;
    try {
      text = this.decoder.decode(chunk, { stream: true });
    } catch {
      done(this.badBytes(chunk));
      return;
    }
    this.bytes += chunk.length;
    this.onBytes(this.bytes);
    if (this.head.length < 4096 && !/[\r\n]/.test(this.head)) {
      this.head += text.slice(0, 4096);
      this.firstLine = this.head.replace(/^\uFEFF/, '').split(/\r?\n/)[0];
    }
    this.lines += countNewlines(text);
    done(null, text);
  }

  override _flush(done: TransformCallback): void {
    try {
      const rest = this.decoder.decode();
      done(null, rest || undefined);
    } catch {
      done(new DataFormatError(this.file, this.lines, undefined, 'UTF-8 text', 'an incomplete UTF-8 sequence at the end of the file (truncated?)', false));
    }
  }

  private badBytes(chunk: Buffer): DataFormatError {
    // Locate the first invalid sequence: the lenient decoding marks it with U+FFFD.
    const lenient = chunk.toString('utf8');
    const at = lenient.indexOf('\uFFFD');
    const line = this.lines + countNewlines(at < 0 ? lenient : lenient.slice(0, at));
    const offset = at < 0 ? 0 : Buffer.byteLength(lenient.slice(0, at));
    const shown = Array.from(chunk.subarray(offset, offset + 2), (b) => '0x' + b.toString(16).padStart(2, '0')).join(' ');
    return new DataFormatError(this.file, line, undefined, 'UTF-8 text', `the bytes ${shown} (Latin-1 or binary data?)`, false);
  }
}

function countCrlf(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\r\n'); i !== -1; i = s.indexOf('\r\n', i + 2)) n++;
  return n;
}

function countNewlines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) n++;
  return n;
}
