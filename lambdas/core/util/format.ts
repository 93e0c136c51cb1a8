/**
 * Numbers for people, one convention across every page and chart (en-US grouping, as the CLI prints):
 * money "R$ 1,234.56", counts "12,345", shares "12.3%", durations "4.5 days", dates "29 Aug 2018" (UTC).
 * Chart axes use the same conventions through the d3-format strings exported here.
 */

const grouped = (digits: number) => new Intl.NumberFormat('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const INT = grouped(0);
const MONEY = grouped(2);

const dash = '–';
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function finite(x: number | undefined | null): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

export const fmt = {
  /** 12,345 */
  int: (n: number | undefined | null): string => (finite(n) ? INT.format(Math.round(n)) : dash),
  /** 1.23 (fixed digits, grouped) */
  num: (x: number | undefined | null, digits = 2): string => (finite(x) ? grouped(digits).format(x) : dash),
  /** R$ 1,234.56 */
  brl: (x: number | undefined | null): string => (finite(x) ? `R$ ${MONEY.format(x)}` : dash),
  /** R$ 1,235 (whole reais, for large amounts and chart labels) */
  brl0: (x: number | undefined | null): string => (finite(x) ? `R$ ${INT.format(Math.round(x))}` : dash),
  /** 12.3% from a share in [0, 1] */
  pct: (share: number | undefined | null, digits = 1): string => (finite(share) ? `${(share * 100).toFixed(digits)}%` : dash),
  /** 4.5 days / 1 day */
  days: (d: number | undefined | null, digits = 1): string => {
    if (!finite(d)) return dash;
    const s = d.toFixed(digits);
    return `${s} ${Math.abs(Number(s)) === 1 ? 'day' : 'days'}`;
  },
  /** 3.2× */
  times: (r: number | undefined | null, digits = 1): string => (finite(r) ? `${r.toFixed(digits)}×` : dash),
  /** 29 Aug 2018 */
  date: (t: number | string | undefined | null): string => {
    const ms = typeof t === 'string' ? Date.parse(t) : t;
    if (!finite(ms)) return dash;
    const d = new Date(ms);
    return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
  },
  /** 12.3 MB */
  bytes: (b: number | undefined | null): string => {
    if (!finite(b)) return dash;
    if (b < 1024) return `${b} B`;
    const units = ['kB', 'MB', 'GB', 'TB'];
    let v = b / 1024;
    let i = 0;
    while (v >= 1024 && i < units.length - 1) {
      v /= 1024;
      i++;
    }
    return `${v.toFixed(1)} ${units[i]}`;
  },
};

/** d3-format / Vega-Lite expression fragments with the same conventions, for chart axes and labels. */
export const axisFormat = {
  int: ',d',
  num2: ',.2f',
  pct: '.0%',
  pct1: '.1%',
  /** labelExpr for money axes: "R$ 1,234" */
  brlLabelExpr: "'R$ ' + format(datum.value, ',.0f')",
};

/** HTML-escapes text for element content and attribute values. */
export function esc(s: unknown): string {
  return String(s ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** JSON safe to embed inside a <script type="application/json"> element. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}
