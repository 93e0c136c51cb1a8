/** The maintenance page: how long a model stays valid, the retraining cadence and the drift of the features. */
import { maintenanceCharts } from './chartsMaintenance';
import { FEATURE_INFO, FeatureName } from './featureText';
import { esc, fmt } from '../util/format';
import { callout, charts, kpi, kpis, list, metric, section, table } from './html';
import { driftMetricName, driftRows, initStabilityOf, StabilityInput } from './inputs';
import { PageContext } from './pageContext';

export async function maintenancePage(ctx: PageContext): Promise<string> {
  const s = ctx.input.summary;
  const st = ctx.input.stability;
  const sm = (path: string, v: number | undefined, display: string) => metric('summary', path, v, display);
  const initSection = section(
    'init',
    'The floor: stability of one fit',
    kpis([
      kpi('median ARI between seeds (this run)', sm('initStability.median', s.initStability.median, fmt.num(s.initStability.median, 3)), `k = ${s.k}, ${esc(fmt.int(s.initStability.pairs))} pairs of runs`),
      kpi('worst pair', sm('initStability.min', s.initStability.min, fmt.num(s.initStability.min, 3))),
    ]) + `<p>Two fits on the <em>same</em> data agree at this level; an aged model cannot be expected to agree with a fresh one better than that${st ? ', so the threshold is read against it' : ''}.</p>`,
  );

  if (!st) {
    const body = [
      callout(
        'warning',
        'No update-frequency simulation was run for this report',
        `<p>The simulation replays the history of the export: it fits a model at a past date and measures, week after week, how well it still agrees with a model fitted on the newer data. It is slow, so it is not part of every report.</p>
<p>To include it: run <code>segments simulate --data DIR --out DIR</code> (writes <code>stability.json</code>) and then <code>segments report --data DIR --out DIR</code>, which reads <code>DIR/stability.json</code>, or pass <code>--stability FILE</code>; <code>segments report --with-simulation</code> runs it in one go.</p>`,
      ),
      initSection,
    ].join('\n');
    return ctx.page({
      file: 'maintenance.html',
      title: 'Maintenance',
      lead: 'How often the segmentation must be retrained to stay valid. <strong>No simulation results are available for this report.</strong>',
      body,
    });
  }

  const c = await ctx.renderAll(maintenanceCharts(st));
  const m = (path: string, v: number | undefined, display: string) => metric('stability', path, v, display);
  const rec = st.recommendation;
  const points = [...st.points].map((p, i) => ({ p, i })).sort((a, b) => a.p.days - b.p.days);
  const atCadence = points.find((x) => x.p.days === rec.everyDays);
  // Valid means both medians at or above the threshold (all customers, and those known at training): the same rule
  // as the recommendation (core/stability/recommend.ts), so the table, the headline and the contract agree.
  const valid = (p: (typeof points)[number]['p']) => Math.min(p.ariMedian, Number.isFinite(p.ariKnownMedian) ? p.ariKnownMedian : Infinity) >= st.threshold;
  const crossingDays = typeof rec.crossingDays === 'number' ? rec.crossingDays : rec.crossingDays === null ? undefined : points.find((x) => x.p.days > 0 && !valid(x.p))?.p.days;
  const firstBelow = crossingDays === undefined ? undefined : points.find((x) => x.p.days === crossingDays);
  const basis = rec.basis === 'horizon' || (rec.basis === undefined && !firstBelow) ? 'horizon' : 'crossing';
  const last = points[points.length - 1];
  const init = initStabilityOf(st);
  const contract = contractText(st);

  const recommendation = section(
    'cadence',
    `Retrain every ${rec.everyDays} days`,
    kpis([
      kpi('recommended cadence', m('recommendation.everyDays', rec.everyDays, fmt.days(rec.everyDays, 0)), basis === 'crossing' ? 'the last step before the agreement crosses the threshold' : 'a lower bound: no crossing within the data'),
      kpi('validity threshold (ARI)', m('threshold', st.threshold, fmt.num(st.threshold, 2))),
      atCadence ? kpi(`median ARI after ${rec.everyDays} days`, m(`points.${atCadence.i}.ariMedian`, atCadence.p.ariMedian, fmt.num(atCadence.p.ariMedian, 3)), `middle half ${esc(fmt.num(atCadence.p.ariQ1, 2))}–${esc(fmt.num(atCadence.p.ariQ3, 2))}`) : '',
      firstBelow
        ? kpi('agreement first below the threshold', m(`points.${firstBelow.i}.days`, firstBelow.p.days, fmt.days(firstBelow.p.days, 0)), `median ARI ${esc(fmt.num(firstBelow.p.ariMedian, 3))}, known customers ${esc(fmt.num(firstBelow.p.ariKnownMedian, 3))}`)
        : kpi('agreement below the threshold', `<span>not measured</span>`, last ? `within the ${esc(fmt.int(last.p.days))} days simulated: the cadence is a lower bound` : ''),
      init ? kpi('stability across seeds (simulation)', m(typeof st.initStability === 'number' ? 'initStability' : 'initStability.median', init.median, fmt.num(init.median, 3))) : '',
    ].filter(Boolean)) +
      `<h3>The contract</h3><div class="contract" data-contract>${contract.contract.map((l) => `<p>${esc(l)}</p>`).join('')}${
        contract.checks.length ? `<p class="contract-h">Each check measures</p>${list(contract.checks.map(esc))}` : ''
      }${contract.triggers.length ? `<p class="contract-h">Retrain early, without waiting for the cadence, when</p>${list(contract.triggers.map(esc))}` : ''}</div>` +
      charts([c.get('ari-over-time')]) +
      (contract.why.length ? `<h3>Why this cadence</h3>${contract.why.map((l) => `<p>${esc(l)}</p>`).join('')}` : ''),
    `A model fitted on day 0 is compared with a model fitted on the data available N days later (adjusted Rand index over the customers both know; 1 = same segments, 0 = chance). ${ctx.input.stabilitySource ? `Source: <code>${esc(ctx.input.stabilitySource)}</code>.` : ''}`,
  );

  const pointsTable = table(
    [
      { header: 'Days since fitted', numeric: true },
      { header: 'Median ARI', numeric: true },
      { header: 'Middle half (Q1–Q3)', numeric: true },
      { header: 'Median ARI, known customers', numeric: true },
      { header: 'Customers', numeric: true },
      { header: 'New customers', numeric: true },
      { header: 'Origins', numeric: true },
      { header: 'Valid?' },
    ],
    points.map(({ p, i }) => ({
      cells: [
        m(`points.${i}.days`, p.days, fmt.int(p.days)),
        m(`points.${i}.ariMedian`, p.ariMedian, fmt.num(p.ariMedian, 3)),
        `${m(`points.${i}.ariQ1`, p.ariQ1, fmt.num(p.ariQ1, 3))}–${m(`points.${i}.ariQ3`, p.ariQ3, fmt.num(p.ariQ3, 3))}`,
        m(`points.${i}.ariKnownMedian`, p.ariKnownMedian, fmt.num(p.ariKnownMedian, 3)),
        m(`points.${i}.customers`, p.customers, fmt.int(p.customers)),
        m(`points.${i}.newCustomers`, p.newCustomers, fmt.int(p.newCustomers)),
        m(`points.${i}.origins`, p.origins, fmt.int(p.origins)),
        valid(p) ? '<span class="pill">both medians at or above the threshold</span>' : '<span class="pill no">below the threshold</span>',
      ],
      cls: p.days === rec.everyDays ? 'chosen' : undefined,
    })),
    { caption: 'Every simulated date' },
  );
  const overTime = section('over-time', 'Agreement and customers over time', charts([c.get('customers-over-time')]) + pointsTable);

  const drift = driftRows(st);
  const metricName = driftMetricName(st);
  const latest = new Map<string, { days: number; value: number; max: number }>();
  for (const d of drift) {
    const e = latest.get(d.feature);
    if (!e) latest.set(d.feature, { days: d.days, value: d.value, max: d.value });
    else {
      if (d.days >= e.days) Object.assign(e, { days: d.days, value: d.value });
      e.max = Math.max(e.max, d.value);
    }
  }
  const driftSection = section(
    'drift',
    'Drift of each feature',
    drift.length
      ? charts([c.get('feature-drift')]) +
          table(
            [{ header: 'Feature' }, { header: `Latest ${metricName}`, numeric: true }, { header: 'At day', numeric: true }, { header: `Largest ${metricName}`, numeric: true }],
            [...latest.entries()]
              .sort((a, b) => b[1].value - a[1].value)
              .map(([f, v]) => [f in FEATURE_INFO ? `${esc(FEATURE_INFO[f as FeatureName].label)} <code>${esc(f)}</code>` : `<code>${esc(f)}</code>`, fmt.num(v.value, 3), fmt.int(v.days), fmt.num(v.max, 3)]),
            { caption: 'Features ordered by their latest drift' },
          )
      : callout('info', 'No per-feature drift in this simulation', '<p>The stability file has no drift measurements.</p>'),
    'How far each feature’s distribution on later data has moved from the data the model was fitted on. A feature that drifts is the first suspect when agreement drops.',
  );

  return ctx.page({
    file: 'maintenance.html',
    title: 'Maintenance',
    lead: `How long a segmentation stays valid as new orders arrive, from a simulation over the history of the export: retrain every <strong>${esc(fmt.int(rec.everyDays))} days</strong>${
      basis === 'crossing' && firstBelow ? `, the last step before the agreement falls below ${esc(fmt.num(st.threshold, 2))} (at ${esc(fmt.int(firstBelow.p.days))} days)` : ', a lower bound: the agreement never fell below the threshold within the data'
    }.`,
    toc: [
      { id: 'cadence', label: 'Cadence' },
      { id: 'over-time', label: 'Over time' },
      { id: 'drift', label: 'Feature drift' },
      { id: 'init', label: 'Stability of one fit' },
    ],
    body: [recommendation, overTime, driftSection, initSection].join('\n') + notes(st),
  });
}

