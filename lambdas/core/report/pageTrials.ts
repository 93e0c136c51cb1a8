/** The model trials page: how the number of segments was chosen and what the segments look like. */
import { RunSummary } from '../model/summary';
import { FEATURE_NAMES } from '../domain/types';
import { isKmeans, trialsCharts } from './chartsTrials';
import { segmentColor } from './chartKit';
import { FEATURE_INFO } from './featureText';
import { esc, fmt } from '../util/format';
import { callout, charts, kpi, kpis, list, metric, section, table } from './html';
import { PageContext } from './pageContext';
import { baselineSection, coverageSection, rulesSection } from './trialsCoverage';

export async function trialsPage(ctx: PageContext): Promise<string> {
  const s = ctx.input.summary;
  const map = ctx.input.map;
  const c = await ctx.renderAll(trialsCharts(s, map));
  const m = (path: string, v: number | undefined, display: string) => metric('summary', path, v, display);

  const headline = section(
    'chosen',
    `The chosen model: k-means with k = ${s.k}`,
    kpis([
      kpi('clustered segments (k)', m('k', s.k, String(s.k)), s.kChoice ? 'chosen by the rule below' : 'fixed with --k'),
      kpi('silhouette', m('metrics.silhouette', s.metrics.silhouette, fmt.num(s.metrics.silhouette, 3)), 'higher is better, -1 to 1'),
      kpi('best-of-10 fits agree', m('modelStability.ariMedian', s.modelStability.ariMedian, fmt.num(s.modelStability.ariMedian, 3)), `median ARI of ${esc(fmt.int(s.modelStability.fits))} fits with other seeds`),
      kpi('unhappy customers in an unsatisfied segment', m('coverage.unhappyInUnsatisfied', s.coverage.unhappyInUnsatisfied, fmt.pct(s.coverage.unhappyInUnsatisfied, 0))),
      kpi('recency across segments (η²)', m('coverage.eta2.recency', s.coverage.eta2.recency, fmt.num(s.coverage.eta2.recency, 2)), '0: no part, 1: split exactly'),
      kpi('people with a segment', m('people', s.people, fmt.int(s.people)), `${esc(fmt.int(s.customers))} clustered, the rest by rule`),
    ]) + whyK(s),
  );

  const sweepRows = s.sweep.map((p, i) => {
    const score = s.kChoice?.scores.find((x) => x.k === p.k);
    return {
      chosen: p.k === s.k,
      cells: [
        m(`sweep.${i}.k`, p.k, String(p.k)),
        m(`sweep.${i}.inertia`, p.inertia, fmt.int(p.inertia)),
        m(`sweep.${i}.silhouette`, p.silhouette, fmt.num(p.silhouette, 3)),
        m(`sweep.${i}.daviesBouldin`, p.daviesBouldin, fmt.num(p.daviesBouldin, 3)),
        m(`sweep.${i}.calinskiHarabasz`, p.calinskiHarabasz, fmt.int(p.calinskiHarabasz)),
        p.initStability === undefined ? '–' : m(`sweep.${i}.initStability`, p.initStability, fmt.num(p.initStability, 3)),
        score ? fmt.num(score.marketingScore, 3) : '<span class="pill no">outside 4-8</span>',
        score ? (score.usable ? '<span class="pill">usable</span>' : esc(score.reasons.join('; '))) : '',
      ],
    };
  });
  const sweepTable = table(
    [{ header: 'k', numeric: true }, { header: 'Inertia', numeric: true }, { header: 'Silhouette', numeric: true }, { header: 'Davies-Bouldin', numeric: true }, { header: 'Calinski-Harabasz', numeric: true }, { header: 'Single starts agree (ARI)', numeric: true }, { header: 'Coverage score', numeric: true }, { header: 'Conditions' }],
    sweepRows.map((r) => ({ cells: r.cells, cls: r.chosen ? 'chosen' : undefined })),
    { caption: 'Every k tried (k-means, 10 initialisations each, best of 10 kept); the chosen k is highlighted' },
  );

  const sweep = section(
    'sweep',
    'Metrics by number of segments',
    charts([c.get('elbow'), c.get('silhouette-by-k'), c.get('davies-bouldin-by-k'), c.get('calinski-harabasz-by-k'), c.get('init-stability-by-k'), c.get('k-choice-score')]) + sweepTable,
    'Each metric judges a different aspect of the partition; none of them alone picks a marketing-friendly number of segments, hence the explicit rule above.' +
      // Above 200,000 customers k is chosen on a sample: say so where the sample's figures are shown.
      (s.sweepSample ? ` These figures come from a seeded random sample of ${fmt.int(s.sweepSample.customers)} of the ${fmt.int(s.sweepSample.of)} customers; the model at the chosen k was then fitted on all of them.` : ''),
  );

  const stability = section(
    'stability',
    'Stability: what production reproduces',
    kpis([
      kpi('best-of-10 fits, other seeds (median ARI)', m('modelStability.ariMedian', s.modelStability.ariMedian, fmt.num(s.modelStability.ariMedian, 3)), `worst pair ${m('modelStability.ariMin', s.modelStability.ariMin, fmt.num(s.modelStability.ariMin, 3))}`),
      kpi('single initialisations (median ARI)', m('initStability.median', s.initStability.median, fmt.num(s.initStability.median, 3)), `worst of ${esc(fmt.int(s.initStability.pairs))} pairs ${m('initStability.min', s.initStability.min, fmt.num(s.initStability.min, 3))}`),
    ]) +
      `<p>k-means starts from random centres, and production keeps the best of 10 starts. What matters is whether another run of production (other seeds, best of 10 again) finds the same segments: at k = ${s.k} it does at a median adjusted Rand index of ${esc(fmt.num(s.modelStability.ariMedian, 3))} (1: the same partition, 0: chance). ${s.modelStability.ariMedian >= 0.95 ? 'The segments are a property of the data, not of the random start.' : 'Runs with other seeds find noticeably different segments: the rule refuses such a k when another one is usable.'} Single starts agree less (${esc(fmt.num(s.initStability.median, 3))}): that is why production keeps the best of 10.</p>`,
  );

  const alts = s.alternatives ?? [];
  const alternatives = section(
    'alternatives',
    'Comparison with other algorithms',
    alts.length
      ? charts([c.get('alternatives')]) +
          table(
            [
              { header: 'Algorithm' },
              { header: 'Customers scored', numeric: true },
              { header: 'Silhouette', numeric: true },
              { header: 'Davies-Bouldin', numeric: true },
              { header: 'Calinski-Harabasz', numeric: true },
              { header: 'ARI vs k-means', numeric: true },
              { header: 'Smallest / largest segment', numeric: true },
              { header: 'Time', numeric: true },
            ],
            alts.map((a, i) => ({
              cls: isKmeans(a.algorithm) ? 'chosen' : undefined,
              cells: [
                esc(a.algorithm),
                m(`alternatives.${i}.customers`, a.customers, fmt.int(a.customers)),
                m(`alternatives.${i}.silhouette`, a.silhouette, fmt.num(a.silhouette, 3)),
                m(`alternatives.${i}.daviesBouldin`, a.daviesBouldin, fmt.num(a.daviesBouldin, 3)),
                m(`alternatives.${i}.calinskiHarabasz`, a.calinskiHarabasz, fmt.int(a.calinskiHarabasz)),
                m(`alternatives.${i}.ariVsKmeans`, a.ariVsKmeans, fmt.num(a.ariVsKmeans, 3)),
                a.sizes?.length ? `${esc(fmt.pct(Math.min(...a.sizes) / Math.max(1, a.customers)))} / ${esc(fmt.pct(Math.max(...a.sizes) / Math.max(1, a.customers)))}` : '–',
                `${esc(fmt.num(a.seconds, 1))} s`,
              ],
            })),
            { caption: `Each algorithm on the same features with k = ${s.k}`, cls: 'compact' },
          ) +
          list(alts.filter((a) => a.note).map((a) => `<strong>${esc(a.algorithm)}</strong>: ${esc(a.note)}`)) +
          altVerdict(s)
      : callout('info', 'No comparison in this run', '<p>The other algorithms were not run for this model.</p>'),
    'The same standardised features and the same k, clustered by other methods. k-means is kept when it is as good or better, and because it assigns new customers with a simple nearest-centre rule.',
  );

  const mapSection = section(
    'map',
    'Map of the customers',
    map ? charts([c.get('pca-map')]) : callout('info', 'No map in this report', '<p>The principal components were not computed for this report.</p>'),
    s.pca?.explainedVariance?.length
      ? `The first two principal components explain ${metric('summary', 'pca.explainedVariance.0', s.pca.explainedVariance[0], fmt.pct(s.pca.explainedVariance[0]))} and ${metric('summary', 'pca.explainedVariance.1', s.pca.explainedVariance[1], fmt.pct(s.pca.explainedVariance[1]))} of the variance; segments that overlap here can still be apart in the other dimensions.`
      : '',
  );

  const profiles = section(
    'profiles',
    'Feature profile of each segment',
    charts([c.get('profile-heatmap'), c.get('segment-sizes')]) + profileTable(s),
    'Orange: above the average customer; blue: below. Names and actions come from explicit rules on these profiles (listed at the bottom), the same for every run.',
  );

  const coverage = coverageSection(s, charts([c.get('coverage-by-k')]));
  const baseline = baselineSection(s);
  const rules = rulesSection(s);

  return ctx.page({
    file: 'model-trials.html',
    title: 'Model trials',
    lead: `How the ${esc(fmt.int(s.customers))} customers with a delivered order were split into ${s.k} segments (and the ${esc(fmt.int(s.people - s.customers))} people without one placed in rule-based segments): every k from ${s.sweep[0]?.k ?? '?'} to ${s.sweep[s.sweep.length - 1]?.k ?? '?'} was tried and scored on its metrics and on who ends up where, the choice follows a stated rule, and other algorithms and the classic RFM + satisfaction segmentation were tried on the same customers.`,
    toc: [
      { id: 'chosen', label: `Why k = ${s.k}` },
      { id: 'coverage', label: 'Coverage by k' },
      { id: 'sweep', label: 'Metrics by k' },
      { id: 'stability', label: 'Stability' },
      { id: 'baseline', label: 'RFM baseline' },
      { id: 'alternatives', label: 'Other algorithms' },
      { id: 'map', label: 'Customer map' },
      { id: 'profiles', label: 'Segment profiles' },
      { id: 'rules', label: 'Rules' },
    ],
    body: [headline, coverage, sweep, stability, baseline, alternatives, mapSection, profiles, rules].join('\n'),
  });
}

