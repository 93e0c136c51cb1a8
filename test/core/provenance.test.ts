/** An export's provenance files (core/olist/provenance.ts): synthetic, imputed reviews, a note, or nothing. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { directorySidecars, readProvenance, reviewRows } from '../../lambdas/core/olist/provenance';

const folder = (files: Record<string, string>) => {
  const dir = mkdtempSync(join(tmpdir(), 'provenance-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return directorySidecars(dir);
};

test('an export without provenance files has none', async () => {
  expect(await readProvenance(folder({}), 100)).toBeUndefined();
  expect(await readProvenance(folder({ 'provenance.json': '{"synthetic": false}' }), 100)).toBeUndefined();
});

test('provenance.json: synthetic data and a note', async () => {
  const p = await readProvenance(folder({ 'provenance.json': JSON.stringify({ synthetic: true, generator: 'g', seed: 3, customers: 50, note: ' Exported on a Sunday. ' }) }), 10);
  expect(p).toEqual({ synthetic: { generator: 'g', seed: 3, customers: 50 }, note: 'Exported on a Sunday.' });
  await expect(readProvenance(folder({ 'provenance.json': '{oops' }), 10)).rejects.toThrow(/^provenance\.json: not JSON/);
});

test('provenance/real_reviews.txt: the share of review rows that are not real', async () => {
  const p = await readProvenance(folder({ 'provenance/real_reviews.txt': '# review_id,order_id of the real reviews\nr1,o1\nr2,o2\n\nr3,o3\n' }), 12);
  expect(p).toEqual({ reviews: { realRows: 3, rows: 12, imputedShare: 0.75, listedIn: 'provenance/real_reviews.txt' } });
  expect(reviewRows([{ table: 'orders', rows: 5 }, { table: 'reviews', rows: 12 }])).toBe(12);
});
