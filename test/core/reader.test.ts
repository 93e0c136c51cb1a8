import { Readable } from 'node:stream';
import { readTable, FieldValue } from '../../lambdas/core/csv/reader';
import { DataFormatError } from '../../lambdas/core/csv/errors';
import { ORDERS, PAYMENTS, REVIEWS, CATEGORY_TRANSLATION } from '../../lambdas/core/olist/tables';
import { TableSchema } from '../../lambdas/core/csv/schema';
import { MINI } from '../helpers/miniExport';

async function read(text: string | Buffer, schema: TableSchema, chunkSize = 7) {
  const buf = Buffer.isBuffer(text) ? text : Buffer.from(text);
  // small chunks so that multi-byte characters and records straddle chunk boundaries
  const chunks: Buffer[] = [];
  for (let i = 0; i < buf.length; i += chunkSize) chunks.push(buf.subarray(i, i + chunkSize));
  const rows: { values: FieldValue[]; line: number }[] = [];
  const res = await readTable(schema.file, Readable.from(chunks), schema, (values, line) => rows.push({ values: [...values], line }));
  return { rows, res };
}

async function failure(text: string | Buffer, schema: TableSchema): Promise<DataFormatError> {
  try {
    await read(text, schema);
  } catch (e) {
    expect(e).toBeInstanceOf(DataFormatError);
    return e as DataFormatError;
  }
  throw new Error('expected a DataFormatError');
}

const ORDERS_HEADER = MINI['olist_orders_dataset.csv'].split('\n')[0];
const orderLine = (id: string, status = 'delivered', purchase = '2018-01-01 10:00:00') => `${id},c1,${status},${purchase},,,2018-01-05 12:00:00,2018-01-10 00:00:00`;