function altVerdict(s: RunSummary): string {
  const alts = s.alternatives ?? [];
  const km = alts.find((a) => isKmeans(a.algorithm));
  const others = alts.filter((a) => !isKmeans(a.algorithm));
  if (!km || !others.length) return '';
  const best = (f: (a: (typeof alts)[number]) => number, higher: boolean) => [...alts].sort((a, b) => (higher ? f(b) - f(a) : f(a) - f(b)))[0];
  const bySil = best((a) => a.silhouette, true);
  const byDb = best((a) => a.daviesBouldin, false);
  const wins = [bySil, byDb].filter((a) => a === km).length;
  const text =
    wins === 2
      ? `k-means has both the best silhouette and the best Davies-Bouldin index here.`
      : `${esc(bySil.algorithm)} has the best silhouette and ${esc(byDb.algorithm)} the best Davies-Bouldin index; k-means is kept for its stability and because new customers are assigned with a simple nearest-centre rule.`;
  const agreement = others.map((a) => `${esc(a.algorithm)} ${esc(fmt.num(a.ariVsKmeans, 2))}`).join(', ');
  return `<p>${text} Agreement with the k-means partition (ARI): ${agreement}: ${others.every((a) => a.ariVsKmeans >= 0.5) ? 'the other methods find largely the same groups, so the segments are not an artefact of k-means.' : 'the methods disagree noticeably, which is a reason to prefer the stable, easily applied k-means partition.'}</p>`;
}

