/**
 * The reports: self-contained HTML pages (exploration, model trials, maintenance, segment cards and an
 * index) built from plain inputs. Pure apart from the chart rendering (Vega in-process, no I/O besides
 * reading Vega's own bundle once): callers write the returned files where they like (the CLI to a folder,
 * the pipeline to the artifacts bucket).
 *
 *   const files = await buildReports(reportInput({ data, result, summary, coords, stability }));
 *   for (const [name, html] of Object.entries(files)) write(name, html);
 */
import { OlistData } from '../olist/load';
import { RunSummary } from '../model/summary';
import { segmentColor } from './chartKit';
import { explorationStats, ExplorationStats } from './exploration';
import { esc, fmt } from '../util/format';
import { kpi, kpis, metric, PAGES, section } from './html';
import { MapSample, ReportInput, sampleMap, StabilityInput } from './inputs';
import { cardsPage } from './pageCards';
import { pageContext, PageContext } from './pageContext';
import { explorationPage } from './pageExploration';
import { maintenancePage } from './pageMaintenance';
import { trialsPage } from './pageTrials';
import { RenderOptions } from './render';
import type { DatasetProvenance } from '../olist/provenance';

export type { ReportInput, StabilityInput, MapSample, ExplorationStats };
export { explorationStats, sampleMap };

/** File names of the pages, in navigation order (index.html first). */
export const REPORT_FILES = PAGES.map((p) => p.file);

/** Builds every page; returns file name -> HTML. */
export async function buildReports(input: ReportInput, opts: RenderOptions = {}): Promise<Record<string, string>> {
  const ctx = pageContext(input, opts);
  const files: Record<string, string> = {};
  files['exploration.html'] = await explorationPage(ctx);
  files['model-trials.html'] = await trialsPage(ctx);
  files['maintenance.html'] = await maintenancePage(ctx);
  files['segment-cards.html'] = await cardsPage(ctx);
  files['index.html'] = indexPage(ctx);
  return Object.fromEntries(REPORT_FILES.map((f) => [f, files[f]]));
}

/**
 * The report input from what a run has in memory: the loaded data, its summary, the 2-D PCA coordinates
 * of every customer (interleaved x, y as pca.project2d returns them) with their labels, and optionally
 * the simulation's stability object.
 */
export function reportInput(args: {
  data: OlistData;
  summary: RunSummary;
  coords?: ArrayLike<number>;
  labels?: ArrayLike<number>;
  stability?: StabilityInput;
  stabilitySource?: string;
  mapSize?: number;
  generatedAt?: string;
  provenance?: DatasetProvenance;
}): ReportInput {
  const map = args.coords && args.labels ? sampleMap(args.coords, args.labels, args.mapSize ?? 3000, 1) : undefined;
  return { exploration: explorationStats(args.data), summary: args.summary, map, stability: args.stability, stabilitySource: args.stabilitySource, generatedAt: args.generatedAt, provenance: args.provenance };
}

/**
 * The silhouette for a marketer: from -1 to 1, how much closer a customer is to the customers of their own segment
 * than to those of the next one.
 */
export function silhouetteInWords(s: number): string {
  const reading =
    s >= 0.5 ? 'the segments are well apart' : s >= 0.25 ? 'the segments are distinct, with some overlap at their edges' : s >= 0.1 ? 'the segments overlap at their edges, as customer behaviour does, while their centres differ clearly' : 'the segments overlap a lot: read them as tendencies rather than separate groups';
  return `On a scale from -1 to 1 (0: a customer is as close to the next segment as to their own; 1: segments far apart): ${reading}.`;
}

function indexPage(ctx: PageContext): string {
  const s = ctx.input.summary;
  const e = ctx.input.exploration;
  const st = ctx.input.stability;
  const links = `<ul class="page-links">${PAGES.filter((p) => p.file !== 'index.html')
    .map((p) => `<li><a href="${p.file}"><strong>${esc(p.label)}</strong>${esc(p.blurb)}</a></li>`)
    .join('')}</ul>`;
  const headline = kpis([
    kpi('customers segmented', metric('summary', 'customers', s.customers, fmt.int(s.customers)), `of ${esc(fmt.int(s.counts.customersInExport))} in the export`),
    kpi('segments', metric('summary', 'k', s.k, String(s.k))),
    kpi('how distinct the segments are (silhouette)', metric('summary', 'metrics.silhouette', s.metrics.silhouette, fmt.num(s.metrics.silhouette, 3)), esc(silhouetteInWords(s.metrics.silhouette))),
    kpi('orders in the export', metric('summary', 'counts.orders', s.counts.orders, fmt.int(s.counts.orders)), `${esc(fmt.date(e.dateRange.firstPurchase))} to ${esc(fmt.date(e.dateRange.lastPurchase))}`),
    st
      ? kpi('retrain every', metric('stability', 'recommendation.everyDays', st.recommendation.everyDays, fmt.days(st.recommendation.everyDays, 0)))
      : kpi('retraining cadence', '<span>not simulated</span>', 'see Maintenance'),
  ]);
  const segments = `<div class="table-wrap"><table class="segments"><caption>The segments (details in the segment cards)</caption><thead><tr><th scope="col">Segment</th><th scope="col" class="num">Customers</th><th scope="col" class="num">Share</th><th scope="col">Recommended action</th></tr></thead><tbody>${s.segments
    .map(
      (g, i) =>
        `<tr><th scope="row"><span class="swatch" style="background:${segmentColor(g.id)}" aria-hidden="true"></span>${esc(g.name)}</th><td class="num">${metric('summary', `segments.${i}.size`, g.size, fmt.int(g.size))}</td><td class="num">${metric('summary', `segments.${i}.share`, g.share, fmt.pct(g.share))}</td><td>${esc(g.action)}</td></tr>`,
    )
    .join('')}</tbody></table></div>`;
  return ctx.page({
    file: 'index.html',
    title: 'Customer segmentation reports',
    lead: 'The knowledge of an exploration notebook, a modelling notebook, an update-frequency study and a marketing deck, regenerated from the data on every run.',
    body: [section('pages', 'Reports', links), section('headline', 'Headline numbers', headline + segments)].join('\n'),
  });
}
