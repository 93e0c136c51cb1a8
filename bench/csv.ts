/**
 * CSV parsing throughput (MB/s) on the Olist tables, to justify (or not) the hand-written tokenizer.
 *
 *   npx tsx bench/csv.ts [--data DIR] [--runs N] [--deps DIR]
 *
 * --data defaults to ../shared/olist, else a synthetic export is generated (segments generate).
 * --deps points at a node_modules holding the other parsers compared (they are not project dependencies):
 *   mkdir -p .scratch/csv/deps && cd .scratch/csv/deps && npm init -y && npm i udsv papaparse csv-parser d3-dsv
 * Every parser gets the file as 1 MB Buffers already in memory (no disk time) and decodes them itself;
 * the best of --runs runs is kept. Only the streaming ones can be used by the reader as is.
 *
 * Measured 2026-11-26 on the real export (65 MB, 8 tables), node 20.20, 2 cores shared with other jobs
 * (load average 2.4 to 2.8 during the run, so absolute figures are low; the ratios are what matters), best of 3:
 *
 *   parser                                   MB/s   streaming  record lines  bad quotes are errors
 *   csv-parse 7.0.3 (as the reader used it)     9    yes        no (1)        yes
 *   csv-parser 3.2.1                           23    yes        no            no
 *   papaparse 5.7.1 (whole string)             22    (2)        no            reported, parsing goes on
 *   d3-dsv 3.0.2 csvParseRows (whole string)   35    no         no            no
 *   udsv 0.7.3 (chunks)                       114    yes        no            no (3)
 *   tokenizer.ts (TextDecoder + tokenize)     152    yes        yes           yes
 *   readTable (tokenizer + typed columns)     128    yes        yes           yes
 *
 *   (1) csv-parse counts lines, but a CRLF inside a quoted field as two: the reader corrected it per record.
 *   (2) papaparse can also stream (Papa.NODE_STREAM_INPUT); measured here on a whole string, its fastest mode.
 *   (3) udsv documents that it parses well-formed CSV; newlines inside quotes must match the row separator.
 * So no faster maintained parser gives what the reader must report (the line of each record, unclosed and
 * stray quotes as errors), and the small tokenizer is as fast as the fastest of them (udsv), 15x csv-parse.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { parse as csvParse } from 'csv-parse';
import { readTable } from '../lambdas/core/csv/reader';
import { CsvTokenizer } from '../lambdas/core/csv/tokenizer';
import { ALL_TABLES } from '../lambdas/core/olist/tables';

const ROOT = resolve(__dirname, '..');
const CHUNK = 1 << 20;

interface Args {
  data: string;
  runs: number;
  deps?: string;
}

function args(argv: string[]): Args {
  const get = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  let data = get('--data') ?? join(ROOT, '../shared/olist');
  if (!existsSync(join(data, 'olist_orders_dataset.csv'))) {
    data = join(mkdtempSync(join(tmpdir(), 'bench-csv-')), 'olist');
    process.stderr.write(`no export found; generating one in ${data}\n`);
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/segments.js'), 'generate', '--customers', '50000', '--seed', '1', '--out', data, '--quiet'], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('segments generate failed');
  }
  return { data, runs: Number(get('--runs') ?? 3), deps: get('--deps') };
}

function split(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += CHUNK) out.push(buf.subarray(i, i + CHUNK));
  return out;
}

type Parser = (chunks: Buffer[], file: string) => Promise<number>; // returns the number of records

function parsers(deps?: string): Record<string, Parser> {
  const list: Record<string, Parser> = {
    'csv-parse (as the reader used it)': (chunks) =>
      new Promise((done, fail) => {
        let n = 0;
        const p = csvParse({ bom: true, relax_column_count: true, skip_empty_lines: true, on_record: () => (n++, null) });
        p.on('error', fail).on('end', () => done(n)).resume();
        for (const c of chunks) p.write(c);
        p.end();
      }),
    'tokenizer.ts (TextDecoder + tokenize)': async (chunks) => {
      let n = 0;
      const t = new CsvTokenizer(() => void n++);
      const d = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
      for (const c of chunks) t.push(d.decode(c, { stream: true }));
      t.push(d.decode());
      t.end();
      return n;
    },
    'readTable (tokenizer + typed columns)': async (chunks, file) => {
      const schema = ALL_TABLES.find((s) => s.file === file)!;
      const r = await readTable(file, Readable.from(chunks), schema, () => undefined);
      return r.rows + 1;
    },
  };
  if (!deps) return list;
  const req = createRequire(join(resolve(deps), 'package.json'));
  const optional = (name: string, make: (m: any) => Parser) => {
    try {
      list[name] = make(req(name.split(' ')[0]));
    } catch {
      process.stderr.write(`${name}: not installed in ${deps}, skipped\n`);
    }
  };
  optional('csv-parser', (m) => (chunks) =>
    new Promise((done, fail) => {
      let n = 0;
      const p = m({ headers: false });
      p.on('data', () => n++).on('error', fail).on('end', () => done(n));
      for (const c of chunks) p.write(c);
      p.end();
    }),
  );
  optional('papaparse (whole string)', (m) => async (chunks) => {
    let n = 0;
    m.parse(Buffer.concat(chunks).toString('utf8'), { step: () => void n++, skipEmptyLines: true });
    return n;
  });
  optional('d3-dsv (csvParseRows, whole string)', (m) => async (chunks) => m.csvParseRows(Buffer.concat(chunks).toString('utf8')).length);
  optional('udsv (chunks)', (m) => async (chunks) => {
    let n = 0;
    let p: any;
    for (const c of chunks) {
      const s = c.toString('utf8'); // a multi-byte char cut by the chunk boundary is not handled: fine for a speed figure
      p ??= m.initParser(m.inferSchema(s));
      p.chunk(s, p.stringArrs, () => void n++);
    }
    p.end();
    return n + 1;
  });
  return list;
}

async function main(): Promise<void> {
  const a = args(process.argv.slice(2));
  const files = ALL_TABLES.map((s) => s.file).filter((f) => existsSync(join(a.data, f)));
  const data = files.map((f) => ({ file: f, chunks: split(readFileSync(join(a.data, f))), bytes: statSync(join(a.data, f)).size }));
  const total = data.reduce((s, d) => s + d.bytes, 0);
  process.stdout.write(`${a.data}: ${files.length} tables, ${(total / 1e6).toFixed(1)} MB, best of ${a.runs} runs\n`);
  const rows: string[][] = [['parser', 'MB/s', 'seconds', 'records']];
  for (const [name, run] of Object.entries(parsers(a.deps))) {
    let best = Infinity;
    let records = 0;
    for (let r = 0; r < a.runs; r++) {
      const t = performance.now();
      records = 0;
      for (const d of data) records += await run(d.chunks, d.file);
      best = Math.min(best, (performance.now() - t) / 1000);
    }
    rows.push([name, (total / 1e6 / best).toFixed(0), best.toFixed(2), String(records)]);
  }
  const width = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const r of rows) process.stdout.write(r.map((v, c) => (c === 0 ? v.padEnd(width[c]) : v.padStart(width[c]))).join('  ') + '\n');
}

main().catch((e) => {
  process.stderr.write(String(e?.stack ?? e) + '\n');
  process.exitCode = 1;
});