/**
 * The maintenance contract in words, and the reasons behind it, from the simulation's recommendation.
 * The contract is the simulation's own text when it has one (recommendation.contract); otherwise it is
 * stated from its structured fields: the cadence, the checks run between retrainings and the triggers of
 * an early retraining (or, lacking those, from the cadence and the threshold). The rationale's lines that
 * restate the contract are left out of the reasons.
 */
export function contractText(st: StabilityInput): { contract: string[]; checks: string[]; triggers: string[]; why: string[] } {
  const rec = st.recommendation;
  const lines = (typeof rec.rationale === 'string' ? rec.rationale : '').split('\n').map((l) => l.trim()).filter(Boolean);
  const restates = (l: string) => /^(Proposal\b|Retrain the segmentation every|At each check|Each check|Early retraining)/i.test(l);
  const why = lines.filter((l) => !restates(l));
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && !!x.trim()) : []);
  const checks = strings(rec.checks);
  const triggers = strings(rec.triggers);
  if (typeof rec.contract === 'string' && rec.contract.trim()) return { contract: rec.contract.trim().split('\n').filter(Boolean), checks, triggers, why };
  const d = rec.everyDays;
  const weeks = d % 7 === 0 ? ` (${d / 7} week${d === 7 ? '' : 's'})` : '';
  // Checks at least weekly (the stack's default schedule), more often only if the simulation stepped finer.
  const step = typeof st.stepDays === 'number' ? Math.min(7, st.stepDays) : undefined;
  const contract = [
    `Retrain the segmentation on the latest data every ${d} days${weeks}${step && step < d ? `, and run a stability check every ${step} days in between` : ''}.`,
    `Between two retrainings, the model in use is expected to agree with a model fitted on fresh data at an adjusted Rand index of at least ${fmt.num(st.threshold, 2)} (median of the simulation).`,
  ];
  return { contract, checks, triggers, why };
}

function notes(st: StabilityInput): string {
  const extra = Object.keys(st).filter((k) => !['threshold', 'points', 'initStability', 'recommendation', 'drift', 'driftMetric', 'perOrigin', 'origins'].includes(k));
  if (!extra.length) return '';
  const items = extra
    .filter((k) => ['string', 'number', 'boolean'].includes(typeof st[k]))
    .map((k) => `<code>${esc(k)}</code>: ${esc(String(st[k]))}`);
  return items.length ? section('parameters', 'Simulation parameters', list(items)) : '';
}
