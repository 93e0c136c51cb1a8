/**
 * What a load tolerated, in sentences: rows skipped under the row tolerance, orphan rows skipped under
 * the orphan share, state texts that are not state codes. A dataset accepted with these is reported, never silently trimmed: the run record's
 * reasons, the summary and the CLI show them.
 */
import { LoadIssues, TableReport } from './load';
import { CUSTOMERS, ORDERS } from './tables';

export function loadWarnings(tables: readonly TableReport[], issues: LoadIssues): string[] {
  const out: string[] = [];
  for (const t of tables) {
    if (!t.invalidRows) continue;
    const first = t.invalidSamples?.[0];
    out.push(`${t.file}: ${t.invalidRows} invalid row${t.invalidRows === 1 ? '' : 's'} skipped under the row tolerance${first ? `; first: ${first}` : ''}`);
  }
  const orphans: [string, number][] = [
    ['olist_order_items_dataset.csv', issues.orphanItems],
    ['olist_order_payments_dataset.csv', issues.orphanPayments],
    ['olist_order_reviews_dataset.csv', issues.orphanReviews],
  ];
  for (const [file, n] of orphans) {
    if (n) out.push(`${file}: ${n} row${n === 1 ? '' : 's'} whose order_id is not in ${ORDERS.file} skipped`);
  }
  if (issues.unknownStates) {
    const n = issues.unknownStates;
    out.push(`${CUSTOMERS.file}: ${n} row${n === 1 ? '' : 's'} whose customer_state is not one of Brazil's 27 state codes, counted as "other"${issues.firstUnknownStateLine ? ` (the first at line ${issues.firstUnknownStateLine})` : ''}`);
  }
  return out;
}
