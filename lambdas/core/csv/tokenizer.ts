/**
 * A streaming RFC 4180 tokenizer: decoded text in, records of field strings out, each with the file line
 * where the record starts.
 *
 * Why hand-written rather than csv-parse (which stays the reference it is tested against, see
 * test/core/csv-tokenizer.test.ts): on the real Olist export csv-parse ran at ~9 MB/s and was 7 of the
 * 11 s of a load, and none of the faster npm parsers both reports syntax errors (unclosed or stray quotes)
 * and gives record line numbers (figures in bench/csv.ts). This one only does what the reader
 * needs, so it stays small:
 * - fields separated by commas; records end at LF, CRLF or a lone CR, which each count as one line, inside
 *   a quoted field too (so line numbers are the ones an editor shows);
 * - quoted fields may hold commas, newlines and "" (an escaped quote); a quote anywhere else in a field,
 *   or anything but a comma or a line end after a closing quote, is a syntax error, as is a quote still
 *   open at the end of the input;
 * - a BOM at the very start is dropped; empty lines are skipped (a line holding only "" is a record).
 *
 * State is kept between chunks, so a record, a field, an escaped quote or a CRLF may straddle chunk
 * boundaries, and the work stays linear in the input whatever the chunk sizes.
 */

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;
const BOM = 0xfeff;

const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
/** A quote ended the previous chunk inside a quoted field: escaped quote or closing quote, the next char says. */
const QUOTE_IN_QUOTED = 3;
/** A quoted field was closed: only a comma or a line end may follow. */
const AFTER_QUOTE = 4;

export type CsvSyntaxCode = 'QUOTE_NOT_CLOSED' | 'STRAY_QUOTE' | 'AFTER_CLOSING_QUOTE';

export class CsvSyntaxError extends Error {
  constructor(
    readonly code: CsvSyntaxCode,
    /** Line of the offending character (for QUOTE_NOT_CLOSED: the last line of the input). */
    readonly line: number,
    /** Line where the record holding the problem starts. */
    readonly recordLine: number,
    /** 0-based index of the field in its record. */
    readonly field: number,
    /** What was found, in words, for the error message. */
    readonly detail: string,
  ) {
    super(`line ${line}: ${detail}`);
    this.name = 'CsvSyntaxError';
  }
}

/**
 * Receives each record: `fields[0..count)` are its fields (the array is reused, entries past `count` are
 * stale), `line` the 1-based line where it starts.
 */
export type RecordHandler = (fields: string[], count: number, line: number) => void;

export class CsvTokenizer {
  private readonly fields: string[] = [];
  private count = 0;
  private state = FIELD_START;
  /** Text of the current field from earlier chunks (raw: escaped quotes still doubled in a quoted field). */
  private pending = '';
  /** The current quoted field holds "" and needs unescaping. */
  private escaped = false;
  /** The last character seen was a CR outside a field's text: an LF right after it is the same line end. */
  private afterCr = false;
  private started = false;
  private lineNo = 1;
  private recordLine = 1;

  constructor(private readonly onRecord: RecordHandler) {}

  /** The line the tokenizer has reached (1-based): where the next character would be. */
  get line(): number {
    return this.lineNo;
  }

