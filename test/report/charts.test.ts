/**
 * Chart specs and the pure helpers of the reports: every chart reads fields its data has, compiles without
 * a Vega-Lite warning and renders to an accessible SVG offline; numbers are formatted for people; the
 * marketing sentences say what the numbers say.
 */
import { ChartDef, VlSpec } from '../../lambdas/core/report/chartKit';
import { explorationCharts } from '../../lambdas/core/report/chartsExploration';
import { maintenanceCharts } from '../../lambdas/core/report/chartsMaintenance';
import { trialsCharts } from '../../lambdas/core/report/chartsTrials';
import { explorationStats } from '../../lambdas/core/report/exploration';
import { FEATURE_INFO } from '../../lambdas/core/report/featureText';
import { esc, fmt, scriptJson } from '../../lambdas/core/util/format';
import { driftMetricName, driftRows, sampleMap } from '../../lambdas/core/report/inputs';
import { contractText } from '../../lambdas/core/report/pageMaintenance';
import { fullSpec, renderChart, wrapText } from '../../lambdas/core/report/render';
import { keyFeatures, segmentChart } from '../../lambdas/core/report/segmentStory';
import { textWidth } from '../../lambdas/core/report/textWidth';
import { loadOlist } from '../../lambdas/core/olist/load';
import { directorySource } from '../../lambdas/core/olist/source';
import { writeMiniExport } from '../helpers/miniExport';
import { handStability, handSummary } from './fixtures';

const summary = handSummary();
const stability = handStability();
const map = sampleMap(
  Float64Array.from({ length: 2 * 500 }, (_, i) => Math.sin(i * 0.37) * (1 + (i % 7))),
  Int32Array.from({ length: 500 }, (_, i) => i % 4),
  200,
);

let allCharts: ChartDef[];
beforeAll(async () => {
  const data = await loadOlist(directorySource(writeMiniExport()));
  allCharts = [
    ...explorationCharts(explorationStats(data)),
    ...trialsCharts(summary, map),
    ...maintenanceCharts(stability),
    ...summary.segments.map((_, i) => segmentChart(summary, i, keyFeatures(summary, i))),
  ];
});

/** Every `field` an encoding, facet or sort reads, with the rows it reads it from. */
function fieldUses(spec: VlSpec, rows: Record<string, unknown>[], out: { field: string; rows: Record<string, unknown>[]; where: string }[] = [], where = ''): typeof out {
  const own = (spec.data as { values?: Record<string, unknown>[] } | undefined)?.values;
  const data = own ?? rows;
  const enc = spec.encoding as Record<string, Record<string, unknown>> | undefined;
  for (const [channel, def] of Object.entries(enc ?? {})) {
    if (def && typeof def.field === 'string') out.push({ field: def.field, rows: data, where: `${where}encoding.${channel}` });
    const sort = def?.sort as { field?: string } | undefined;
    if (sort && typeof sort === 'object' && typeof sort.field === 'string') out.push({ field: sort.field, rows: data, where: `${where}encoding.${channel}.sort` });
  }
  const facet = spec.facet as Record<string, unknown> | undefined;
  if (facet) {
    if (typeof facet.field === 'string') out.push({ field: facet.field, rows: data, where: `${where}facet` });
    for (const k of ['row', 'column'] as const) {
      const f = facet[k] as { field?: string } | undefined;
      if (f?.field) out.push({ field: f.field, rows: data, where: `${where}facet.${k}` });
    }
  }
  for (const key of ['layer', 'hconcat', 'vconcat'] as const) {
    const subs = spec[key] as VlSpec[] | undefined;
    subs?.forEach((s, i) => fieldUses(s, data, out, `${where}${key}[${i}].`));
  }
  if (spec.spec) fieldUses(spec.spec as VlSpec, data, out, `${where}spec.`);
  return out;
}

test('chart ids are unique within each page group and every chart has a title, a description and data', () => {
  expect(allCharts.length).toBeGreaterThan(20);
  for (const c of allCharts) {
    expect(c.title.length).toBeGreaterThan(3);
    expect(c.description.length).toBeGreaterThan(20);
    expect(c.data.length).toBeGreaterThan(0);
    expect(c.id).toMatch(/^[a-z0-9-]+$/);
  }
  const ids = allCharts.map((c) => c.id);
  expect(new Set(ids).size).toBe(ids.length);
});