function whyK(s: RunSummary): string {
  if (!s.kChoice) {
    return callout('info', `Why k = ${s.k}`, `<p>k was fixed on the command line (<code>--k ${s.k}</code>); the metrics of every other k are still shown below for comparison.</p>`);
  }
  const ch = s.kChoice;
  const chosen = ch.scores.find((x) => x.k === s.k);
  const usable = ch.scores.filter((x) => x.usable);
  const ranked = [...ch.scores].sort((a, b) => b.marketingScore - a.marketingScore);
  const runnerUp = ranked.find((x) => x.k !== s.k);
  const lines = [
    `<p><strong>Rule:</strong> ${esc(ch.rule)}.</p>`,
    list(
      [
        `Candidates k = ${ch.scores.map((x) => x.k).join(', ')}: fewer segments are too coarse for campaigns, more are more than a marketing team can run.`,
        ch.usableFound
          ? `${usable.length} candidate${usable.length === 1 ? '' : 's'} met every condition (k = ${usable.map((x) => x.k).join(', ')}); ${esc(ch.why)}.`
          : `No candidate met every condition: ${esc(ch.why)}.`,
        runnerUp ? `Runner-up: k = ${runnerUp.k} (coverage score ${esc(fmt.num(runnerUp.marketingScore, 3))}${runnerUp.usable ? '' : `; ${esc(runnerUp.reasons.join('; '))}`}).` : '',
        `The segments it yields are named by rules: ${s.segments.map((g) => `<span class="swatch" style="background:${segmentColor(g.id)}" aria-hidden="true"></span>${esc(g.name)} (${esc(fmt.pct(g.share))})`).join(', ')}.`,
      ].filter(Boolean),
    ),
  ];
  return callout('success', `Why k = ${s.k}`, lines.join(''));
}

