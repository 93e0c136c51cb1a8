/**
 * The model-trials sections that judge segments as a marketing analyst would: coverage of the people marketing must
 * treat differently at every k, the RFM + satisfaction baseline on the same customers, and the stated feature space,
 * trait rules and rule-based segments behind the names.
 */
import { RunSummary } from '../model/summary';
import { PartitionScore } from '../model/baseline';
import { esc, fmt } from '../util/format';
import { callout, metric, section, table } from './html';

const m = (path: string, v: number | undefined | null, display: string) => metric('summary', path, v ?? undefined, display);
const pill = (ok: boolean, yes: string, no: string) => (ok ? `<span class="pill">${esc(yes)}</span>` : `<span class="pill no">${esc(no)}</span>`);

/** Coverage and agreement at every k: what the choice of k reads besides the silhouette. */
export function coverageSection(s: RunSummary, chart: string): string {
  const rows = s.sweep.map((p, i) => {
    const score = s.kChoice?.scores.find((x) => x.k === p.k);
    const c = p.coverage;
    return {
      cls: p.k === s.k ? 'chosen' : undefined,
      cells: [
        m(`sweep.${i}.k`, p.k, String(p.k)),
        `${m(`sweep.${i}.silhouette`, p.silhouette, fmt.num(p.silhouette, 3))} <small>± ${m(`sweep.${i}.silhouetteSE`, p.silhouetteSE, fmt.num(p.silhouetteSE, 4))}</small>`,
        score ? pill(score.tiedWithBest, 'tied with the best', 'below the best') : '–',
        p.modelStability === undefined ? '–' : m(`sweep.${i}.modelStability`, p.modelStability, fmt.num(p.modelStability, 3)),
        m(`sweep.${i}.coverage.unhappyInUnsatisfied`, c.unhappyInUnsatisfied, fmt.pct(c.unhappyInUnsatisfied, 0)),
        m(`sweep.${i}.coverage.repeatInRepeat`, c.repeatInRepeat, fmt.pct(c.repeatInRepeat, 0)),
        m(`sweep.${i}.coverage.eta2.recency`, c.eta2.recency, fmt.num(c.eta2.recency, 2)),
        m(`sweep.${i}.coverage.eta2.spend`, c.eta2.spend, fmt.num(c.eta2.spend, 2)),
        m(`sweep.${i}.coverage.eta2.review`, c.eta2.review, fmt.num(c.eta2.review, 2)),
        m(`sweep.${i}.smallestShare`, p.smallestShare, fmt.pct(p.smallestShare)),
        score ? (score.usable ? pill(true, 'usable', '') : esc(score.reasons.join('; '))) : '<span class="pill no">outside 4-8</span>',
      ],
    };
  });
  const tableHtml = table(
    [
      { header: 'k', numeric: true },
      { header: 'Silhouette ± its standard error', numeric: true },
      { header: 'Within noise of the best?' },
      { header: 'Best-of-10 fits agree (ARI)', numeric: true },
      { header: 'Unhappy in an unsatisfied segment', numeric: true },
      { header: 'Repeat buyers in a repeat segment', numeric: true },
      { header: 'η² recency', numeric: true },
      { header: 'η² spend', numeric: true },
      { header: 'η² review', numeric: true },
      { header: 'Smallest segment', numeric: true },
      { header: 'Conditions' },
    ],
    rows,
    { caption: 'Who ends up where, at every k (agreement measured only where the other conditions hold)', cls: 'compact' },
  );
  const c = s.coverage;
  return section(
    'coverage',
    'Who ends up where: coverage at every k',
    chart + tableHtml,
    `A silhouette says how compact the clusters are, not whether the people marketing must treat differently are apart. For each k: the share of the ${m('coverage.unhappy', c.unhappy, fmt.int(c.unhappy))} customers whose own mean review is 2 or less (imputed scores left out) who sit in a segment with the <code>unsatisfied</code> trait; the share of the ${m('coverage.repeat', c.repeat, fmt.int(c.repeat))} repeat buyers in a segment with the <code>repeat</code> trait; and the correlation ratio η² of recency, spend (log) and review on the segment (0: the segments do not differ on it, 1: they split it exactly).`,
  );
}

