/** Vega-Lite charts of the maintenance page, from the update-frequency simulation (stability.json). */
import { ChartDef, COLORS, FULL_WIDTH, MAX_LINE_POINTS, num, thinned } from './chartKit';
import { FEATURE_INFO, FeatureName } from './featureText';
import { fmt } from '../util/format';
import { driftMetricName, driftRows, StabilityInput } from './inputs';
import { DRIFT_LEVELS } from '../stability/drift';

export function maintenanceCharts(st: StabilityInput): ChartDef[] {
  const charts: ChartDef[] = [];
  const every = st.recommendation?.everyDays;
  const pts = thinned([...st.points].sort((a, b) => a.days - b.days), MAX_LINE_POINTS);
  const known = pts.some((p) => typeof p.ariKnownMedian === 'number');
  charts.push({
    id: 'ari-over-time',
    title: 'How long a model stays valid',
    subtitle: `Agreement (ARI) between a model fitted on day 0 and a fresh fit on later data; solid line: median, band: middle half of the runs${known ? ', dotted: customers already known on day 0' : ''}`,
    description: `Line chart of the median adjusted Rand index against the number of days since the model was fitted, with the interquartile band, the validity threshold of ${fmt.num(st.threshold, 2)} (dashed red line)${typeof every === 'number' ? ` and the recommended retraining every ${every} days (dashed vertical line)` : ''}.`,
    size: 'full',
    data: pts.map((p) => ({ days: p.days, ariMedian: num(p.ariMedian, 4), ariQ1: num(p.ariQ1, 4), ariQ3: num(p.ariQ3, 4), ariKnownMedian: typeof p.ariKnownMedian === 'number' ? num(p.ariKnownMedian, 4) : null, label: fmt.num(p.ariMedian, 2) })),
    spec: {
      width: FULL_WIDTH,
      height: 280,
      layer: [
        { mark: { type: 'area', color: COLORS.primaryLight, opacity: 0.55 }, encoding: { x: { field: 'days', type: 'quantitative', title: 'Days since the model was fitted', scale: { nice: false, domain: [0, Math.max(1, ...pts.map((p) => p.days))] } }, y: { field: 'ariQ1', type: 'quantitative', title: 'Agreement with a fresh model (ARI)', scale: { domain: [Math.min(0, ...pts.map((p) => p.ariQ1).filter(Number.isFinite)), 1] } }, y2: { field: 'ariQ3' } } },
        ...(known
          ? [{ mark: { type: 'line', color: COLORS.muted, strokeWidth: 1.5, strokeDash: [2, 2] }, encoding: { x: { field: 'days', type: 'quantitative' }, y: { field: 'ariKnownMedian', type: 'quantitative' } } }]
          : []),
        { mark: { type: 'line', color: COLORS.primary, strokeWidth: 2.5 }, encoding: { x: { field: 'days', type: 'quantitative' }, y: { field: 'ariMedian', type: 'quantitative' } } },
        { mark: { type: 'point', filled: true, color: COLORS.primary, size: 40 }, encoding: { x: { field: 'days', type: 'quantitative' }, y: { field: 'ariMedian', type: 'quantitative' } } },
        {
          data: { values: [{ threshold: st.threshold, label: `threshold ${fmt.num(st.threshold, 2)}` }] },
          layer: [
            { mark: { type: 'rule', color: COLORS.bad, strokeDash: [6, 4], strokeWidth: 2 }, encoding: { y: { field: 'threshold', type: 'quantitative' } } },
            { mark: { type: 'text', align: 'right', dy: 12, color: COLORS.bad, fontWeight: 600 }, encoding: { y: { field: 'threshold', type: 'quantitative' }, x: { value: FULL_WIDTH - 4 }, text: { field: 'label' } } },
          ],
        },
        ...(typeof every === 'number'
          ? [
              {
                data: { values: [{ every, label: `retrain every ${every} days` }] },
                layer: [
                  { mark: { type: 'rule', color: COLORS.accent, strokeDash: [4, 3], strokeWidth: 2 }, encoding: { x: { field: 'every', type: 'quantitative' } } },
                  { mark: { type: 'text', align: 'left', dx: 5, baseline: 'bottom', color: COLORS.accent, fontWeight: 700 }, encoding: { x: { field: 'every', type: 'quantitative' }, y: { value: 276 }, text: { field: 'label' } } },
                ],
              },
            ]
          : []),
      ],
    },
  });

  if (pts.some((p) => typeof p.customers === 'number')) {
    charts.push({
      id: 'customers-over-time',
      title: 'Customers the model has to serve',
      subtitle: 'Customers in the data at each date, and how many of them the day-0 model never saw',
      description: 'Line chart of the number of customers and of new customers (absent when the model was fitted) against days since the model was fitted.',
      size: 'full',
      data: pts.flatMap((p) => [
        { days: p.days, series: 'All customers', customers: num(p.customers) },
        { days: p.days, series: 'New since the model was fitted', customers: num(p.newCustomers) },
      ]),
      spec: {
        width: FULL_WIDTH,
        height: 200,
        mark: { type: 'line', point: { filled: true, size: 30 } },
        encoding: {
          x: { field: 'days', type: 'quantitative', title: 'Days since the model was fitted', scale: { nice: false, domain: [0, Math.max(1, ...pts.map((p) => p.days))] } },
          y: { field: 'customers', type: 'quantitative', title: 'Customers', axis: { format: ',.0f' } },
          color: { field: 'series', type: 'nominal', title: null, scale: { range: [COLORS.primary, COLORS.accent] }, legend: { orient: 'top-left', direction: 'horizontal' } },
        },
      },
    });
  }

  // Per feature, at most MAX_LINE_POINTS days (the features are the model's: a bounded list).
  const driftDays = new Set(thinned([...new Set(driftRows(st).map((d) => d.days))].sort((a, b) => a - b), MAX_LINE_POINTS));
  const drift = driftRows(st).filter((d) => driftDays.has(d.days));
  if (drift.length) {
    const metric = driftMetricName(st);
    const psi = metric === 'PSI';
    const label = (f: string) => (f in FEATURE_INFO ? FEATURE_INFO[f as FeatureName].label : f);
    // One panel per feature with its own y scale: recency drifts by construction (time passes) and would flatten
    // every other panel on a shared scale. The PSI trigger line keeps each panel's scale honest about it.
    const trigger = DRIFT_LEVELS.major;
    charts.push({
      id: 'feature-drift',
      title: psi ? 'Drift of each feature (PSI)' : `Drift of each feature (${metric})`,
      subtitle: psi
        ? `Population stability index of each feature against the data the model was fitted on (0 = same distribution); each panel has its own scale; red line: ${trigger}, a major shift, which triggers a retraining for every feature but recency (recency grows with time by construction)`
        : `${metric} between the data the model was fitted on and later data; each panel has its own scale`,
      description: `Small line charts, one per feature, each on its own scale, of the ${metric} against the number of days since the model was fitted${psi ? `, with the major-shift level ${trigger} as a red line` : ''}.`,
      size: 'full',
      data: drift.map((d) => ({ feature: label(d.feature), days: d.days, value: num(d.value, 5) })),
      spec: {
        facet: { field: 'feature', type: 'nominal', title: null, header: { labelFontWeight: 600, labelFontSize: 12 } },
        columns: 3,
        resolve: { scale: { y: 'independent' } },
        spec: {
          width: Math.floor(FULL_WIDTH / 3) - 60,
          height: 110,
          layer: [
            ...(psi ? [{ mark: { type: 'rule', color: COLORS.bad, strokeDash: [4, 3], strokeWidth: 1.5 }, encoding: { y: { datum: trigger, type: 'quantitative' } } }] : []),
            {
              mark: { type: 'line', color: COLORS.primary, point: { filled: true, size: 20, color: COLORS.primary } },
              encoding: {
                x: { field: 'days', type: 'quantitative', title: 'Days since fitted', axis: { tickCount: 4 } },
                y: { field: 'value', type: 'quantitative', title: metric, axis: { format: '~r', tickCount: 4 }, scale: psi ? { domainMin: 0 } : {} },
              },
            },
          ],
        },
      },
    });
  }
  return charts;
}
