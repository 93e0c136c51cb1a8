/**
 * The HTML building blocks of the report pages: one self-contained document per page (inline CSS, charts
 * as inline SVG, no script to run, no external resource), a shared navigation, and elements that carry
 * machine-readable values next to the human-readable text:
 * - every chart's rows in <script type="application/json" data-chart="ID"> next to its SVG;
 * - every key number as <span data-source="summary|stability|exploration" data-metric="path.in.json"
 *   data-value="raw number">formatted</span>, so tests (and sceptical readers) can check them.
 */
import { RenderedChart } from './render';
import { esc, fmt, scriptJson } from '../util/format';

export interface PageLink {
  file: string;
  label: string;
  /** One line for the index page. */
  blurb: string;
}

export const PAGES: readonly PageLink[] = [
  { file: 'index.html', label: 'Overview', blurb: 'What is in these reports, with the headline numbers.' },
  { file: 'exploration.html', label: 'Data exploration', blurb: 'The export: tables, row counts, dates, missing values, distributions and what they mean for the features.' },
  { file: 'model-trials.html', label: 'Model trials', blurb: 'How many segments: metrics by k, stability, other algorithms, the customer map, the segment profiles and why this k.' },
  { file: 'maintenance.html', label: 'Maintenance', blurb: 'How long a model stays valid, the recommended retraining cadence, and feature drift.' },
  { file: 'segment-cards.html', label: 'Segment cards', blurb: 'One card per segment for marketing: who they are, how they differ, what to do.' },
];

export type Source = 'summary' | 'stability' | 'exploration';

/** A number shown to people, with its raw value and where it comes from. */
export function metric(source: Source, path: string, value: number | undefined | null, display: string, tag = 'span', cls = ''): string {
  const raw = typeof value === 'number' && Number.isFinite(value) ? String(value) : '';
  return `<${tag}${cls ? ` class="${cls}"` : ''} data-source="${source}" data-metric="${esc(path)}" data-value="${esc(raw)}">${esc(display)}</${tag}>`;
}

/** A headline number tile. */
export function kpi(label: string, valueHtml: string, note = ''): string {
  return `<div class="kpi"><div class="kpi-value">${valueHtml}</div><div class="kpi-label">${esc(label)}</div>${note ? `<div class="kpi-note">${note}</div>` : ''}</div>`;
}

export function kpis(tiles: string[]): string {
  return `<div class="kpis">${tiles.join('')}</div>`;
}

export function figure(chart: RenderedChart, opts: { caption?: string } = {}): string {
  const { def, svg } = chart;
  const caption = opts.caption ?? def.description;
  return [
    `<figure class="chart ${def.size === 'full' ? 'full' : 'half'}" data-chart="${esc(def.id)}">`,
    `<div class="chart-frame">${svg}</div>`,
    `<figcaption>${esc(caption)}</figcaption>`,
    `<script type="application/json" data-chart="${esc(def.id)}">${scriptJson(def.data)}</script>`,
    `</figure>`,
  ].join('\n');
}

/** Charts laid out in a responsive grid (half-size ones two per row); strings are extra grid cells (HTML). */
export function charts(list: (RenderedChart | string | undefined)[]): string {
  const items = list.filter((c): c is RenderedChart | string => !!c);
  return items.length ? `<div class="charts">\n${items.map((c) => (typeof c === 'string' ? `<div class="cell">${c}</div>` : figure(c))).join('\n')}\n</div>` : '';
}

export interface Column {
  header: string;
  numeric?: boolean;
}

/** A data table; cells are HTML (callers escape text or pass metric() spans). */
export type Row = string[] | { cells: string[]; cls?: string };