function baselineRows(): { label: string; path: string; get: (p: PartitionScore) => number; show: (x: number) => string }[] {
  return [
    { label: 'Silhouette in the product’s space', path: 'silhouetteProductSpace', get: (p) => p.silhouetteProductSpace, show: (x) => fmt.num(x, 3) },
    { label: 'Silhouette in the RFM + satisfaction space', path: 'silhouetteRfmSpace', get: (p) => p.silhouetteRfmSpace, show: (x) => fmt.num(x, 3) },
    { label: 'Unhappy customers in an unsatisfied segment', path: 'coverage.unhappyInUnsatisfied', get: (p) => p.coverage.unhappyInUnsatisfied, show: (x) => fmt.pct(x, 0) },
    { label: 'Repeat buyers in a repeat segment', path: 'coverage.repeatInRepeat', get: (p) => p.coverage.repeatInRepeat, show: (x) => fmt.pct(x, 0) },
    { label: 'η² recency', path: 'coverage.eta2.recency', get: (p) => p.coverage.eta2.recency, show: (x) => fmt.num(x, 2) },
    { label: 'η² spend', path: 'coverage.eta2.spend', get: (p) => p.coverage.eta2.spend, show: (x) => fmt.num(x, 2) },
    { label: 'η² review', path: 'coverage.eta2.review', get: (p) => p.coverage.eta2.review, show: (x) => fmt.num(x, 2) },
    { label: 'Best-of-10 fits with other seeds agree (ARI)', path: 'modelStability', get: (p) => p.modelStability, show: (x) => fmt.num(x, 3) },
  ];
}

/** The product's partition against the classic RFM + satisfaction k-means, on the same customers and k. */
export function baselineSection(s: RunSummary): string {
  const b = s.baseline;
  if (!b) return section('baseline', 'Against the RFM + satisfaction baseline', callout('info', 'No baseline in this run', '<p>The comparison runs with the other algorithms; it was switched off for this model.</p>'));
  const rows = baselineRows().map((r) => [
    esc(r.label),
    m(`baseline.product.${r.path}`, r.get(b.product), r.show(r.get(b.product))),
    m(`baseline.rfm.${r.path}`, r.get(b.rfm), r.show(r.get(b.rfm))),
  ]);
  const sizes = (p: PartitionScore) => `${fmt.pct(Math.min(...p.sizes) / Math.max(1, b.customers))} – ${fmt.pct(Math.max(...p.sizes) / Math.max(1, b.customers))}`;
  rows.push(['Smallest – largest segment', esc(sizes(b.product)), esc(sizes(b.rfm))]);
  const gains: string[] = [];
  const d = (x: number, y: number) => x - y;
  if (d(b.product.modelStability, b.rfm.modelStability) > 0.02) gains.push(`fits that production reproduces (agreement ${fmt.num(b.product.modelStability, 2)} against ${fmt.num(b.rfm.modelStability, 2)})`);
  if (d(b.product.coverage.unhappyInUnsatisfied, b.rfm.coverage.unhappyInUnsatisfied) > 0.01) gains.push(`more unhappy customers in an unsatisfied segment (${fmt.pct(b.product.coverage.unhappyInUnsatisfied, 0)} against ${fmt.pct(b.rfm.coverage.unhappyInUnsatisfied, 0)})`);
  if (d(b.product.coverage.eta2.recency, b.rfm.coverage.eta2.recency) > 0.02) gains.push(`recency playing a larger part (η² ${fmt.num(b.product.coverage.eta2.recency, 2)} against ${fmt.num(b.rfm.coverage.eta2.recency, 2)})`);
  if (d(b.product.coverage.eta2.review, b.rfm.coverage.eta2.review) > 0.02) gains.push(`satisfaction separating better (η² ${fmt.num(b.product.coverage.eta2.review, 2)} against ${fmt.num(b.rfm.coverage.eta2.review, 2)})`);
  const losses: string[] = [];
  if (d(b.rfm.coverage.eta2.spend, b.product.coverage.eta2.spend) > 0.02) losses.push(`spend, which the baseline splits more sharply (η² ${fmt.num(b.rfm.coverage.eta2.spend, 2)} against ${fmt.num(b.product.coverage.eta2.spend, 2)})`);
  if (d(b.rfm.coverage.repeatInRepeat, b.product.coverage.repeatInRepeat) > 0.01) losses.push(`repeat buyers, which the baseline gathers better`);
  const verdict =
    `<p>The richer space adds the delivery experience (so late deliveries can form their own segment) and the basket and payment habits, bounded so that none dominates. ` +
    (gains.length ? `On these customers it buys ${gains.join(', ')}. ` : 'On these customers the two partitions cover the people marketing must treat differently about equally. ') +
    (losses.length ? `It gives up some separation on ${losses.join(' and ')}. ` : '') +
    `Each silhouette is higher in its own space: a silhouette does not compare two feature spaces. The two partitions agree at ARI ${m('baseline.ari', b.ari, fmt.num(b.ari, 2))}.</p>`;
  return section(
    'baseline',
    'Against the RFM + satisfaction baseline',
    table([{ header: 'Same customers, same k' }, { header: 'This model', numeric: true }, { header: 'RFM + satisfaction', numeric: true }], rows, {
      caption: `k-means at k = ${b.k} on ${fmt.int(b.customers)} customers; the baseline clusters ${b.features}`,
    }) + verdict,
    'The classic segmentation of this case: k-means on standardised recency, frequency, monetary value and review score, as most public analyses of the Olist export do.',
  );
}