test('every field a chart reads exists in its rows, and the rows are finite JSON', () => {
  for (const c of allCharts) {
    const uses = fieldUses(fullSpec(c), c.data);
    expect(uses.length).toBeGreaterThan(0);
    for (const u of uses) {
      const present = u.rows.some((r) => u.field in r);
      if (!present) throw new Error(`${c.id}: ${u.where} reads "${u.field}", absent from its data`);
    }
    for (const r of c.data) for (const v of Object.values(r)) if (typeof v === 'number') expect(Number.isFinite(v)).toBe(true);
    expect(JSON.parse(JSON.stringify(c.data))).toEqual(c.data);
  }
});

test('every chart compiles without a Vega-Lite or Vega warning and renders an accessible SVG', async () => {
  const warnings: string[] = [];
  for (const c of allCharts) {
    const { svg } = await renderChart(c, { onWarning: (id, m) => warnings.push(`${id}: ${m}`) });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain(`data-chart-svg="${c.id}"`);
    expect(svg).toMatch(/role="img" aria-label="[^"]{20,}"/);
    if (!c.hideTitle) expect(svg).toContain(esc(c.title).split(' ')[0]);
    // offline: no external reference (namespace declarations are identifiers, never fetched)
    expect(svg.replace(/xmlns(:\w+)?="[^"]*"/g, '')).not.toMatch(/(href|src)="(https?:)?\/\//);
  }
  expect(warnings).toEqual([]);
}, 120_000);

test('axes say what they measure, with units', () => {
  const titles = (id: string) =>
    JSON.stringify(fullSpec(allCharts.find((c) => c.id === id)!))
      .match(/"title":"[^"]+"/g)!
      .join(' ');
  expect(titles('order-value')).toContain('Order value (R$, log scale)');
  expect(titles('delivery-delay')).toContain('days; negative = early');
  expect(titles('elbow')).toContain('Number of segments (k)');
  expect(titles('ari-over-time')).toContain('Days since the model was fitted');
  expect(titles('pca-map')).toContain('Principal component 1 (31% of the variance)');
});

test('numbers are formatted for people', () => {
  expect(fmt.brl(1234.5)).toBe('R$ 1,234.50');
  expect(fmt.brl0(98765.4)).toBe('R$ 98,765');
  expect(fmt.int(96096)).toBe('96,096');
  expect(fmt.pct(0.0812)).toBe('8.1%');
  expect(fmt.pct(0.82, 0)).toBe('82%');
  expect(fmt.days(1)).toBe('1.0 day');
  expect(fmt.days(12.34)).toBe('12.3 days');
  expect(fmt.times(3.21)).toBe('3.2×');
  expect(fmt.date('2018-08-29T15:00:37Z')).toBe('29 Aug 2018');
  expect(fmt.num(NaN)).toBe('–');
  expect(scriptJson([{ a: '</script><b>&' }])).not.toMatch(/[<>&]/);
  expect(JSON.parse(scriptJson([{ a: '</script>' }]))).toEqual([{ a: '</script>' }]);
});

test('segment cards speak plainly: spend against the typical customer, late deliveries, the most unusual features first', () => {
  const loyal = keyFeatures(summary, 0);
  expect(loyal.map((k) => k.feature)).toContain('monetary');
  expect(loyal.find((k) => k.feature === 'monetary')!.sentence).toBe('Spend 3.2× the typical customer: R$ 336 in total vs R$ 105');
  const late = keyFeatures(summary, 2);
  expect(late[0].feature).toBe('lateShare');
  expect(late[0].sentence).toBe('82% of their deliveries arrived late, vs 8% for the average customer');
  expect(late.map((k) => k.sentence).join(' ')).toContain('Unhappy: rate their purchases 2.2 out of 5');
  const recent = keyFeatures(summary, 3);
  expect(recent.find((k) => k.feature === 'monetary')!.sentence).toBe('Spend 43% less than the typical customer: R$ 60 in total vs R$ 105');
  for (let i = 0; i < summary.segments.length; i++) {
    const keys = keyFeatures(summary, i);
    expect(keys.length).toBeGreaterThanOrEqual(1);
    expect(keys.length).toBeLessThanOrEqual(4);
    const zs = keys.map((k) => Math.abs(k.zScore));
    expect([...zs].sort((a, b) => b - a)).toEqual(zs);
    const chart = segmentChart(summary, i, keys);
    expect(chart.data).toHaveLength(2 * keys.length);
    expect(chart.data.filter((r) => r.who === 'All customers').map((r) => r.value)).toEqual(keys.map((k) => k.all));
  }
  for (const info of Object.values(FEATURE_INFO)) expect(info.sentence(2, 1)).not.toMatch(/NaN|undefined/);
});

test('the PCA sample is stratified by segment, seeded and bounded', () => {
  const coords = Float64Array.from({ length: 2 * 10_000 }, (_, i) => i);
  const labels = Int32Array.from({ length: 10_000 }, (_, i) => (i < 9_000 ? 0 : i < 9_900 ? 1 : 2));
  const a = sampleMap(coords, labels, 1000, 7);
  const b = sampleMap(coords, labels, 1000, 7);
  expect(a).toEqual(b);
  expect(a.x.length).toBe(1000);
  const count = (s: number) => a.segment.filter((x) => x === s).length;
  expect([count(0), count(1), count(2)]).toEqual([900, 90, 10]);
  a.x.forEach((x, i) => expect(a.y[i]).toBe(x + 1)); // pairs stay together
  expect(sampleMap(coords, labels, 1e6, 1).x.length).toBe(10_000);
});

test('drift is read from the shapes a simulation may write', () => {
  const flat = driftRows(stability);
  expect(flat.length).toBe(9 * stability.points.length);
  expect(driftMetricName(stability)).toBe('PSI');
  const alt = { ...stability, drift: { monetary: [0, 0.1, 0.2] }, points: stability.points.slice(0, 3) };
  expect(driftRows(alt)).toEqual([
    { feature: 'monetary', days: 0, value: 0 },
    { feature: 'monetary', days: 14, value: 0.1 },
    { feature: 'monetary', days: 28, value: 0.2 },
  ]);
  const perPoint = { ...stability, drift: undefined, points: stability.points.slice(0, 2).map((p, i) => ({ ...p, drift: { recencyDays: i * 0.3 } })) };
  expect(driftRows(perPoint).map((r) => r.value)).toEqual([0, 0.3]);
  expect(driftRows({ ...stability, drift: undefined })).toEqual([]);
});

test('the maintenance contract comes from the recommendation, the reasons from the rest of the rationale', () => {
  const c = contractText(stability);
  expect(c.contract[0]).toBe('Retrain the segmentation on the latest data every 56 days (8 weeks), and run a stability check every 7 days in between.');
  expect(c.checks).toHaveLength(3);
  expect(c.triggers).toEqual(stability.recommendation.triggers);
  expect(c.why).toEqual(['Evidence: the median ARI stays above 0.80 for 8 weeks and falls to 0.76 after 10 weeks.']);
  expect(contractText({ ...stability, recommendation: { ...stability.recommendation, contract: 'We retrain monthly.' } }).contract).toEqual(['We retrain monthly.']);
});

test('text widths follow font metrics, and long titles wrap to the chart width', () => {
  expect(textWidth('iiii', 10)).toBeLessThan(textWidth('MMMM', 10));
  expect(textWidth('Orders', 12, 700)).toBeGreaterThan(textWidth('Orders', 12, 400));
  expect(textWidth('São Paulo', 12)).toBeCloseTo(textWidth('Sao Paulo', 12), 6);
  const lines = wrapText('a fairly long subtitle that cannot possibly fit in a narrow chart of this size', 200, 12, 400);
  expect(Array.isArray(lines)).toBe(true);
  for (const l of lines as string[]) expect(textWidth(l, 12)).toBeLessThanOrEqual(200);
  expect(wrapText('short', 200, 12, 400)).toBe('short');
});

test('a sweep run on a sample says so on the model-trials page, and only then', async () => {
  const { buildReports } = await import('../../lambdas/core/report');
  const exploration = explorationStats(await loadOlist(directorySource(writeMiniExport())));
  const sampled = await buildReports({ exploration, summary: { ...summary, sweepSample: { customers: 200_000, of: 969_537 } } });
  expect(sampled['model-trials.html']).toContain('a seeded random sample of 200,000 of the 969,537 customers');
  const full = await buildReports({ exploration, summary });
  expect(full['model-trials.html']).not.toContain('seeded random sample of');
});
