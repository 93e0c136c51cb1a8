/**
 * Adjusted Rand index (Hubert & Arabie 1985) between two partitions of the same items, from their
 * contingency table: 1 for identical partitions (up to label names), about 0 for independent ones.
 * Labels may be any non-negative integers, not necessarily contiguous.
 */
export function contingencyTable(a: ArrayLike<number>, b: ArrayLike<number>): { table: Map<number, Map<number, number>>; rows: Map<number, number>; cols: Map<number, number> } {
  if (a.length !== b.length) throw new Error(`partitions of different sizes: ${a.length} and ${b.length}`);
  const table = new Map<number, Map<number, number>>();
  const rows = new Map<number, number>();
  const cols = new Map<number, number>();
  for (let i = 0; i < a.length; i++) {
    let row = table.get(a[i]);
    if (!row) table.set(a[i], (row = new Map()));
    row.set(b[i], (row.get(b[i]) ?? 0) + 1);
    rows.set(a[i], (rows.get(a[i]) ?? 0) + 1);
    cols.set(b[i], (cols.get(b[i]) ?? 0) + 1);
  }
  return { table, rows, cols };
}

const pairs = (n: number) => (n * (n - 1)) / 2;

export function adjustedRandIndex(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (n < 2) return 1;
  const { table, rows, cols } = contingencyTable(a, b);
  let index = 0;
  for (const row of table.values()) for (const c of row.values()) index += pairs(c);
  let sumRows = 0;
  for (const c of rows.values()) sumRows += pairs(c);
  let sumCols = 0;
  for (const c of cols.values()) sumCols += pairs(c);
  const expected = (sumRows * sumCols) / pairs(n);
  const max = (sumRows + sumCols) / 2;
  // Both partitions trivial (all in one cluster, or all singletons): identical by definition.
  if (max === expected) return 1;
  return (index - expected) / (max - expected);
}
