/** Vega-Lite charts of the model trials page, from summary.json and a PCA sample. */
import { RunSummary } from '../model/summary';
import { FEATURE_NAMES } from '../domain/types';
import { ChartDef, ChartRow, COLORS, FULL_WIDTH, HALF_WIDTH, num, segmentColorScale, VlSpec } from './chartKit';
import { FEATURE_INFO } from './featureText';
import { axisFormat, fmt } from '../util/format';
import { MapSample } from './inputs';

const H = 200;

/** A metric by k: line and points, the chosen k marked and labelled. */
function byK(id: string, title: string, subtitle: string, description: string, yTitle: string, field: string, rows: ChartRow[], chosenK: number, format = ',.3f', zero = false): ChartDef {
  return {
    id,
    title,
    subtitle,
    description,
    size: 'half',
    data: rows.map((r) => ({ ...r, chosen: r.k === chosenK })),
    spec: {
      width: HALF_WIDTH,
      height: H,
      encoding: {
        x: { field: 'k', type: 'quantitative', title: 'Number of segments (k)', axis: { tickMinStep: 1, format: 'd' }, scale: { nice: false, padding: 12 } },
        y: { field, type: 'quantitative', title: yTitle, scale: { zero }, axis: { format } },
      },
      layer: [
        { mark: { type: 'line', color: COLORS.primary } },
        { mark: { type: 'point', filled: true, size: 45, color: COLORS.primary } },
        { transform: [{ filter: 'datum.chosen' }], mark: { type: 'point', filled: true, size: 160, color: COLORS.accent, stroke: '#fff', strokeWidth: 1.5 } },
        { transform: [{ filter: 'datum.chosen' }], mark: { type: 'text', dy: -14, fontWeight: 700, color: COLORS.accent }, encoding: { text: { value: `chosen k = ${chosenK}` } } },
      ],
    },
  };
}

/** Coverage at every k: the shares of unhappy and repeat customers in their segments, and recency's, spend's and review's η². */
function coverageByK(s: RunSummary): ChartDef {
  const measures: [string, (p: RunSummary['sweep'][number]) => number][] = [
    ['unhappy in an unsatisfied segment', (p) => p.coverage.unhappyInUnsatisfied],
    ['repeat buyers in a repeat segment', (p) => p.coverage.repeatInRepeat],
    ['η² recency', (p) => p.coverage.eta2.recency],
    ['η² spend', (p) => p.coverage.eta2.spend],
    ['η² review', (p) => p.coverage.eta2.review],
  ];
  const data = s.sweep.flatMap((p) => measures.map(([measure, get]) => ({ k: p.k, measure, value: num(get(p), 4), chosen: p.k === s.k })));
  return {
    id: 'coverage-by-k',
    title: 'Who ends up where, by k',
    subtitle: 'Shares of unhappy customers and repeat buyers in their segments; correlation ratios of recency, spend and review',
    description: `Line chart, for each number of segments, of the share of customers with a mean review of 2 or less who are in an unsatisfied segment, the share of repeat buyers in a repeat segment, and the correlation ratios of recency, spend and review score on the segment; k = ${s.k} was chosen.`,
    size: 'full',
    data,
    spec: {
      width: FULL_WIDTH - 200,
      height: H,
      encoding: {
        x: { field: 'k', type: 'quantitative', title: 'Number of segments (k)', axis: { tickMinStep: 1, format: 'd' }, scale: { nice: false, padding: 12 } },
        y: { field: 'value', type: 'quantitative', title: 'Share or η² (0-1)', scale: { domain: [0, 1] }, axis: { format: '.1f' } },
        color: { field: 'measure', type: 'nominal', title: null, sort: measures.map(([m]) => m), legend: { orient: 'right', labelLimit: 220 } },
      },
      layer: [
        { mark: { type: 'line' } },
        { mark: { type: 'point', filled: true, size: 40 } },
        { transform: [{ filter: 'datum.chosen' }], mark: { type: 'rule', color: COLORS.accent, strokeDash: [4, 3] }, encoding: { y: null, color: null } },
      ],
    },
  };
}

