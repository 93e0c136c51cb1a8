/**
 * The bad-input cases of issue 6, each built by mutating a small generated export, with its defined
 * outcome. Shared by the stack test (test/pipeline/bad-input.test.ts: run record, error report, active
 * model untouched) and the CLI test (test/e2e/bad-input-cli.test.ts: exit code, one line on stderr).
 *
 * Line numbers are the file's lines (1 = header) and the messages are matched whole, from the file name
 * to what was found, so a case fails if the error stops naming the place or the cause.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type Files = Record<string, Buffer>;
export type Outcome = 'accepted' | 'rejected' | 'waiting';

export interface BadInputCase {
  name: string;
  mutate(files: Files): void;
  /** Settings of the functions for this case (the CLI gets MAX_INVALID_ROWS as --max-invalid-rows). */
  env?: { MAX_INVALID_ROWS?: string; MAX_UPLOAD_BYTES?: string };
  outcome: Outcome;
  /** rejected: the whole one-line message; waiting: the run record's reason; accepted: the first warning, if any. */
  message?: RegExp;
  /** rejected: where error.json locates the problem. */
  where?: { file: string; line?: number; column?: string };
  /** accepted: run record counts that must be present with these values. */
  counts?: Record<string, number>;
  /** The CLI's outcome when it differs (or false when the case does not apply to a local folder). */
  cli?: false | { outcome: Outcome; message?: RegExp };
}

export const ORDERS = 'olist_orders_dataset.csv';
export const CUSTOMERS = 'olist_customers_dataset.csv';
export const ITEMS = 'olist_order_items_dataset.csv';
export const PAYMENTS = 'olist_order_payments_dataset.csv';

export function readExport(dir: string): Files {
  const out: Files = {};
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.csv'))) out[f] = readFileSync(join(dir, f));
  return out;
}

const lines = (files: Files, file: string): string[] => files[file].toString('utf8').split('\n');
const setLines = (files: Files, file: string, ls: string[]) => (files[file] = Buffer.from(ls.join('\n')));
/** Replaces field `field` (0-based) of file line `line` (1-based); fields of these rows hold no quoted commas. */
function setField(files: Files, file: string, line: number, field: number, value: string): void {
  const ls = lines(files, file);
  const f = ls[line - 1].split(',');
  f[field] = value;
  ls[line - 1] = f.join(',');
  setLines(files, file, ls);
}
const FUTURE_YEAR = new Date().getUTCFullYear() + 3;

