/** Where the real Olist export is (../shared/olist beside the project root), and a skip helper. */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const OLIST_DIR = process.env.OLIST_DIR ?? resolve(__dirname, '../../../shared/olist');
export const hasOlist = existsSync(join(OLIST_DIR, 'olist_orders_dataset.csv'));

/** `describe` when the real export is present; otherwise a skipped block that says why. */
export function describeWithOlist(name: string, fn: () => void): void {
  if (hasOlist) describe(name, fn);
  else {
    // eslint-disable-next-line no-console
    console.warn(`skipped "${name}": the real Olist export is not at ${OLIST_DIR}`);
    describe.skip(name, fn);
  }
}

/** order_id of every real (not imputed) review, from provenance/real_reviews.txt. */
export function realReviewOrders(): Set<string> {
  const text = readFileSync(join(OLIST_DIR, 'provenance', 'real_reviews.txt'), 'utf8');
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    out.add(line.split(',')[1].trim());
  }
  return out;
}
