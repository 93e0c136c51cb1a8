/**
 * A problem in an input file, located precisely enough that a person can open the file and fix it:
 * the file, the 1-based line, the column (name when known) and what was expected versus what was found.
 */
export class DataFormatError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly column: string | undefined,
    readonly expected: string,
    readonly found?: string,
    /** Whether `found` is a value from the file (shown quoted) or a description of what was there. */
    foundIsValue = true,
  ) {
    super(formatLocation(file, line, column) + `: expected ${expected}` + (found === undefined ? '' : `, found ${foundIsValue ? quote(found) : found}`));
    this.name = 'DataFormatError';
  }

  toJSON(): Record<string, unknown> {
    return { file: this.file, line: this.line, column: this.column, expected: this.expected, found: this.found, message: this.message };
  }
}

function formatLocation(file: string, line?: number, column?: string): string {
  let s = file;
  if (line !== undefined) s += `, line ${line}`;
  if (column !== undefined) s += `, column ${column}`;
  return s;
}

function quote(value: string): string {
  const shown = value.length > 60 ? value.slice(0, 57) + '...' : value;
  return JSON.stringify(shown);
}