export const CASES: BadInputCase[] = [
  {
    name: 'missing table (orders never uploaded)',
    mutate: (f) => delete f[ORDERS],
    outcome: 'waiting',
    message: /^missing table olist_orders_dataset\.csv: the dataset is processed once it arrives under incoming\/.+\/$/,
    cli: { outcome: 'rejected', message: /: missing table olist_orders_dataset\.csv$/ },
  },
  {
    name: 'missing column (order_status dropped)',
    mutate: (f) => setLines(f, ORDERS, lines(f, ORDERS).map((l) => (l ? l.split(',').filter((_, i) => i !== 2).join(',') : l))),
    outcome: 'rejected',
    message: /^olist_orders_dataset\.csv, line 1, column order_status: expected a column named "order_status" in the header, found "order_id,customer_id,order_purchase_timestamp,order_appro\.\.\."$/,
    where: { file: ORDERS, line: 1, column: 'order_status' },
  },
  {
    name: 'renamed column (order_purchase_timestamp -> purchase_time)',
    mutate: (f) => setLines(f, ORDERS, lines(f, ORDERS).map((l, i) => (i === 0 ? l.replace('"order_purchase_timestamp"', '"purchase_time"') : l))),
    outcome: 'rejected',
    message: /^olist_orders_dataset\.csv, line 1, column order_purchase_timestamp: expected a column named "order_purchase_timestamp" in the header, found "order_id,customer_id,order_status,purchase_time,order_app\.\.\."$/,
    where: { file: ORDERS, line: 1, column: 'order_purchase_timestamp' },
  },
  {
    name: 'wrong delimiter (payments with ;)',
    mutate: (f) => (f[PAYMENTS] = Buffer.from(f[PAYMENTS].toString('utf8').replace(/,/g, ';'))),
    outcome: 'rejected',
    message: /^olist_order_payments_dataset\.csv, line 1: expected comma-separated columns, found another delimiter in the header: "order_id";"payment_sequential";/,
    where: { file: PAYMENTS, line: 1 },
  },
  {
    name: 'BOM and CRLF line ends in orders and items (accepted)',
    mutate: (f) => {
      for (const file of [ORDERS, ITEMS]) f[file] = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(f[file].toString('utf8').replace(/\n/g, '\r\n'))]);
    },
    outcome: 'accepted',
  },
  {
    name: 'quoted newlines in a customers field (accepted)',
    mutate: (f) => setField(f, CUSTOMERS, 3, 3, '"sao\r\npaulo, centro"'),
    outcome: 'accepted',
  },
  {
    name: 'bytes that are not UTF-8 (Latin-1 city name)',
    mutate: (f) => {
      const ls = lines(f, CUSTOMERS);
      const at = Buffer.byteLength(ls.slice(0, 19).join('\n') + '\n');
      const latin1 = Buffer.from(ls[19].split(',').slice(0, 3).join(',') + ',s\xe3o paulo,SP', 'latin1');
      f[CUSTOMERS] = Buffer.concat([f[CUSTOMERS].subarray(0, at), latin1, f[CUSTOMERS].subarray(at + Buffer.byteLength(ls[19]))]);
    },
    outcome: 'rejected',
    message: /^olist_customers_dataset\.csv, line 20: expected UTF-8 text, found the bytes 0xe3 0x6f \(Latin-1 or binary data\?\)$/,
    where: { file: CUSTOMERS, line: 20 },
  },
  {
    name: 'truncated file (orders cut in the middle of line 801)',
    mutate: (f) => {
      const ls = lines(f, ORDERS);
      setLines(f, ORDERS, [...ls.slice(0, 800), ls[800].split(',').slice(0, 3).join(',') + ',2018-0']);
    },
    outcome: 'rejected',
    message: /^olist_orders_dataset\.csv, line 801: expected 8 fields as in the header, found 4 fields$/,
    where: { file: ORDERS, line: 801 },
  },
  {
    name: 'truncated file at a row boundary (orders keep 800 rows): items lose their orders',
    mutate: (f) => setLines(f, ORDERS, [...lines(f, ORDERS).slice(0, 801), '']),
    outcome: 'rejected',
    message: /^olist_order_items_dataset\.csv, line \d+, column order_id: expected at most 1% of rows with an order_id present in olist_orders_dataset\.csv \(fewer are skipped and counted\), found \d+ of \d+ rows \(\d+(\.\d)?%\) whose order is missing, the first at line \d+$/,
    where: { file: ITEMS, column: 'order_id' },
  },
  {
    name: 'empty table (orders: header only)',
    mutate: (f) => setLines(f, ORDERS, [lines(f, ORDERS)[0], '']),
    outcome: 'rejected',
    message: /^olist_orders_dataset\.csv, line 2: expected at least one data row, found only the header line$/,
    where: { file: ORDERS, line: 2 },
  },
  {
    name: 'zero-byte file (payments)',
    mutate: (f) => (f[PAYMENTS] = Buffer.alloc(0)),
    outcome: 'rejected',
    message: /^olist_order_payments_dataset\.csv, line 1: expected a header line with the columns order_id, payment_type, payment_installments, payment_value, found an empty file$/,
    where: { file: PAYMENTS, line: 1 },
  },
  {
    name: 'repeated header line (orders line 50)',
    mutate: (f) => {
      const ls = lines(f, ORDERS);
      setLines(f, ORDERS, [...ls.slice(0, 49), ls[0], ...ls.slice(49)]);
    },
    outcome: 'rejected',
    message: /^olist_orders_dataset\.csv, line 50: expected a data row, found a repeated header line$/,
    where: { file: ORDERS, line: 50 },
  },
  {
    name: 'unknown order_status',
    mutate: (f) => setField(f, ORDERS, 10, 2, 'lost'),
    outcome: 'rejected',
    message: /^olist_orders_dataset\.csv, line 10, column order_status \(3\): expected one of delivered, shipped, .*, found "lost"$/,
    where: { file: ORDERS, line: 10, column: 'order_status (3)' },
  },
  {
    name: 'unknown payment_type',
    mutate: (f) => setField(f, PAYMENTS, 11, 2, 'pix'),
    outcome: 'rejected',
    message: /^olist_order_payments_dataset\.csv, line 11, column payment_type \(3\): expected one of credit_card, boleto, voucher, debit_card, not_defined, found "pix"$/,
    where: { file: PAYMENTS, line: 11, column: 'payment_type (3)' },
  },
  {
    name: 'non-numeric payment',
    mutate: (f) => setField(f, PAYMENTS, 12, 4, 'R$142.18'),
    outcome: 'rejected',
    message: /^olist_order_payments_dataset\.csv, line 12, column payment_value \(5\): expected a number >= 0, found "R\$142\.18"$/,
    where: { file: PAYMENTS, line: 12, column: 'payment_value (5)' },
  },
  {
    name: 'negative payment',
    mutate: (f) => setField(f, PAYMENTS, 13, 4, '-42.50'),
    outcome: 'rejected',
    message: /^olist_order_payments_dataset\.csv, line 13, column payment_value \(5\): expected a number >= 0, found "-42\.50"$/,
    where: { file: PAYMENTS, line: 13, column: 'payment_value (5)' },
  },
  {
    name: 'purchase date in the future',
    mutate: (f) => setField(f, ORDERS, 15, 3, `${FUTURE_YEAR}-05-01 10:00:00`),
    outcome: 'rejected',
    message: new RegExp(
      `^olist_orders_dataset\\.csv, line 15, column order_purchase_timestamp: expected a time not after \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d \\(the time of loading \\+ 1 day\\), found "${FUTURE_YEAR}-05-01 10:00:00"$`,
    ),
    where: { file: ORDERS, line: 15, column: 'order_purchase_timestamp' },
  },
  {
    name: 'delivery date years ahead',
    mutate: (f) => setField(f, ORDERS, 16, 6, `${FUTURE_YEAR}-01-02 03:04:05`),
    outcome: 'rejected',
    message: new RegExp(`^olist_orders_dataset\\.csv, line 16, column order_delivered_customer_date: expected a time not after .*, found "${FUTURE_YEAR}-01-02 03:04:05"$`),
    where: { file: ORDERS, line: 16, column: 'order_delivered_customer_date' },
  },
  {
    name: 'unparseable date',
    mutate: (f) => setField(f, ORDERS, 17, 3, '03/07/2018 17:24'),
    outcome: 'rejected',
    message: /^olist_orders_dataset\.csv, line 17, column order_purchase_timestamp \(4\): expected a timestamp YYYY-MM-DD HH:MM:SS, found "03\/07\/2018 17:24"$/,
    where: { file: ORDERS, line: 17, column: 'order_purchase_timestamp (4)' },
  },
  {
    name: 'duplicated order id (line 2 repeated as line 31)',
    mutate: (f) => {
      const ls = lines(f, ORDERS);
      setLines(f, ORDERS, [...ls.slice(0, 30), ls[1], ...ls.slice(30)]);
    },
    outcome: 'rejected',
    message: /^olist_orders_dataset\.csv, line 31, column order_id: expected an order_id that appears once \(duplicated order\), found "[0-9a-f]{32}"$/,
    where: { file: ORDERS, line: 31, column: 'order_id' },
  },
  {
    name: 'orphan keys: an order whose customer is missing',
    mutate: (f) => setField(f, ORDERS, 20, 1, 'ffffffffffffffffffffffffffffffff'),
    outcome: 'rejected',
    message: /^olist_orders_dataset\.csv, line 20, column customer_id: expected a customer_id present in olist_customers_dataset\.csv, found "f{32}"$/,
    where: { file: ORDERS, line: 20, column: 'customer_id' },
  },
  {
    name: 'orphan keys: 3 item rows whose order is missing (under 1%: skipped and counted)',
    mutate: (f) => {
      const ls = lines(f, ITEMS).filter((l) => l);
      const orphan = (i: number) => ls[1].replace(/^"?[0-9a-f]{32}"?/, `"${String(i).repeat(32)}"`);
      setLines(f, ITEMS, [...ls, orphan(1), orphan(2), orphan(3), '']);
    },
    outcome: 'accepted',
    message: /^olist_order_items_dataset\.csv: 3 rows whose order_id is not in olist_orders_dataset\.csv skipped$/,
    counts: { 'issues.orphanItems': 3, 'issues.orphanPayments': 0 },
  },
  {
    name: 'orphan keys: 5% of payment rows whose order is missing (over 1%: rejected)',
    mutate: (f) => {
      const ls = lines(f, PAYMENTS);
      for (let i = 100; i < ls.length; i += 20) if (ls[i]) ls[i] = ls[i].replace(/^"?[0-9a-f]{32}"?/, `"${'e'.repeat(28)}${String(i).padStart(4, '0')}"`);
      setLines(f, PAYMENTS, ls);
    },
    outcome: 'rejected',
    message: /^olist_order_payments_dataset\.csv, line 101, column order_id: expected at most 1% of rows with an order_id present in olist_orders_dataset\.csv \(fewer are skipped and counted\), found \d+ of \d+ rows \(\d\.\d%\) whose order is missing, the first at line 101$/,
    where: { file: PAYMENTS, line: 101, column: 'order_id' },
  },
  {
    name: 'file larger than the configured limit (rejected from its size; its bad row is never read)',
    mutate: (f) => setField(f, ORDERS, 10, 2, 'lost'),
    env: { MAX_UPLOAD_BYTES: '200000' },
    outcome: 'rejected',
    message: /^olist_orders_dataset\.csv: expected a file of at most 200000 bytes \(checked from its size, before reading\), found \d{6} bytes$/,
    where: { file: ORDERS },
    cli: false,
  },
  {
    name: 'invalid rows within the tolerance (MAX_INVALID_ROWS=2, 2 bad payments): skipped and counted',
    mutate: (f) => {
      setField(f, PAYMENTS, 10, 2, 'pix');
      setField(f, PAYMENTS, 20, 4, '-1');
    },
    env: { MAX_INVALID_ROWS: '2' },
    outcome: 'accepted',
    message: /^olist_order_payments_dataset\.csv: 2 invalid rows skipped under the row tolerance; first: olist_order_payments_dataset\.csv, line 10, column payment_type \(3\): expected one of .*, found "pix"$/,
    counts: { 'invalidRows.payments': 2, 'invalidRows.orders': 0 },
  },
  {
    name: 'invalid rows past the tolerance (MAX_INVALID_ROWS=2, 3 bad rows): rejected at the third',
    mutate: (f) => {
      setField(f, PAYMENTS, 10, 2, 'pix');
      setField(f, PAYMENTS, 20, 4, '-1');
      setField(f, PAYMENTS, 30, 3, 'many');
    },
    env: { MAX_INVALID_ROWS: '2' },
    outcome: 'rejected',
    message: /^olist_order_payments_dataset\.csv, line 30, column payment_installments \(4\): expected an integer >= 0, found "many"$/,
    where: { file: PAYMENTS, line: 30, column: 'payment_installments (4)' },
  },
  {
    name: 'no customer can be segmented (every order canceled)',
    mutate: (f) => setLines(f, ORDERS, lines(f, ORDERS).map((l, i) => (i === 0 || !l ? l : l.replace(/,(delivered|shipped|invoiced|processing|unavailable|created|approved),/, ',canceled,')))),
    outcome: 'rejected',
    message: /^olist_orders_dataset\.csv: expected at least 10 customers with an order delivered by \d{4}-\d\d-\d\d, to segment, found 0$/,
    where: { file: ORDERS },
  },
];