export function trialsCharts(s: RunSummary, map?: MapSample): ChartDef[] {
  const rows = s.sweep.map((p) => ({
    k: p.k,
    inertia: num(p.inertia, 3),
    silhouette: num(p.silhouette, 5),
    daviesBouldin: num(p.daviesBouldin, 5),
    calinskiHarabasz: num(p.calinskiHarabasz, 3),
    initStability: num(p.initStability, 5),
  }));
  const k = s.k;
  const charts: ChartDef[] = [
    byK('elbow', 'Elbow: inertia by k', 'Within-segment sum of squares; look for the bend', 'Line chart of the k-means inertia (within-segment sum of squared distances, in standardised feature units) for each number of segments; it always falls as k grows, the bend marks diminishing returns.', 'Inertia (sum of squares)', 'inertia', rows, k, ',.0f', true),
    byK('silhouette-by-k', 'Silhouette by k', 'Higher is better (-1 to 1)', 'Line chart of the mean silhouette for each number of segments: how much closer customers are to their own segment than to the next one.', 'Silhouette', 'silhouette', rows, k),
    byK('davies-bouldin-by-k', 'Davies-Bouldin by k', 'Lower is better', 'Line chart of the Davies-Bouldin index for each number of segments: the average similarity of each segment with its most similar one.', 'Davies-Bouldin index', 'daviesBouldin', rows, k),
    byK('calinski-harabasz-by-k', 'Calinski-Harabasz by k', 'Higher is better', 'Line chart of the Calinski-Harabasz index for each number of segments: between-segment over within-segment dispersion.', 'Calinski-Harabasz index', 'calinskiHarabasz', rows, k, ',.0f'),
  ];
  if (rows.some((r) => r.initStability !== null)) {
    charts.push({
      ...byK(
        'init-stability-by-k',
        'Stability across initialisations',
        'Median agreement (ARI) between runs started from different random seeds; 1 = identical',
        'Line chart of the median adjusted Rand index between the partitions of differently seeded k-means runs, for each number of segments.',
        'Median ARI between seeds',
        'initStability',
        rows.filter((r) => r.initStability !== null),
        k,
        '.2f',
      ),
    });
  }
  if (s.sweep.some((p) => p.coverage)) charts.push(coverageByK(s));
  if (s.kChoice?.scores.length) {
    const data = s.kChoice.scores.map((c) => ({ k: c.k, score: num(c.marketingScore, 4), usable: c.usable ? 'usable' : 'not usable', reasons: c.reasons.join('; ') || 'meets every condition', chosen: c.k === k, label: fmt.num(c.marketingScore, 2) }));
    charts.push({
      id: 'k-choice-score',
      title: 'The rule that chose k',
      subtitle: 'Marketing coverage per candidate k: mean of unhappy and repeat coverage and of the correlation ratios of recency, spend and review',
      description: `Bar chart of the marketing coverage score of each candidate k; bars of candidates that fail a usability condition are grey. k = ${k} was chosen.`,
      size: 'half',
      data,
      spec: {
        width: HALF_WIDTH,
        height: H,
        encoding: {
          x: { field: 'k', type: 'ordinal', title: 'Number of segments (k)', axis: { labelAngle: 0 } },
          y: { field: 'score', type: 'quantitative', title: 'Combined score (0-1)', scale: { domain: [0, 1] } },
        },
        layer: [
          {
            mark: { type: 'bar' },
            encoding: {
              color: { field: 'usable', type: 'nominal', title: null, scale: { domain: ['usable', 'not usable'], range: [COLORS.primary, COLORS.neutral] }, legend: { orient: 'top', direction: 'horizontal' } },
              stroke: { condition: { test: 'datum.chosen', value: COLORS.accent }, value: null },
              strokeWidth: { condition: { test: 'datum.chosen', value: 3 }, value: 0 },
            },
          },
          { mark: { type: 'text', dy: -7 }, encoding: { text: { field: 'label' } } },
        ],
      },
    });
  }

  const alts = s.alternatives ?? [];
  const altMetrics = (['silhouette', 'daviesBouldin', 'calinskiHarabasz', 'ariVsKmeans'] as const).filter((m) => alts.some((a) => typeof a[m] === 'number' && Number.isFinite(a[m])));
  if (alts.length && altMetrics.length) {
    const labelOf: Record<string, string> = { silhouette: 'Silhouette (higher is better)', daviesBouldin: 'Davies-Bouldin (lower is better)', calinskiHarabasz: 'Calinski-Harabasz (higher is better)', ariVsKmeans: 'Agreement with k-means (ARI)' };
    const hasKmeans = alts.some((a) => isKmeans(a.algorithm));
    const entries: (Partial<Record<(typeof altMetrics)[number], number>> & { algorithm: string; customers?: number })[] = [
      ...(hasKmeans ? [] : [{ algorithm: `k-means (k = ${k}, chosen)`, customers: s.customers, silhouette: s.metrics.silhouette, daviesBouldin: s.metrics.daviesBouldin, calinskiHarabasz: s.metrics.calinskiHarabasz, ariVsKmeans: 1 }]),
      ...alts,
    ];
    // Calinski-Harabasz grows with the number of customers scored: values on a sample (Ward's) and on everyone
    // (k-means) cannot be set side by side, so a sampled algorithm's is left out and the subtitle says why.
    const sampled = entries.filter((a) => typeof a.customers === 'number' && a.customers !== s.customers);
    const comparable = (a: (typeof entries)[number], m: (typeof altMetrics)[number]) => m !== 'calinskiHarabasz' || !sampled.includes(a);
    const data = entries.flatMap((a) =>
      altMetrics
        .filter((m) => typeof a[m] === 'number' && Number.isFinite(a[m]) && comparable(a, m))
        .map((m) => ({ algorithm: a.algorithm, metric: labelOf[m], value: num(a[m], 4), label: m === 'calinskiHarabasz' ? fmt.int(a[m]!) : fmt.num(a[m]!, 3), chosen: isKmeans(a.algorithm) })),
    );
    const others = alts.filter((a) => !isKmeans(a.algorithm)).map((a) => a.algorithm);
    charts.push({
      id: 'alternatives',
      title: 'k-means against other algorithms',
      subtitle: `Same standardised features, same k = ${k}${sampled.length ? `; ${sampled.map((a) => `${a.algorithm} ran on a sample of ${fmt.int(a.customers!)} customers, so its Calinski-Harabasz (which grows with the number of customers) is left out`).join('; ')}` : ''}`,
      description: `Bar charts comparing the chosen k-means segmentation with ${others.join(' and ')} on ${altMetrics.length} measures.`,
      size: 'full',
      data,
      spec: {
        hconcat: altMetrics.map((m, i) => {
          const values = entries.filter((a) => comparable(a, m)).map((a) => a[m]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
          return {
            title: { text: labelOf[m], fontSize: 12, fontWeight: 600, anchor: 'start', subtitle: '' },
            transform: [{ filter: `datum.metric === ${JSON.stringify(labelOf[m])}` }],
            width: Math.floor((FULL_WIDTH - 220) / altMetrics.length) - 24,
            height: { step: 26 },
            encoding: {
              y: { field: 'algorithm', type: 'nominal', title: null, sort: null, axis: i === 0 ? { labelLimit: 200 } : null },
              x: { field: 'value', type: 'quantitative', title: null, axis: { format: m === 'calinskiHarabasz' ? ',.0f' : '.1f', tickCount: 3 }, scale: { domain: [Math.min(0, ...values), Math.max(...values, 0) * 1.45 || 1], nice: false } },
            },
            layer: [
              { mark: { type: 'bar' }, encoding: { color: { condition: { test: 'datum.chosen', value: COLORS.accent }, value: COLORS.primary } } },
              { mark: { type: 'text', align: 'left', dx: 3 }, encoding: { text: { field: 'label' } } },
            ],
          };
        }),
        spacing: 16,
        resolve: { scale: { x: 'independent' } },
      },
    });
  }

  if (map && map.x.length) {
    const names = new Map(s.segments.map((g) => [g.id, g.name]));
    const ev = s.pca?.explainedVariance ?? [];
    const axisTitle = (i: number) => `Principal component ${i + 1}${typeof ev[i] === 'number' ? ` (${fmt.pct(ev[i], 0)} of the variance)` : ''}`;
    const [x0, x1] = frame(map.x);
    const [y0, y1] = frame(map.y);
    const outside = map.x.filter((x, i) => x < x0 || x > x1 || map.y[i] < y0 || map.y[i] > y1).length;
    charts.push({
      id: 'pca-map',
      title: 'Map of the customers',
      subtitle: `The ${FEATURE_NAMES.length} standardised features projected on two dimensions; ${fmt.int(map.x.length)} of ${fmt.int(map.total)} customers${map.x.length < map.total ? ' (sampled)' : ''}${outside ? `, ${fmt.int(outside)} far-out ones beyond the frame` : ''}`,
      description: `Scatter plot of a sample of customers on the first two principal components, coloured by segment. Overlap on this flat view does not mean overlap in the ${FEATURE_NAMES.length} dimensions the model uses.`,
      size: 'full',
      data: map.x.map((x, i) => ({ pc1: x, pc2: map.y[i], segment: names.get(map.segment[i]) ?? `segment ${map.segment[i]}` })),
      spec: {
        width: FULL_WIDTH - 300,
        height: 420,
        mark: { type: 'circle', size: 12, opacity: 0.55, clip: true },
        encoding: {
          x: { field: 'pc1', type: 'quantitative', title: axisTitle(0), scale: { zero: false, nice: false, domain: [x0, x1] }, axis: { tickCount: 8 } },
          y: { field: 'pc2', type: 'quantitative', title: axisTitle(1), scale: { zero: false, nice: false, domain: [y0, y1] }, axis: { tickCount: 8 } },
          color: { field: 'segment', type: 'nominal', title: 'Segment', scale: segmentColorScale(s.segments), legend: { orient: 'right', symbolOpacity: 1, symbolSize: 120, labelLimit: 260 } },
        },
      },
    });
  }

  charts.push(profileHeatmap(s), segmentSizes(s));
  return charts;
}

/** Segments x features: colour = distance from the population mean in standard deviations, label = the segment's value. */
export function profileHeatmap(s: RunSummary): ChartDef {
  const data = s.segments.flatMap((g) =>
    FEATURE_NAMES.map((f, j) => {
      const info = FEATURE_INFO[f];
      const value = info.stat === 'median' ? g.median[f] : g.profile[f];
      const z = g.zScore[f];
      return { segment: `${g.id}. ${g.name}`, segmentId: g.id, feature: info.label, featureOrder: j, z: num(z, 3), zClipped: num(Math.max(-2, Math.min(2, z)), 3), value: num(value, 4), label: compact(f, value) };
    }),
  );
  return {
    id: 'profile-heatmap',
    title: 'Feature profile of each segment',
    subtitle: 'Colour: how far the segment sits from all customers (standard deviations); text: the segment’s mean (spend: median)',
    description: 'Heatmap with one row per segment and one column per feature. Orange cells are above the average customer, blue cells below; the number in each cell is the segment value in the feature’s unit.',
    size: 'full',
    data,
    spec: {
      width: { step: 74 },
      height: { step: 34 },
      encoding: {
        x: { field: 'feature', type: 'nominal', title: null, sort: { field: 'featureOrder', op: 'min' }, axis: { orient: 'top', labelAngle: -30, labelAlign: 'left', labelLimit: 260, domain: false, ticks: false } },
        y: { field: 'segment', type: 'nominal', title: null, sort: { field: 'segmentId', op: 'min' }, axis: { labelLimit: 300, domain: false, ticks: false } },
      },
      layer: [
        {
          mark: { type: 'rect', stroke: '#fff', strokeWidth: 2 },
          encoding: { color: { field: 'zClipped', type: 'quantitative', title: ['vs all customers', '(std. deviations)'], scale: { scheme: 'blueorange', domain: [-2, 2] }, legend: { orient: 'right', gradientLength: 140, format: '+.1~f' } } },
        },
        { mark: { type: 'text', fontSize: 11 }, encoding: { text: { field: 'label' }, color: { condition: { test: 'abs(datum.zClipped) > 1.3', value: '#ffffff' }, value: COLORS.ink } } },
      ],
    },
  };
}

function segmentSizes(s: RunSummary): ChartDef {
  return {
    id: 'segment-sizes',
    title: 'Segment sizes',
    subtitle: `${fmt.int(s.customers)} customers in ${s.k} segments`,
    description: `Horizontal bar chart of the number of customers in each segment: ${s.segments.map((g) => `${g.name} ${fmt.pct(g.share)}`).join(', ')}.`,
    size: 'full',
    data: s.segments.map((g) => ({ segment: `${g.id}. ${g.name}`, name: g.name, id: g.id, customers: g.size, share: num(g.share, 5), label: `${fmt.int(g.size)} (${fmt.pct(g.share)})` })),
    spec: {
      width: FULL_WIDTH - 360,
      height: { step: 24 },
      encoding: {
        y: { field: 'segment', type: 'nominal', title: null, sort: { field: 'id', op: 'min' }, axis: { labelLimit: 320 } },
        x: { field: 'customers', type: 'quantitative', title: 'Customers', axis: { format: axisFormat.int } },
      },
      layer: [
        { mark: { type: 'bar' }, encoding: { color: { field: 'name', type: 'nominal', scale: segmentColorScale(s.segments), legend: null } } },
        { mark: { type: 'text', align: 'left', dx: 4 }, encoding: { text: { field: 'label' } } },
      ],
    },
  };
}

function compact(f: (typeof FEATURE_NAMES)[number], v: number): string {
  switch (f) {
    case 'monetary':
      return fmt.brl0(v);
    case 'lateShare':
      return fmt.pct(v, 0);
    case 'recencyDays':
      return `${fmt.num(v, 0)} d`;
    case 'deliveryDelayDays':
      return `${v > 0 ? '+' : ''}${fmt.num(v, 1)} d`;
    case 'frequency':
      return fmt.num(v, 2);
    default:
      return fmt.num(v, 1);
  }
}

export type { VlSpec };

export function isKmeans(algorithm: string): boolean {
  return /^k-?means/i.test(algorithm);
}

/** A frame for a scatter axis: the 0.5th to 99.5th percentiles with a margin, so a few extreme customers do not squash the rest. */
function frame(values: number[]): [number, number] {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (!v.length) return [0, 1];
  const q = (p: number) => v[Math.min(v.length - 1, Math.max(0, Math.round(p * (v.length - 1))))];
  let lo = q(0.005);
  let hi = q(0.995);
  if (hi <= lo) [lo, hi] = [v[0], v[v.length - 1]];
  const pad = (hi - lo) * 0.06 || 1;
  return [Math.floor((lo - pad) * 10) / 10, Math.ceil((hi + pad) * 10) / 10];
}