export function table(columns: Column[], rows: Row[], opts: { caption?: string; cls?: string } = {}): string {
  const head = columns.map((c) => `<th scope="col"${c.numeric ? ' class="num"' : ''}>${esc(c.header)}</th>`).join('');
  const body = rows
    .map((row) => {
      const { cells, cls } = Array.isArray(row) ? { cells: row, cls: undefined } : row;
      const tds = cells.map((cell, j) => (j === 0 ? `<th scope="row"${columns[0].numeric ? ' class="num"' : ''}>${cell}</th>` : `<td${columns[j]?.numeric ? ' class="num"' : ''}>${cell}</td>`)).join('');
      return `<tr${cls ? ` class="${cls}"` : ''}>${tds}</tr>`;
    })
    .join('\n');
  return `<div class="table-wrap"><table${opts.cls ? ` class="${opts.cls}"` : ''}>${opts.caption ? `<caption>${esc(opts.caption)}</caption>` : ''}<thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

export function section(id: string, title: string, body: string, intro = ''): string {
  return `<section id="${esc(id)}" aria-labelledby="${esc(id)}-h"><h2 id="${esc(id)}-h">${esc(title)}</h2>${intro ? `<p class="intro">${intro}</p>` : ''}\n${body}\n</section>`;
}

export function callout(kind: 'info' | 'warning' | 'success', titleText: string, body: string): string {
  return `<div class="callout ${kind}" role="${kind === 'warning' ? 'alert' : 'note'}"><p class="callout-title">${esc(titleText)}</p>${body}</div>`;
}

export function list(items: string[], cls = ''): string {
  return `<ul${cls ? ` class="${cls}"` : ''}>${items.map((i) => `<li>${i}</li>`).join('')}</ul>`;
}

export interface PageOptions {
  file: string;
  title: string;
  /** One or two sentences under the title (HTML). */
  lead: string;
  body: string;
  /** Facts for the header line: data, model, generated at. */
  meta: { modelVersion: string; asOf: string; generatedAt: string; customers: number };
  /** In-page table of contents. */
  toc?: { id: string; label: string }[];
  /** What every reader of these pages must know about the data (HTML), shown under the title. */
  notice?: string;
}

export function page(o: PageOptions): string {
  const nav = PAGES.map((p) => `<li><a href="${p.file}"${p.file === o.file ? ' aria-current="page"' : ''}>${esc(p.label)}</a></li>`).join('');
  const toc = o.toc?.length ? `<nav class="toc" aria-label="On this page"><span class="toc-title">On this page</span><ul>${o.toc.map((t) => `<li><a href="#${esc(t.id)}">${esc(t.label)}</a></li>`).join('')}</ul></nav>` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="olist-segments report">
<title>${esc(o.title)} · Olist customer segments</title>
<style>${CSS}</style>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="site">
<div class="wrap">
<p class="brand">Olist customer segments</p>
<nav aria-label="Reports"><ul>${nav}</ul></nav>
</div>
</header>
<main id="main" class="wrap">
<h1>${esc(o.title)}</h1>
<p class="lead">${o.lead}</p>
${o.notice ?? ''}
<p class="meta">Model <code>${esc(o.meta.modelVersion)}</code> · data as of ${esc(fmt.date(o.meta.asOf))} · ${esc(fmt.int(o.meta.customers))} customers segmented · generated ${esc(fmt.date(o.meta.generatedAt))} ${esc(o.meta.generatedAt.slice(11, 16))} UTC</p>
${toc}
${o.body}
</main>
<footer class="site"><div class="wrap">Generated by <code>segments report</code> from the export itself; every number on this page is recomputed on each run. Charts are static images: this page loads nothing from the network.</div></footer>
</body>
</html>
`;
}

