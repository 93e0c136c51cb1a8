/**
 * The loader's own row and table checks on the hand-made mini export: times in the future, the orphan
 * share, empty tables, and that they follow the row tolerance like format errors do.
 */
import { Readable } from 'node:stream';
import { DataFormatError } from '../../lambdas/core/csv/errors';
import { readTable } from '../../lambdas/core/csv/reader';
import { loadOlist } from '../../lambdas/core/olist/load';
import { directorySource } from '../../lambdas/core/olist/source';
import { ORDERS } from '../../lambdas/core/olist/tables';
import { loadWarnings } from '../../lambdas/core/olist/warnings';
import { MINI, writeMiniExport } from '../helpers/miniExport';

const at = (s: string) => Date.parse(s.replace(' ', 'T') + 'Z');

describe('loader checks', () => {
  test('a purchase later than the load time + 1 day is rejected with its place', async () => {
    const dir = writeMiniExport();
    // o3 was bought 2018-04-01 09:00: in the future for a load on 2018-03-30, not for one on 2018-03-31 10:00
    await expect(loadOlist(directorySource(dir), { now: at('2018-03-30 00:00:00') })).rejects.toThrow(
      'olist_orders_dataset.csv, line 4, column order_purchase_timestamp: expected a time not after 2018-03-31 00:00:00 (the time of loading + 1 day), found "2018-04-01 09:00:00"',
    );
    await expect(loadOlist(directorySource(dir), { now: at('2018-03-31 10:00:00'), maxInvalidRows: 0 })).rejects.toThrow(/line 6, column order_purchase_timestamp/); // o5, 2018-04-10
    const ok = await loadOlist(directorySource(dir), { now: at('2018-04-09 10:00:00') });
    expect(ok.orders.count).toBe(5);
  });

  test('under the row tolerance, future rows are skipped and counted; their items are orphans, checked by share', async () => {
    const dir = writeMiniExport();
    const opts = { now: at('2018-03-25 00:00:00'), maxInvalidRows: 2 };
    // o3 and o5 skipped: 2 of 7 item rows lose their order, far above 1%
    await expect(loadOlist(directorySource(dir), opts)).rejects.toThrow(
      'olist_order_items_dataset.csv, line 6, column order_id: expected at most 1% of rows with an order_id present in olist_orders_dataset.csv (fewer are skipped and counted), found 2 of 7 rows (28.6%) whose order is missing, the first at line 6',
    );
    const data = await loadOlist(directorySource(dir), { ...opts, maxOrphanShare: 0.5 });
    expect(data.orders.ids).toEqual(['o1', 'o2', 'o4']);
    expect(data.tables.find((t) => t.table === 'orders')!.invalidRows).toBe(2);
    expect(data.issues).toMatchObject({ orphanItems: 2, orphanPayments: 2 });
    expect(loadWarnings(data.tables, data.issues)).toEqual([
      'olist_orders_dataset.csv: 2 invalid rows skipped under the row tolerance; first: olist_orders_dataset.csv, line 4, column order_purchase_timestamp: expected a time not after 2018-03-26 00:00:00 (the time of loading + 1 day), found "2018-04-01 09:00:00"',
      'olist_order_items_dataset.csv: 2 rows whose order_id is not in olist_orders_dataset.csv skipped',
      'olist_order_payments_dataset.csv: 2 rows whose order_id is not in olist_orders_dataset.csv skipped',
    ]);
  });

  test('a duplicated order id follows the row tolerance; a header-only orders file is rejected', async () => {
    const lines = MINI['olist_orders_dataset.csv'].trimEnd().split('\n');
    const dup = writeMiniExport({ 'olist_orders_dataset.csv': [...lines, lines[1]].join('\n') + '\n' });
    await expect(loadOlist(directorySource(dup), { now: at('2019-01-01 00:00:00') })).rejects.toThrow('olist_orders_dataset.csv, line 7, column order_id: expected an order_id that appears once (duplicated order), found "o1"');
    const tolerated = await loadOlist(directorySource(dup), { now: at('2019-01-01 00:00:00'), maxInvalidRows: 1 });
    expect(tolerated.orders.count).toBe(5);
    const empty = writeMiniExport({ 'olist_orders_dataset.csv': lines[0] + '\n' });
    await expect(loadOlist(directorySource(empty))).rejects.toThrow('olist_orders_dataset.csv, line 2: expected at least one data row, found only the header line');
  });

  test('a row callback may reject a row with a DataFormatError (tolerated like a format error); other errors are faults', async () => {
    const text = MINI['olist_orders_dataset.csv'];
    const reject = (_v: unknown, line: number) => {
      if (line === 3) throw new DataFormatError('o.csv', line, 'order_id', 'something else', 'o2');
    };
    const res = await readTable('o.csv', Readable.from([text]), ORDERS, reject, { maxInvalidRows: 1 });
    expect([res.rows, res.invalidRows]).toEqual([4, 1]);
    await expect(readTable('o.csv', Readable.from([text]), ORDERS, reject)).rejects.toThrow('o.csv, line 3, column order_id');
    const fault = () => {
      throw new TypeError('bug');
    };
    await expect(readTable('o.csv', Readable.from([text]), ORDERS, fault, { maxInvalidRows: 100 })).rejects.toThrow('bug');
  });
});
