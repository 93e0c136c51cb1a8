/** The identifier rule (lambdas/core/ids.ts) and how a loaded export applies it to every id column. */
import { ID_RULE, isValidId } from '../../lambdas/core/ids';
import { loadOlist } from '../../lambdas/core/olist/load';
import { directorySource } from '../../lambdas/core/olist/source';
import { MINI, writeMiniExport } from '../helpers/miniExport';

test.each(['861eff4711a542e4b93843c6dd7febb0', 'u_ana', 'ORD-2024-000123', '_x', 'a'.repeat(64), '0'])('accepted: %s', (id) => expect(isValidId(id)).toBe(true));

test.each(['', '-1', 'a'.repeat(65), '=1+1', '+1', '@SUM(1,2)', 'ACME, Inc', 'he said "hi"', 'two\nlines', 'tab\there', 'x y', 'São', 'a#b', 'a.b', 'ｕ'])('refused: %j', (id) => expect(isValidId(id)).toBe(false));

test('every id column of every table is checked, with file, line, column and the rule', async () => {
  const cases: [file: string, from: string, to: string, where: string][] = [
    ['olist_orders_dataset.csv', 'o4,c_bob', 'o 4,c_bob', 'olist_orders_dataset.csv, line 5, column order_id (1)'],
    ['olist_order_items_dataset.csv', 'o4,1,p_bed', 'o4,1,p=bed', 'olist_order_items_dataset.csv, line 7, column product_id (3)'],
    ['olist_order_reviews_dataset.csv', 'r1,', 'r/1,', 'olist_order_reviews_dataset.csv, line 2, column review_id (1)'],
  ];
  for (const [file, from, to, where] of cases) {
    expect(MINI[file]).toContain(from);
    await expect(loadOlist(directorySource(writeMiniExport({ [file]: MINI[file].replace(from, to) })))).rejects.toThrow(`${where}: expected ${ID_RULE}, found`);
  }
});
