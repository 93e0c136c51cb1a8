/**
 * The hand-written tokenizer against csv-parse (the maintained library it replaced on the hot path), on
 * random CSVs: quotes, escaped quotes, embedded commas and newlines (LF, CRLF, CR), empty fields and lines,
 * multi-byte characters, a BOM, with the text cut into random chunks so that every construct straddles a
 * chunk boundary somewhere. Records must be identical; line numbers must be the generator's own count.
 */
import { parse } from 'csv-parse/sync';
import { CsvSyntaxError, CsvTokenizer } from '../../lambdas/core/csv/tokenizer';
import { createRng, Rng } from '../../lambdas/core/util/random';

const PIECES = ['a', 'xyz', ' ', '0', '12.50', 'ção', '😀', '"', ',', '\n', '\r\n', '\r', 'é,"', 'long text with words'];
const NEWLINES = ['\n', '\r\n', '\r'];

/** Universal line ends, as the tokenizer; csv-parse would otherwise fix one from the first it sees. */
const CSV_PARSE_OPTIONS = { bom: true, relax_column_count: true, skip_empty_lines: true, record_delimiter: ['\r\n', '\n', '\r'] };

function randomField(rng: Rng): { text: string; value: string } {
  let value = '';
  const parts = rng.int(4);
  for (let p = 0; p < parts; p++) value += PIECES[rng.int(PIECES.length)];
  const mustQuote = /[",\r\n]/.test(value);
  if (!mustQuote && rng.next() < 0.7) return { text: value, value };
  return { text: '"' + value.replace(/"/g, '""') + '"', value };
}

function countLineEnds(s: string): number {
  return (s.match(/\r\n|\r|\n/g) ?? []).length;
}

interface Generated {
  text: string;
  records: string[][];
  lines: number[];
}

function randomCsv(rng: Rng): Generated {
  const newline = NEWLINES[rng.int(3)];
  let text = rng.next() < 0.3 ? '\uFEFF' : '';
  let line = 1;
  const records: string[][] = [];
  const lines: number[] = [];
  const n = rng.int(12);
  for (let r = 0; r < n; r++) {
    while (rng.next() < 0.15) {
      text += newline; // empty lines are skipped
      line++;
    }
    const width = 1 + rng.int(5);
    const fields = Array.from({ length: width }, () => randomField(rng));
    const recordText = fields.map((f) => f.text).join(',');
    if (recordText !== '') {
      records.push(fields.map((f) => f.value));
      lines.push(line);
    }
    text += recordText;
    line += countLineEnds(recordText);
    if (r < n - 1 || rng.next() < 0.5) {
      text += newline;
      line++;
    }
  }
  return { text, records, lines };
}

function chunks(text: string, rng: Rng): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    const size = rng.next() < 0.5 ? 1 + rng.int(3) : 1 + rng.int(40);
    out.push(text.slice(i, i + size));
    i += size;
  }
  return out;
}

function tokenize(parts: string[]): { records: string[][]; lines: number[] } {
  const records: string[][] = [];
  const lines: number[] = [];
  const t = new CsvTokenizer((fields, count, line) => {
    records.push(fields.slice(0, count));
    lines.push(line);
  });
  for (const p of parts) t.push(p);
  t.end();
  return { records, lines };
}

describe('CsvTokenizer', () => {
  test('yields exactly csv-parse records, at the lines where they start (2,000 random files, random chunks)', () => {
    const rng = createRng(20261126);
    for (let k = 0; k < 2000; k++) {
      const g = randomCsv(rng);
      const expected = parse(g.text, CSV_PARSE_OPTIONS) as string[][];
      const got = tokenize(chunks(g.text, rng));
      if (JSON.stringify(got.records) !== JSON.stringify(expected) || JSON.stringify(got.lines) !== JSON.stringify(g.lines)) {
        // Show the failing file itself, not just a diff of arrays.
        expect({ text: g.text, records: got.records, lines: got.lines }).toEqual({ text: g.text, records: expected, lines: g.lines });
      }
      expect(got.records).toEqual(g.records); // the generator agrees with csv-parse too
    }
  });

  test('fails exactly where csv-parse fails, on files with a quote inserted or removed at random', () => {
    const rng = createRng(7);
    let failures = 0;
    for (let k = 0; k < 2000; k++) {
      const g = randomCsv(rng);
      const at = rng.int(g.text.length + 1);
      const text = rng.next() < 0.5 ? g.text.slice(0, at) + '"' + g.text.slice(at) : g.text.replace(/"/, '');
      let expected: string[][] | undefined;
      try {
        expected = parse(text, CSV_PARSE_OPTIONS) as string[][];
      } catch {
        expected = undefined;
      }
      let got: string[][] | undefined;
      try {
        got = tokenize(chunks(text, rng)).records;
      } catch (e) {
        expect(e).toBeInstanceOf(CsvSyntaxError);
        got = undefined;
      }
      if (expected === undefined) failures++;
      if (JSON.stringify(got) !== JSON.stringify(expected)) expect({ text, got }).toEqual({ text, got: expected });
    }
    expect(failures).toBeGreaterThan(200); // the mutations do produce broken files
  });

  test('errors say what and where: stray quote, text after a closing quote, unclosed quote', () => {
    const error = (text: string): CsvSyntaxError => {
      try {
        tokenize([text]);
      } catch (e) {
        return e as CsvSyntaxError;
      }
      throw new Error('expected a CsvSyntaxError');
    };
    let e = error('a,b\n1,"x\ny",ab"c\n');
    expect([e.code, e.line, e.recordLine, e.field]).toEqual(['STRAY_QUOTE', 3, 2, 2]);
    expect(e.detail).toBe('a quote inside an unquoted field, after "ab"');
    e = error('a,b\r\n"1"2,3\r\n');
    expect([e.code, e.line, e.field]).toEqual(['AFTER_CLOSING_QUOTE', 2, 0]);
    expect(e.detail).toMatch(/^"2" after the closing quote/);
    e = error('a,b\n\n1,"open\nand on\n');
    expect([e.code, e.line, e.recordLine, e.field]).toEqual(['QUOTE_NOT_CLOSED', 5, 3, 1]);
  });

  test('CRLF split between chunks counts one line, inside and outside quotes', () => {
    const got = tokenize(['a,"x\r', '\ny"\r', '\nb,c\r', '\n\r', '\nd']);
    expect(got.records).toEqual([['a', 'x\r\ny'], ['b', 'c'], ['d']]);
    expect(got.lines).toEqual([1, 3, 5]);
  });
});
