/** Plain-text tables for the terminal: right-aligned numbers, left-aligned text, one header rule. */
export function renderTable(headers: string[], rows: (string | number)[][], opts: { maxWidth?: number[] } = {}): string {
  const cells = rows.map((r) => r.map((c) => String(c)));
  const widths = headers.map((h, j) => Math.min(opts.maxWidth?.[j] ?? Infinity, Math.max(h.length, ...cells.map((r) => r[j]?.length ?? 0))));
  const numeric = headers.map((_, j) => rows.length > 0 && rows.every((r) => typeof r[j] === 'number' || /^[-+]?[\d.,]+\s?%?$/.test(String(r[j]))));
  const fit = (s: string, w: number) => (s.length > w ? s.slice(0, w - 1) + '…' : s);
  const line = (r: string[]) => r.map((c, j) => (numeric[j] ? fit(c, widths[j]).padStart(widths[j]) : fit(c, widths[j]).padEnd(widths[j]))).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

export const fmt = {
  int: (n: number) => Math.round(n).toLocaleString('en-US'),
  pct: (x: number, digits = 1) => `${(x * 100).toFixed(digits)}%`,
  brl: (x: number) => `R$ ${x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`,
  num: (x: number, digits = 2) => x.toFixed(digits),
};