describe('CSV reader', () => {
  test('reads BOM + CRLF + unquoted header + no final newline', async () => {
    const { rows } = await read(MINI['product_category_name_translation.csv'], CATEGORY_TRANSLATION);
    expect(rows.map((r) => r.values)).toEqual([
      ['brinquedos', 'toys'],
      ['livros_interesse_geral', 'books_general_interest'],
    ]);
  });

  test('quoted fields with embedded CRLF newlines; line numbers are where each record starts', async () => {
    const { rows } = await read(MINI['olist_order_reviews_dataset.csv'], REVIEWS, 5);
    expect(rows.map((r) => r.line)).toEqual([2, 4, 5]); // the first review spans lines 2-3
    expect(rows[0].values[2]).toBe(5);
    expect(rows[0].values[4]).toBe(Date.UTC(2018, 0, 7, 10));
  });

  test('converts types: enums, integers, numbers, timestamps, empty nullable timestamp -> NaN', async () => {
    const { rows } = await read(MINI['olist_orders_dataset.csv'], ORDERS);
    expect(rows).toHaveLength(5);
    expect(rows[2].values.slice(0, 3)).toEqual(['o3', 'c_ana3', 'canceled']);
    expect(rows[2].values[4]).toBeNaN();
    const pay = await read(MINI['olist_order_payments_dataset.csv'], PAYMENTS);
    expect(pay.rows[0].values).toEqual(['o1', 'credit_card', 3, 110]);
  });

  test('tolerates and reports unknown extra columns, in any order', async () => {
    const text = '"extra","order_id","payment_value","payment_type","payment_installments","payment_sequential"\nx,o1,10.5,boleto,1,1\n';
    const { rows, res } = await read(text, PAYMENTS);
    expect(rows[0].values).toEqual(['o1', 'boleto', 1, 10.5]);
    expect(res.extraColumns).toEqual(['extra', 'payment_sequential']);
  });

  test('UTF-8 multi-byte characters split across chunks are fine', async () => {
    const text = '"review_id","order_id","review_score","review_comment_title","review_comment_message","review_creation_date","review_answer_timestamp"\nr1,o1,4,Ótimo,"não é ruim, ação",2018-01-06 00:00:00,2018-01-07 10:00:00\n';
    const { rows } = await read(text, REVIEWS, 3);
    expect(rows).toHaveLength(1);
  });

  test('missing column: names the file, the line 1 and the column', async () => {
    const e = await failure(ORDERS_HEADER.replace('"order_status"', '"status"') + '\n' + orderLine('o1') + '\n', ORDERS);
    expect(e.file).toBe('olist_orders_dataset.csv');
    expect(e.line).toBe(1);
    expect(e.column).toBe('order_status');
    expect(e.message).toMatch(/olist_orders_dataset\.csv, line 1, column order_status: expected a column named "order_status"/);
  });

  test('wrong delimiter is recognised as such', async () => {
    const e = await failure(ORDERS_HEADER.replace(/,/g, ';') + '\n' + orderLine('o1').replace(/,/g, ';') + '\n', ORDERS);
    expect(e.line).toBe(1);
    expect(e.expected).toMatch(/comma-separated/);
  });

  test('unknown enumeration value: line, column and the allowed values', async () => {
    const e = await failure([ORDERS_HEADER, orderLine('o1'), orderLine('o2', 'lost')].join('\n') + '\n', ORDERS);
    expect(e.line).toBe(3);
    expect(e.column).toBe('order_status (3)');
    expect(e.expected).toMatch(/one of delivered, shipped/);
    expect(e.found).toBe('lost');
  });

  test('unparseable and impossible timestamps are rejected', async () => {
    let e = await failure([ORDERS_HEADER, orderLine('o1', 'delivered', '18/01/2018')].join('\n'), ORDERS);
    expect(e.column).toBe('order_purchase_timestamp (4)');
    expect(e.expected).toMatch(/YYYY-MM-DD HH:MM:SS/);
    e = await failure([ORDERS_HEADER, orderLine('o1', 'delivered', '2018-02-30 10:00:00')].join('\n'), ORDERS);
    expect(e.line).toBe(2);
  });

  test('negative and non-numeric payments are rejected with their location', async () => {
    const h = '"order_id","payment_sequential","payment_type","payment_installments","payment_value"';
    let e = await failure(`${h}\no1,1,boleto,1,-5.00\n`, PAYMENTS);
    expect(e.message).toMatch(/line 2, column payment_value \(5\): expected a number >= 0, found "-5.00"/);
    e = await failure(`${h}\no1,1,boleto,1,12,50\n`, PAYMENTS);
    expect(e.message).toMatch(/line 2: expected 5 fields as in the header, found 6 fields/);
  });

  test('truncated file: a last line cut short, or a quote never closed', async () => {
    const full = MINI['olist_orders_dataset.csv'];
    let e = await failure(full.slice(0, full.length - 30), ORDERS);
    expect(e.line).toBe(6);
    expect(e.expected).toMatch(/8 fields/);
    const reviews = MINI['olist_order_reviews_dataset.csv'];
    e = await failure(reviews.slice(0, reviews.indexOf('Adorei') + 3), REVIEWS);
    expect(e.expected).toMatch(/closing quote/);
  });

  test('bytes that are not UTF-8: the line of the first bad byte', async () => {
    const good = Buffer.from([ORDERS_HEADER, orderLine('o1'), ''].join('\n'));
    const bad = Buffer.concat([good, Buffer.from('o2,c1,delivered,2018-01-01 10:00:00,,,,'), Buffer.from([0xe9, 0x0a])]);
    const e = await failure(bad, ORDERS);
    expect(e.line).toBe(3);
    expect(e.expected).toBe('UTF-8 text');
    expect(e.found).toMatch(/0xe9/);
  });

  test('empty and zero-byte files', async () => {
    expect((await failure('', ORDERS)).found).toBe('an empty file');
    expect((await failure('\n\n', ORDERS)).found).toBe('an empty file');
  });

  test('a repeated header line inside the data', async () => {
    const e = await failure([ORDERS_HEADER, orderLine('o1'), ORDERS_HEADER, orderLine('o2')].join('\n'), ORDERS);
    expect(e.line).toBe(3);
    expect(e.found).toBe('a repeated header line');
  });

  test('row-level tolerance: skip and count up to a threshold, then fail', async () => {
    const text = [ORDERS_HEADER, orderLine('o1'), orderLine('o2', 'lost'), orderLine('o3'), orderLine('o4', 'gone')].join('\n');
    const rows: FieldValue[][] = [];
    const res = await readTable('o.csv', Readable.from([text]), ORDERS, (v) => rows.push([...v]), { maxInvalidRows: 2 });
    expect(rows.map((r) => r[0])).toEqual(['o1', 'o3']);
    expect(res.invalidRows).toBe(2);
    expect(res.invalidSamples.map((e) => e.line)).toEqual([3, 5]);
    await expect(readTable('o.csv', Readable.from([text]), ORDERS, () => undefined, { maxInvalidRows: 1 })).rejects.toThrow(/o\.csv, line 5/);
  });
});
