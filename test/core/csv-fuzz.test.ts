/**
 * Fuzzing readTable (issue 6) from a small valid reviews table (quoted fields with commas, escaped quotes,
 * CRLF newlines and multi-byte characters): random truncations, byte flips (invalid UTF-8, quotes, commas,
 * line ends), duplicated and dropped lines, and shuffled column order, cut into random chunks.
 *
 * Properties, for every case:
 * - readTable ends (no hang) and throws nothing but a DataFormatError naming the file, with a line between
 *   1 and the file's number of lines when it gives one;
 * - when it succeeds, nothing is silently lost or invented: its rows are exactly the valid data records of
 *   the mutated file in order, and rows + invalidRows is the number of data records, according to an
 *   independent oracle (csv-parse, then the schema's own field conversion, record by record);
 * - shuffling the columns (header and rows together) changes no value and no count.
 */
import { Readable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { DataFormatError } from '../../lambdas/core/csv/errors';
import { FieldValue, ReadResult, readTable } from '../../lambdas/core/csv/reader';
import { convertField } from '../../lambdas/core/csv/schema';
import { REVIEWS } from '../../lambdas/core/olist/tables';
import { createRng, Rng } from '../../lambdas/core/util/random';

const FILE = REVIEWS.file;
const HEADER = ['review_id', 'order_id', 'review_score', 'review_comment_title', 'review_comment_message', 'review_creation_date', 'review_answer_timestamp'];
const ROWS = [
  ['r1', 'o1', '5', '', 'Adorei,\r\nchegou rapido', '2018-01-06 00:00:00', '2018-01-07 10:00:00'],
  ['r2', 'o2', '2', 'Péssimo', 'atrasou "muito"', '2018-03-21 00:00:00', '2018-03-25 10:00:00'],
  ['r3', 'o2', '3', '', '', '2018-03-21 00:00:00', ''],
  ['r4', 'o3', '4', 'ótimo 👍', 'produto bom\r\n\r\nrecomendo, sim', '2018-04-02 00:00:00', '2018-04-03 08:30:00'],
  ['r5', 'o4', '1', '', 'não chegou', '2018-05-01 00:00:00', '2018-05-02 00:00:00'],
  ['r6', 'o5', '5', 'top', '', '2018-06-11 00:00:00', '2018-06-12 23:59:59'],
];

const quote = (v: string) => '"' + v.replace(/"/g, '""') + '"';
/** The export quotes ids, titles and messages; scores and dates are bare. */
const QUOTED = [true, true, false, true, true, false, false];

function render(header: string[], rows: string[][], order: number[], newline: string): string {
  const line = (fields: string[], q: boolean) => order.map((c) => (q || QUOTED[c] ? quote(fields[c]) : fields[c])).join(',');
  return [line(header, true), ...rows.map((r) => line(r, false))].join(newline) + newline;
}

const ORIGINAL_ORDER = HEADER.map((_, i) => i);
const CSV_PARSE = { bom: true, relax_column_count: true, skip_empty_lines: true, record_delimiter: ['\r\n', '\n', '\r'] };

function countLines(text: string): number {
  return (text.match(/\r\n|\r|\n/g) ?? []).length + 1;
}

async function read(bytes: Buffer, rng: Rng, maxInvalidRows: number): Promise<{ rows: { values: FieldValue[]; line: number }[]; res: ReadResult }> {
  const size = 1 + rng.int(64);
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  const rows: { values: FieldValue[]; line: number }[] = [];
  const reading = readTable(FILE, Readable.from(chunks), REVIEWS, (values, line) => rows.push({ values: [...values], line }), { maxInvalidRows });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('readTable did not finish within 5 s')), 5000);
  });
  try {
    return { rows, res: await Promise.race([reading, timeout]) };
  } finally {
    clearTimeout(timer);
  }
}

/** What readTable must return for a file csv-parse reads as `records`: the valid rows in order, the invalid count. */
function oracle(records: string[][]): { valid: FieldValue[][]; invalid: number } | undefined {
  if (records.length === 0) return undefined;
  const header = records[0];
  const index = new Map(header.map((name, i) => [name.trim(), i]));
  const positions = REVIEWS.columns.map((c) => index.get(c.name));
  if (positions.some((p) => p === undefined)) return undefined; // readTable must reject the header
  const valid: FieldValue[][] = [];
  let invalid = 0;
  for (const r of records.slice(1)) {
    const repeated = r.length === header.length && r.every((f, i) => f === header[i]);
    const values = r.length === header.length && !repeated ? REVIEWS.columns.map((c, i) => convertField(c, r[positions[i]!])) : [undefined];
    if (values.some((v) => v === undefined)) invalid++;
    else valid.push(values as FieldValue[]);
  }
  return { valid, invalid };
}

type Mutation = (bytes: Buffer, rng: Rng) => Buffer;
const FLIPS = [0x22, 0x2c, 0x0a, 0x0d, 0xc3, 0xe9, 0xff, 0x80, 0x20, 0x41, 0x00];
const MUTATIONS: Record<string, Mutation> = {
  truncate: (b, rng) => b.subarray(0, rng.int(b.length + 1)),
  flip: (b, rng) => {
    const out = Buffer.from(b);
    const flips = 1 + rng.int(3);
    for (let i = 0; i < flips; i++) out[rng.int(out.length)] = rng.next() < 0.7 ? FLIPS[rng.int(FLIPS.length)] : rng.int(256);
    return out;
  },
  duplicateLine: (b, rng) => {
    const lines = b.toString('utf8').split('\n');
    const i = rng.int(lines.length);
    lines.splice(i, 0, lines[i]);
    return Buffer.from(lines.join('\n'));
  },
  dropLine: (b, rng) => {
    const lines = b.toString('utf8').split('\n');
    lines.splice(rng.int(lines.length), 1);
    return Buffer.from(lines.join('\n'));
  },
};

