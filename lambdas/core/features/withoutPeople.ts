/**
 * A feature table without some people (those on the suppression list after a deletion request: lambdas/store/
 * personal-data.ts): their rows are dropped from the clustered customers and from the rule segments' people, so that no
 * later training, file or table item holds them.
 */
import { createMatrix } from '../util/matrix';
import type { FeatureTable } from './customerFeatures';

export function withoutPeople(table: FeatureTable, drop: (customerId: string) => boolean): { table: FeatureTable; dropped: number } {
  const keep = (ids: string[]) => {
    const rows: number[] = [];
    for (let i = 0; i < ids.length; i++) if (!drop(ids[i])) rows.push(i);
    return rows;
  };
  const rows = keep(table.customerIds);
  const u = table.uncounted;
  const urows = keep(u.customerIds);
  const dropped = table.customerIds.length - rows.length + (u.customerIds.length - urows.length);
  if (dropped === 0) return { table, dropped };
  const d = table.values.cols;
  const pick = (m: { data: Float64Array }, at: number[]) => {
    const out = new Float64Array(at.length * d);
    at.forEach((r, i) => out.set(m.data.subarray(r * d, (r + 1) * d), i * d));
    return createMatrix(at.length, d, out);
  };
  const droppedCustomers = table.customerIds.length - rows.length;
  // The rule segments' people with an order up to T are the notCounted ones (the others ordered only later): the
  // counts drop as many as can be told apart, an estimate only for the summary's wording.
  const notCounted = Math.max(0, table.notCounted - (u.customerIds.length - urows.length));
  return {
    dropped,
    table: {
      ...table,
      customerIds: rows.map((r) => table.customerIds[r]),
      customerIndex: Int32Array.from(rows, (r) => table.customerIndex[r]),
      values: pick(table.values, rows),
      firstPurchase: Float64Array.from(rows, (r) => table.firstPurchase[r]),
      customersWithOrders: table.customersWithOrders - droppedCustomers - (table.notCounted - notCounted),
      notCounted,
      uncounted: {
        customerIds: urows.map((r) => u.customerIds[r]),
        customerIndex: Int32Array.from(urows, (r) => u.customerIndex[r]),
        group: Uint8Array.from(urows, (r) => u.group[r]),
        values: pick(u.values, urows),
        ...(u.promiseDays ? { promiseDays: Float64Array.from(urows, (r) => u.promiseDays![r]) } : {}),
      },
    },
  };
}