/** The feature space, the trait rules and the rule-based segments, as stated in summary.json. */
export function rulesSection(s: RunSummary): string {
  const t = s.traitSupport;
  return section(
    'rules',
    'Feature space, traits and rule-based segments',
    `<p>${esc(s.featureSpace.rule)}.</p>` +
      table(
        [{ header: 'Feature' }, { header: 'Log' }, { header: 'From', numeric: true }, { header: 'To', numeric: true }, { header: 'Weight', numeric: true }, { header: 'Why' }],
        s.featureSpace.features.map((f, i) => [
          `<code>${esc(f.name)}</code>`,
          f.log ? 'yes' : 'no',
          m(`featureSpace.features.${i}.lo`, f.lo, fmt.num(f.lo, 3)),
          m(`featureSpace.features.${i}.hi`, f.hi, fmt.num(f.hi, 3)),
          m(`featureSpace.features.${i}.weight`, f.weight, fmt.num(f.weight, 2)),
          esc(f.why),
        ]),
        { caption: 'Each feature is clamped to its range and scaled to [0, weight]: none can dominate a distance', cls: 'compact' },
      ) +
      `<p>Names rest on traits: ${esc(t.rule)} (the <em>fidelity</em> of each segment in the profiles gives that share for every trait its name uses).</p>` +
      table(
        [{ header: 'Trait' }, { header: 'Holds for a customer when' }],
        s.namingRules.map((r) => [`<code>${esc(r.trait)}</code>`, esc(r.rule)]),
        { caption: 'Traits, tested on each customer', cls: 'compact' },
      ) +
      table(
        [{ header: 'Id', numeric: true }, { header: 'Rule-based segment' }, { header: 'Who' }],
        s.ruleSegments.map((r) => [String(r.id), esc(r.name), esc(r.rule)]),
        { caption: 'People without a delivered order: not clustered, one rule-based segment each (fixed ids)', cls: 'compact' },
      ),
  );
}
