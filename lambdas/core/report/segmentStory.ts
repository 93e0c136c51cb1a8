/**
 * A segment explained to marketing: the few features where it differs most from the average customer,
 * each as a plain sentence and as a small "this segment vs all customers" bar chart.
 */
import { RunSummary, SegmentSummary } from '../model/summary';
import { FEATURE_NAMES, FeatureName } from '../domain/types';
import { ChartDef, COLORS, num, segmentColor } from './chartKit';
import { FEATURE_INFO } from './featureText';

export interface KeyFeature {
  feature: FeatureName;
  /** The segment's value and all customers' value of the statistic FEATURE_INFO names (mean or median). */
  segment: number;
  all: number;
  stat: 'mean' | 'median';
  zScore: number;
  sentence: string;
  /** Paths into summary.json of the two values (for data-metric attributes). */
  segmentPath: string;
  allPath: string;
}

/** Features ordered by how unusual the segment is on them (|z|), spend always included; at most `max`. */
export function keyFeatures(s: RunSummary, index: number, max = 4): KeyFeature[] {
  const g = s.segments[index];
  // Features without a value in this segment (a rule segment's delivery features; null once read from JSON) are left out.
  const z = (f: FeatureName) => (typeof g.zScore[f] === 'number' && Number.isFinite(g.zScore[f]) ? Math.abs(g.zScore[f]) : -1);
  const ranked = [...FEATURE_NAMES].filter((f) => z(f) >= 0).sort((a, b) => z(b) - z(a));
  let chosen = ranked.filter((f) => z(f) >= 0.2).slice(0, max);
  if (!chosen.includes('monetary')) chosen = [...chosen.slice(0, max - 1), 'monetary'];
  // frequency and items say nearly the same for one-time buyers: keep the most unusual of the two.
  if (chosen.includes('frequency') && chosen.includes('items') && chosen.length > 2) {
    const drop = z('frequency') >= z('items') ? 'items' : 'frequency';
    chosen = chosen.filter((f) => f !== drop);
    const next = ranked.find((f) => !chosen.includes(f) && f !== drop && z(f) >= 0.2);
    if (next && chosen.length < max) chosen.push(next);
  }
  chosen.sort((a, b) => z(b) - z(a));
  return chosen.map((f) => valueOf(s, index, f));
}

export function valueOf(s: RunSummary, index: number, f: FeatureName): KeyFeature {
  const g: SegmentSummary = s.segments[index];
  const info = FEATURE_INFO[f];
  const seg = info.stat === 'median' ? g.median[f] : g.profile[f];
  const all = info.stat === 'median' ? s.population.median[f] : s.population.mean[f];
  return {
    feature: f,
    segment: seg,
    all,
    stat: info.stat,
    zScore: g.zScore[f],
    sentence: info.sentence(seg, all),
    segmentPath: `segments.${index}.${info.stat === 'median' ? 'median' : 'profile'}.${f}`,
    allPath: `population.${info.stat}.${f}`,
  };
}

/** The card's small chart: one pair of bars per key feature (this segment vs all customers), each on its own scale. */
export function segmentChart(s: RunSummary, index: number, features: KeyFeature[]): ChartDef {
  const g = s.segments[index];
  const color = segmentColor(g.id);
  const data = features.flatMap((k, order) => {
    const info = FEATURE_INFO[k.feature];
    return [
      { feature: info.plain, order, who: 'This segment', whoOrder: 0, value: num(k.segment, 4), label: info.format(k.segment) },
      { feature: info.plain, order, who: 'All customers', whoOrder: 1, value: num(k.all, 4), label: info.format(k.all) },
    ];
  });
  return {
    id: `segment-${g.id}-vs-all`,
    title: `${g.name} compared with all customers`,
    description: `Pairs of bars for ${features.map((k) => FEATURE_INFO[k.feature].plain.toLowerCase()).join(', ')}: this segment against all customers. ${features.map((k) => k.sentence).join('. ')}.`,
    size: 'half',
    hideTitle: true,
    data,
    spec: {
      vconcat: features.map((k, order) => ({
        title: { text: FEATURE_INFO[k.feature].plain, fontSize: 13, fontWeight: 600, color: COLORS.ink, anchor: 'start', offset: 5 },
        transform: [{ filter: `datum.order === ${order}` }],
        width: 200,
        height: { step: 19 },
        encoding: {
          y: { field: 'who', type: 'nominal', title: null, sort: { field: 'whoOrder', op: 'min' }, axis: { labelFontSize: 12, labelLimit: 120, domain: false, ticks: false, labelColor: COLORS.ink } },
          x: { field: 'value', type: 'quantitative', title: null, axis: null, scale: { zero: true, nice: false } },
        },
        layer: [
          { mark: { type: 'bar', cornerRadiusEnd: 2 }, encoding: { color: { condition: { test: "datum.who === 'This segment'", value: color }, value: '#cbd5e1' } } },
          { mark: { type: 'text', align: 'left', dx: 4, fontSize: 12, fontWeight: 600 }, encoding: { x: { value: 206 }, text: { field: 'label' } } },
        ],
      })),
      spacing: 10,
    },
  };
}