const CSS = `
:root{--ink:#1f2937;--muted:#4b5563;--line:#e5e7eb;--bg:#f6f7f9;--card:#fff;--primary:#1d4ed8;--accent:#b45309;--good:#15803d;--bad:#b91c1c;
--font:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Liberation Sans","DejaVu Sans",sans-serif}
*{box-sizing:border-box}
html{font-size:16px}
body{margin:0;font-family:var(--font);color:var(--ink);background:var(--bg);line-height:1.55}
.wrap{max-width:1160px;margin:0 auto;padding:0 24px}
a{color:var(--primary)}
a:focus-visible,button:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:8px 12px;z-index:10}
.skip:focus{left:8px;top:8px}
header.site{background:#0f172a;color:#e2e8f0}
header.site .wrap{display:flex;flex-wrap:wrap;align-items:center;gap:8px 28px;padding-top:12px;padding-bottom:12px}
.brand{margin:0;font-weight:700;letter-spacing:.01em;color:#fff}
header.site ul{list-style:none;display:flex;flex-wrap:wrap;gap:4px;margin:0;padding:0}
header.site a{color:#cbd5e1;text-decoration:none;padding:6px 10px;border-radius:6px;display:inline-block}
header.site a:hover{background:#1e293b;color:#fff}
header.site a[aria-current=page]{background:#2563eb;color:#fff}
main{padding-top:28px;padding-bottom:40px}
h1{font-size:2rem;line-height:1.2;margin:0 0 8px}
h2{font-size:1.4rem;margin:0 0 12px;line-height:1.3}
h3{font-size:1.1rem;margin:18px 0 8px}
.lead{font-size:1.1rem;color:var(--muted);max-width:70ch;margin:0 0 6px}
.meta{font-size:.85rem;color:var(--muted);margin:0 0 20px}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace;font-size:.88em;background:#eef2f7;padding:1px 5px;border-radius:4px}
section{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:22px 24px;margin:0 0 22px}
section > p,section li{max-width:80ch}
.intro{color:var(--muted);margin-top:-4px}
.toc{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:10px 16px;margin:0 0 22px;display:flex;flex-wrap:wrap;gap:6px 14px;align-items:center;font-size:.92rem}
.toc-title{font-weight:600;color:var(--muted)}
.toc ul{list-style:none;display:flex;flex-wrap:wrap;gap:4px 14px;margin:0;padding:0}
.kpis{display:grid;grid-template-columns:repeat(auto-fill,minmax(160px,1fr));gap:12px;margin:6px 0 16px}
.kpi{border:1px solid var(--line);border-radius:10px;padding:12px 14px;background:#fbfcfe}
.kpi-value{font-size:1.45rem;font-weight:700;line-height:1.2;font-variant-numeric:tabular-nums}
.kpi-label{font-size:.85rem;color:var(--muted);margin-top:2px}
.kpi-note{font-size:.78rem;color:var(--muted);margin-top:4px}
.charts{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:18px;margin:10px 0}
figure.chart{margin:0;padding:12px;border:1px solid var(--line);border-radius:10px;background:#fff;min-width:0}
figure.chart.full{grid-column:1 / -1}
.cell{min-width:0}
.cell .table-wrap{margin-top:0}
.cell table{width:100%}
.chart-frame{overflow-x:auto}
.chart-frame svg{display:block;max-width:100%;height:auto}
figcaption{font-size:.84rem;color:var(--muted);margin-top:6px;max-width:95ch}
.table-wrap{overflow-x:auto;margin:8px 0 14px}
table{border-collapse:collapse;font-size:.92rem;min-width:50%}
caption{text-align:left;font-weight:600;padding:4px 0 8px;color:var(--ink)}
th,td{padding:6px 12px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
thead th{background:#f1f5f9;font-weight:600;border-bottom:2px solid #cbd5e1}
tbody th{font-weight:500}
table.compact{font-size:.85rem}
table.compact th,table.compact td{padding:5px 9px}
table.compact thead th{vertical-align:bottom}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
thead th.num{white-space:normal}
table.profile thead th{min-width:92px;max-width:150px}
table.profile tbody th{min-width:170px}
table.profile td{white-space:nowrap}
table.profile th,table.profile td{padding:5px 7px;font-size:.82rem}
table.segments tbody th{min-width:210px}
tr.chosen th,tr.chosen td{background:#fff7ed;font-weight:600}
.callout{border-left:5px solid var(--primary);background:#eff6ff;border-radius:8px;padding:12px 16px;margin:12px 0}
.callout.warning{border-color:var(--accent);background:#fffbeb}
.callout.success{border-color:var(--good);background:#f0fdf4}
.callout-title{font-weight:700;margin:0 0 4px}
.callout p{margin:4px 0}
.findings li{margin:6px 0}
.pill{display:inline-block;padding:1px 8px;border-radius:999px;font-size:.78rem;font-weight:600;background:#e0e7ff;color:#3730a3;margin-right:4px}
.pill.no{background:#f3f4f6;color:#4b5563}
.contract{font-size:1rem;background:#f8fafc;border:1px solid #cbd5e1;border-left:5px solid var(--primary);border-radius:8px;padding:10px 18px;margin:10px 0 16px;max-width:90ch}
.contract p{margin:6px 0}
.contract .contract-h{font-weight:600;margin-top:10px}
.contract ul{margin:4px 0;padding-left:22px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(500px,1fr));gap:20px}
.card{background:#fff;border:1px solid var(--line);border-top:8px solid var(--seg);border-radius:12px;padding:18px 22px;display:flex;flex-direction:column;gap:6px;break-inside:avoid;min-width:0}
.card > *{min-width:0}
.card h2{margin:0;font-size:1.3rem}
.card .size{display:flex;align-items:center;gap:10px;color:var(--muted);font-size:.95rem}
.card .who{margin:4px 0 2px}
.bar{flex:1;height:10px;background:#eef2f7;border-radius:999px;overflow:hidden;max-width:180px}
.bar > span{display:block;height:100%;background:var(--seg)}
.card h3{font-size:.8rem;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);margin:12px 0 2px}
.card ul{margin:2px 0;padding-left:20px}
.card li{margin:3px 0}
.card figure.chart{border:none;padding:0}
.card figcaption{display:none}
.seg-id{margin:0;font-size:.8rem;text-transform:uppercase;letter-spacing:.06em;color:var(--muted)}
.get-list{font-size:.85rem;color:var(--muted);margin:6px 0 0}
.get-list code{overflow-wrap:anywhere}
.action{background:#f0fdf4;border:1px solid #bbf7d0;border-radius:8px;padding:10px 14px;margin-top:4px}
.swatch{display:inline-block;width:12px;height:12px;border-radius:3px;margin-right:6px;vertical-align:-1px}
.page-links{display:grid;grid-template-columns:repeat(auto-fit,minmax(240px,1fr));gap:14px;list-style:none;padding:0;margin:0}
.page-links a{display:block;border:1px solid var(--line);border-radius:10px;padding:14px 16px;text-decoration:none;color:var(--ink);background:#fbfcfe;height:100%}
.page-links a:hover{border-color:#93c5fd;background:#eff6ff}
.page-links strong{display:block;color:var(--primary);font-size:1.05rem;margin-bottom:4px}
footer.site{color:var(--muted);font-size:.82rem;padding:18px 0 30px;border-top:1px solid var(--line)}
@media (max-width:820px){.charts{grid-template-columns:1fr}.cards{grid-template-columns:1fr}h1{font-size:1.6rem}section{padding:16px}}
@media (max-width:520px){.wrap{padding:0 10px}section{padding:12px 10px}figure.chart{padding:6px}.card{padding:14px 12px}}
@media print{body{background:#fff}header.site,.skip,.toc{display:none}section,.card{break-inside:avoid;border-color:#ccc}}
`;
