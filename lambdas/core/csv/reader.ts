/**
 * Streaming, schema-checked CSV reading.
 *
 * The reader never holds a table in memory: each valid row is converted to typed values and handed to a
 * callback, so the loaders can aggregate as they go. Every problem becomes a DataFormatError naming the
 * file, the line (where the record starts, quoted newlines included), the column and what was expected.
 *
 * Records come from tokenizer.ts, not csv-parse: on the real export csv-parse was 7 of the 11 s of a load
 * (bench/csv.ts); csv-parse remains the oracle the tokenizer is tested against.
 */
import { isAscii } from 'node:buffer';
import { Readable } from 'node:stream';
import { DataFormatError } from './errors';
import { ColumnSpec, TableSchema, convertField, describeType } from './schema';
import { CsvSyntaxError, CsvTokenizer } from './tokenizer';

export type FieldValue = string | number;

export interface ReadOptions {
  /**
   * Row-level tolerance: how many invalid data rows may be skipped (and counted) before the file is
   * rejected. 0, the default, rejects the file at its first invalid row.
   */
  maxInvalidRows?: number;
  /** Called with the number of bytes read so far, for progress reporting. */
  onBytes?: (bytes: number) => void;
  /** Called with each chunk of raw bytes as read (e.g. to hash the file without a second pass). */
  onChunk?: (chunk: Buffer) => void;
}

export interface ReadResult {
  rows: number;
  invalidRows: number;
  /** The first few skipped-row errors, when maxInvalidRows > 0. */
  invalidSamples: DataFormatError[];
  /** Header columns that the schema does not know (tolerated); the first 20, then "... and N more". */
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
  const width = columns.length;
  const values: FieldValue[] = new Array(width);
  const result: ReadResult = { rows: 0, invalidRows: 0, invalidSamples: [], extraColumns: [], bytes: 0 };
  let header: string[] | undefined;
  let positions: Int32Array = new Int32Array(0); // file column index of each schema column

  const fail = (err: DataFormatError): void => {
    if (result.invalidRows >= maxInvalid) throw err;
    result.invalidRows++;
    if (result.invalidSamples.length < 10) result.invalidSamples.push(err);
  };

  const onRecord = (record: string[], count: number, line: number): void => {
    if (header === undefined) {
      const names = record.slice(0, count);
      positions = checkHeader(file, schema, names);
      header = names;
      result.extraColumns = boundedList(names.filter((c) => !columns.some((s) => s.name === c)));
      return;
    }
    if (count !== header.length) {
      // A truncated last line, a stray delimiter or a wrong quote all show up here.
      fail(new DataFormatError(file, line, undefined, `${header.length} fields as in the header`, `${count} field${count === 1 ? '' : 's'}`, false));
      return;
    }
    if (record[0] === header[0] && isRepeatedHeader(record, header)) {
      fail(new DataFormatError(file, line, undefined, 'a data row', 'a repeated header line', false));
      return;
    }
    for (let c = 0; c < width; c++) {
      const raw = record[positions[c]];
      const v = convertField(columns[c], raw);
      if (v === undefined) {
        fail(new DataFormatError(file, line, columnLabel(columns[c], positions[c]), describeType(columns[c]), raw));
        return;
      }
      values[c] = v;
    }
    try {
      onRow(values, line);
    } catch (err) {
      // A loader's own row check (a duplicated id, a date in the future) follows the same row tolerance
      // as a format error: skipped and counted up to maxInvalidRows. onRow must check before it mutates.
      if (!(err instanceof DataFormatError)) throw err;
      fail(err);
      return;
    }
    result.rows++;
  };

  const tokenizer = new CsvTokenizer(onRecord);
  const decoder = new Utf8Decoder(file);
  try {
    for await (const chunk of input as AsyncIterable<Buffer | Uint8Array | string>) {
      // Byte streams yield Buffers; object-mode ones (Readable.from) may yield strings or plain Uint8Arrays.
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      const text = decoder.decode(bytes, tokenizer.line);
      result.bytes += bytes.length;
      options.onChunk?.(bytes);
      options.onBytes?.(result.bytes);
      tokenizer.push(text);
    }
    tokenizer.push(decoder.end(tokenizer.line));
    tokenizer.end();
  } catch (err) {
    throw toDataFormatError(file, err, header, decoder.firstLine);
  }
  if (!header) throw new DataFormatError(file, 1, undefined, `a header line with the columns ${columns.map((c) => c.name).join(', ')}`, 'an empty file', false);
  return result;
}

