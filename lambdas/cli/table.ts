/** Plain-text tables for the terminal: right-aligned numbers, left-aligned text, one header rule. */
export function renderTable(headers: string[], rows: (string | number)[][], opts: { maxWidth?: number[] } = {}): string {
  const cells = rows.map((r) => r.map((c) => String(c)));
  const widths = headers.map((h, j) => Math.min(opts.maxWidth?.[j] ?? Infinity, Math.max(h.length, ...cells.map((r) => r[j]?.length ?? 0))));
  const numeric = headers.map((_, j) => rows.length > 0 && rows.every((r) => typeof r[j] === 'number' || /^[-+]?[\d.,]+\s?%?$/.test(String(r[j]))));
  const fit = (s: string, w: number) => (s.length > w ? s.slice(0, w - 1) + '…' : s);
  const line = (r: string[]) => r.map((c, j) => (numeric[j] ? fit(c, widths[j]).padStart(widths[j]) : fit(c, widths[j]).padEnd(widths[j]))).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

/** A value that is not a finite number (no review, nothing delivered; null once read from JSON) prints as a dash. */
const known = (x: number | null | undefined, f: (x: number) => string) => (typeof x === 'number' && Number.isFinite(x) ? f(x) : '–');

export const fmt = {
  int: (n: number) => known(n, (x) => Math.round(x).toLocaleString('en-US')),
  pct: (x: number, digits = 1) => known(x, (v) => `${(v * 100).toFixed(digits)}%`),
  brl: (x: number) => known(x, (v) => `R$ ${v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`),
  num: (x: number, digits = 2) => known(x, (v) => v.toFixed(digits)),
};