  push(text: string): void {
    const n = text.length;
    if (n === 0) return;
    let i = 0;
    if (!this.started) {
      this.started = true;
      if (text.charCodeAt(0) === BOM) i = 1;
    }
    let state = this.state;
    let line = this.lineNo;
    // An LF right after a CR that ended the previous chunk: the same line end, already counted.
    let skipLf = this.afterCr && i < n && text.charCodeAt(i) === LF;
    this.afterCr = false;
    if (skipLf && state !== QUOTED) {
      i++;
      skipLf = false;
    }
    try {
      while (i < n) {
        if (state === FIELD_START) {
          const c = text.charCodeAt(i);
          if (this.count === 0) this.recordLine = line;
          if (c === QUOTE) {
            state = QUOTED;
            this.escaped = false;
            i++;
            continue;
          }
          if (c === COMMA) {
            this.fields[this.count++] = '';
            i++;
            continue;
          }
          if (c === LF || c === CR) {
            // A line end here closes an empty last field, or is an empty line (skipped).
            if (this.count !== 0) {
              this.fields[this.count++] = '';
              this.endRecord();
            }
            line++;
            i++;
            if (c === CR) {
              if (i === n) this.afterCr = true;
              else if (text.charCodeAt(i) === LF) i++;
            }
            continue;
          }
          state = UNQUOTED;
        }

        if (state === UNQUOTED) {
          const start = i;
          let c = 0;
          while (i < n) {
            c = text.charCodeAt(i);
            if (c === COMMA || c === LF || c === CR || c === QUOTE) break;
            i++;
          }
          if (i === n) {
            this.pending += text.slice(start, n);
            break;
          }
          const value = this.pending === '' ? text.slice(start, i) : this.pending + text.slice(start, i);
          this.pending = '';
          if (c === QUOTE) {
            throw new CsvSyntaxError('STRAY_QUOTE', line, this.recordLine, this.count, `a quote inside an unquoted field, after ${JSON.stringify(value)}`);
          }
          this.fields[this.count++] = value;
          i++;
          state = FIELD_START;
          if (c !== COMMA) {
            this.endRecord();
            line++;
            if (c === CR) {
              if (i === n) this.afterCr = true;
              else if (text.charCodeAt(i) === LF) i++;
            }
          }
          continue;
        }

        if (state === QUOTED) {
          const start = i;
          if (skipLf) {
            i++; // the LF of a CRLF split by the chunk boundary: part of the text, not a new line
            skipLf = false;
          }
          let closed = false;
          while (i < n) {
            const c = text.charCodeAt(i);
            if (c === QUOTE) {
              if (i + 1 === n) break; // escaped or closing: the next chunk says
              if (text.charCodeAt(i + 1) === QUOTE) {
                this.escaped = true;
                i += 2;
                continue;
              }
              closed = true;
              break;
            }
            i++;
            if (c === LF) line++;
            else if (c === CR) {
              line++;
              if (i === n) this.afterCr = true;
              else if (text.charCodeAt(i) === LF) i++;
            }
          }
          if (!closed) {
            this.pending += text.slice(start, i);
            if (i < n) {
              // The chunk ends with a quote.
              state = QUOTE_IN_QUOTED;
              i = n;
            }
            break;
          }
          this.closeQuoted(this.pending === '' ? text.slice(start, i) : this.pending + text.slice(start, i));
          i++;
          state = AFTER_QUOTE;
        }

        if (state === QUOTE_IN_QUOTED) {
          if (text.charCodeAt(i) === QUOTE) {
            this.pending += '""';
            this.escaped = true;
            i++;
            state = QUOTED;
            continue;
          }
          this.closeQuoted(this.pending);
          state = AFTER_QUOTE;
        }

        // AFTER_QUOTE
        if (i === n) break;
        const c = text.charCodeAt(i);
        i++;
        if (c === COMMA) {
          state = FIELD_START;
          continue;
        }
        if (c === LF || c === CR) {
          this.endRecord();
          line++;
          state = FIELD_START;
          if (c === CR) {
            if (i === n) this.afterCr = true;
            else if (text.charCodeAt(i) === LF) i++;
          }
          continue;
        }
        throw new CsvSyntaxError('AFTER_CLOSING_QUOTE', line, this.recordLine, this.count - 1, `${JSON.stringify(text[i - 1])} after the closing quote of a field, instead of a comma or the end of the line`);
      }
    } finally {
      this.state = state;
      this.lineNo = line;
    }
  }

  /** Signals the end of the input: emits a last record without a final line end, checks no quote is open. */
  end(): void {
    switch (this.state) {
      case QUOTED:
        throw new CsvSyntaxError('QUOTE_NOT_CLOSED', this.lineNo, this.recordLine, this.count, 'the end of the input inside a quoted field');
      case QUOTE_IN_QUOTED:
        this.closeQuoted(this.pending);
        this.endRecord();
        break;
      case UNQUOTED:
        this.fields[this.count++] = this.pending;
        this.pending = '';
        this.endRecord();
        break;
      case AFTER_QUOTE:
        this.endRecord();
        break;
      default:
        if (this.count !== 0) {
          this.fields[this.count++] = '';
          this.endRecord();
        }
    }
    this.state = FIELD_START;
  }

  private closeQuoted(raw: string): void {
    this.fields[this.count++] = this.escaped ? raw.replace(/""/g, '"') : raw;
    this.pending = '';
    this.escaped = false;
  }

  private endRecord(): void {
    const count = this.count;
    this.count = 0;
    this.onRecord(this.fields, count, this.recordLine);
  }
}