/** At most 20 names of at most 60 characters (a header is free text too), and how many more there were. */
function boundedList(names: string[], max = 20): string[] {
  const shown = names.slice(0, max).map((n) => (n.length > 60 ? n.slice(0, 57) + '...' : n));
  return names.length > max ? [...shown, `... and ${names.length - max} more`] : shown;
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

function toDataFormatError(file: string, err: unknown, header: string[] | undefined, firstLine?: string): Error {
  if (err instanceof DataFormatError) return err;
  if (err instanceof CsvSyntaxError) {
    if (err.code === 'QUOTE_NOT_CLOSED') return new DataFormatError(file, err.recordLine, undefined, 'a closing quote before the end of the file (the file may be truncated)', 'the end of the file', false);
    if (err.line <= 1 && firstLine !== undefined && !firstLine.includes(',') && /[;\t|]/.test(firstLine)) {
      return new DataFormatError(file, 1, undefined, 'comma-separated columns', `another delimiter in the header: ${firstLine}`, false);
    }
    const column = header && err.field < header.length ? `${header[err.field]} (${err.field + 1})` : undefined;
    return new DataFormatError(file, err.line, column, 'well-formed CSV', err.detail, false);
  }
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * Decodes UTF-8 strictly (a stray Latin-1 byte is an error, not a silent U+FFFD), saying on which line the
 * bad bytes are; keeps the file's first line to explain a header that does not parse.
 */
class Utf8Decoder {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  /** The file's first line (up to 4 kB), kept to explain a parse failure of the header. */
  firstLine?: string;
  private head = '';
  private headDone = false;
  /** The decoder holds no partial multi-byte sequence (the last chunk ended on an ASCII byte). */
  private clean = true;

  constructor(private readonly file: string) {}

  /** `line` is the line the text decoded so far has reached. */
  decode(chunk: Buffer, line: number): string {
    let text: string;
    if (this.clean && isAscii(chunk)) {
      // Most tables are pure ASCII: a SIMD check and a byte-per-char copy, ~6x faster than the strict decoder
      // (1.3 GB/s against 0.23 GB/s on the orders file).
      text = chunk.toString('latin1');
    } else {
      try {
        text = this.decoder.decode(chunk, { stream: true });
      } catch {
        throw this.badBytes(chunk, line);
      }
      // A chunk decoded without error that ends on an ASCII byte leaves nothing pending in the decoder.
      this.clean = chunk.length > 0 && chunk[chunk.length - 1] < 0x80;
    }
    if (!this.headDone) this.keepHead(text);
    return text;
  }

  end(line: number): string {
    try {
      return this.decoder.decode();
    } catch {
      throw new DataFormatError(this.file, line, undefined, 'UTF-8 text', 'an incomplete UTF-8 sequence at the end of the file (truncated?)', false);
    }
  }

  private keepHead(text: string): void {
    this.head += text.slice(0, 4096);
    this.firstLine = this.head.replace(/^\uFEFF/, '').split(/\r?\n|\r/)[0];
    this.headDone = this.head.length >= 4096 || /[\r\n]/.test(this.head);
  }

  private badBytes(chunk: Buffer, line: number): DataFormatError {
    // Locate the first invalid sequence: the lenient decoding marks it with U+FFFD.
    const lenient = chunk.toString('utf8');
    const at = lenient.indexOf('\uFFFD');
    const before = at < 0 ? lenient : lenient.slice(0, at);
    const offset = at < 0 ? 0 : Buffer.byteLength(before);
    const shown = Array.from(chunk.subarray(offset, offset + 2), (b) => '0x' + b.toString(16).padStart(2, '0')).join(' ');
    return new DataFormatError(this.file, line + countLineEnds(before), undefined, 'UTF-8 text', `the bytes ${shown} (Latin-1 or binary data?)`, false);
  }
}

/** Line ends as the tokenizer counts them: LF, CRLF or a lone CR. */
function countLineEnds(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 10) n++;
    else if (c === 13) {
      n++;
      if (s.charCodeAt(i + 1) === 10) i++;
    }
  }
  return n;
}