/** Features as rows, segments as columns (k columns stay readable where k x 9 would not). */
function profileTable(s: RunSummary): string {
  const cols = [
    { header: 'Feature' },
    { header: 'All customers', numeric: true },
    ...s.segments.map((g) => ({ header: `${g.id}. ${g.name}`, numeric: true })),
  ];
  const sizeRow = [
    'People',
    metric('summary', 'people', s.people, fmt.int(s.people)),
    ...s.segments.map((g, i) => `${metric('summary', `segments.${i}.size`, g.size, fmt.int(g.size))}<br><small>${metric('summary', `segments.${i}.share`, g.share, fmt.pct(g.share))}${g.kind === 'rule' ? ' · by rule' : ''}</small>`),
  ];
  // The share of members for whom each trait the name rests on holds (70% at least by construction).
  const fidelityRow = [
    'Name true of <small>(share of members)</small>',
    '',
    ...s.segments.map((g, i) =>
      Object.entries(g.fidelity)
        .map(([trait, share]) => `${esc(trait)} ${metric('summary', `segments.${i}.fidelity.${trait}`, share, fmt.pct(share, 0))}`)
        .join('<br>'),
    ),
  ];
  const rows = FEATURE_NAMES.map((f) => {
    const info = FEATURE_INFO[f];
    const stat = info.stat;
    const all = stat === 'median' ? s.population.median[f] : s.population.mean[f];
    return [
      `${esc(info.label)}${stat === 'median' ? ' <small>(median)</small>' : ''}`,
      metric('summary', `population.${stat}.${f}`, all, info.format(all)),
      ...s.segments.map((g, i) => {
        const v = stat === 'median' ? g.median[f] : g.profile[f];
        return metric('summary', `segments.${i}.${stat === 'median' ? 'median' : 'profile'}.${f}`, v, info.format(v));
      }),
    ];
  });
  const head = cols
    .map((c, j) => `<th scope="col"${c.numeric ? ' class="num"' : ''}>${j >= 2 ? `<span class="swatch" style="background:${segmentColor(s.segments[j - 2].id)}" aria-hidden="true"></span>` : ''}${esc(c.header)}</th>`)
    .join('');
  const body = [sizeRow, fidelityRow, ...rows].map((r) => `<tr>${r.map((cell, j) => (j === 0 ? `<th scope="row">${cell}</th>` : `<td class="num">${cell}</td>`)).join('')}</tr>`).join('\n');
  return `<div class="table-wrap"><table class="compact profile"><caption>Segment means in the features’ own units (spend: median)</caption><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}