describe('readTable fuzz', () => {
  test('mutated files: only located DataFormatErrors, and never a silently wrong count or row (600 cases)', async () => {
    const rng = createRng(6);
    const names = Object.keys(MUTATIONS);
    const outcomes: Record<string, number> = { ok: 0, withInvalid: 0, rejected: 0 };
    for (let k = 0; k < 600; k++) {
      const newline = rng.next() < 0.5 ? '\r\n' : '\n';
      let bytes: Buffer = Buffer.from(render(HEADER, ROWS, ORIGINAL_ORDER, newline));
      const applied: string[] = [];
      for (let m = 1 + rng.int(2); m > 0; m--) {
        const name = names[rng.int(names.length)];
        applied.push(name);
        bytes = MUTATIONS[name](bytes, rng);
      }
      const maxInvalidRows = [0, 2, 100][rng.int(3)];
      const text = bytes.toString('utf8');
      const label = `case ${k} (${applied.join(' + ')}, maxInvalidRows ${maxInvalidRows}): ${JSON.stringify(text)}`;
      let result: Awaited<ReturnType<typeof read>> | undefined;
      try {
        result = await read(bytes, rng, maxInvalidRows);
      } catch (e) {
        if (!(e instanceof DataFormatError)) throw new Error(`${label}\nthrew ${String(e)}`);
        expect(e.file).toBe(FILE);
        if (e.line !== undefined && !(e.line >= 1 && e.line <= countLines(text))) throw new Error(`${label}\nline ${e.line} outside the file: ${e.message}`);
        outcomes.rejected++;
        continue;
      }
      // It succeeded: the file is well-formed CSV, so csv-parse reads it too, and it must agree.
      let expected: ReturnType<typeof oracle>;
      try {
        expected = oracle(parse(bytes, CSV_PARSE) as string[][]);
      } catch (e) {
        throw new Error(`${label}\nreadTable accepted a file that csv-parse rejects: ${String(e)}`);
      }
      if (!expected) throw new Error(`${label}\nreadTable accepted a file without a usable header`);
      const { rows, res } = result;
      const got = { rows: rows.map((r) => r.values), invalidRows: res.invalidRows };
      if (JSON.stringify(got) !== JSON.stringify({ rows: expected.valid, invalidRows: expected.invalid })) {
        expect({ label, ...got }).toEqual({ label, rows: expected.valid, invalidRows: expected.invalid });
      }
      expect(res.rows).toBe(rows.length);
      for (let i = 0; i < rows.length; i++) {
        expect(rows[i].line).toBeGreaterThanOrEqual(i === 0 ? 2 : rows[i - 1].line + 1);
        expect(rows[i].line).toBeLessThanOrEqual(countLines(text));
      }
      outcomes[res.invalidRows ? 'withInvalid' : 'ok']++;
    }
    // The mix exercises every outcome, so no property above holds vacuously.
    expect(outcomes.ok).toBeGreaterThan(50);
    expect(outcomes.withInvalid).toBeGreaterThan(20);
    expect(outcomes.rejected).toBeGreaterThan(100);
  });

  test('shuffled column order (header and rows together): same values and counts (100 orders)', async () => {
    const rng = createRng(66);
    const base = await read(Buffer.from(render(HEADER, ROWS, ORIGINAL_ORDER, '\r\n')), rng, 0);
    expect(base.res.rows).toBe(ROWS.length);
    for (let k = 0; k < 100; k++) {
      const order = [...ORIGINAL_ORDER];
      for (let i = order.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [order[i], order[j]] = [order[j], order[i]];
      }
      const shuffled = await read(Buffer.from(render(HEADER, ROWS, order, rng.next() < 0.5 ? '\n' : '\r\n')), rng, 0);
      expect(shuffled.rows.map((r) => r.values)).toEqual(base.rows.map((r) => r.values));
      expect(shuffled.rows.map((r) => r.line)).toEqual(base.rows.map((r) => r.line));
      expect([shuffled.res.rows, shuffled.res.invalidRows, [...shuffled.res.extraColumns].sort()]).toEqual([base.res.rows, 0, [...base.res.extraColumns].sort()]);
    }
  });
});

describe('readTable input chunks', () => {
  test('Buffers, plain Uint8Arrays and strings (object-mode streams) read the same', async () => {
    const text = render(HEADER, ROWS, ORIGINAL_ORDER, '\r\n');
    const bytes = Buffer.from(text);
    const cut = (n: number) => Array.from({ length: Math.ceil(bytes.length / n) }, (_, i) => bytes.subarray(i * n, (i + 1) * n));
    const readAll = async (chunks: Iterable<unknown>) => {
      const rows: FieldValue[][] = [];
      await readTable(FILE, Readable.from(chunks), REVIEWS, (v) => rows.push([...v]));
      return rows;
    };
    const expected = await readAll(cut(1 << 16));
    expect(expected).toHaveLength(ROWS.length);
    expect(await readAll(cut(5).map((b) => new Uint8Array(b)))).toEqual(expected);
    expect(await readAll([text])).toEqual(expected);
  });
});
