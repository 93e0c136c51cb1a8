/** The exploration page: the export as a data scientist's first notebook would describe it. */
import { FEATURE_NAMES } from '../domain/types';
import { RunSummary } from '../model/summary';
import { explorationCharts } from './chartsExploration';
import { ExplorationStats } from './exploration';
import { FEATURE_INFO } from './featureText';
import { esc, fmt } from '../util/format';
import { callout, charts, kpi, kpis, list, metric, section, table } from './html';
import { PageContext } from './pageContext';

export async function explorationPage(ctx: PageContext): Promise<string> {
  const e = ctx.input.exploration;
  const s = ctx.input.summary;
  const c = await ctx.renderAll(explorationCharts(e));
  const m = (path: string, v: number, display: string) => metric('exploration', path, v, display);

  const overview = section(
    'overview',
    'The export at a glance',
    kpis([
      kpi('customers (people)', m('counts.customers', e.counts.customers, fmt.int(e.counts.customers))),
      kpi('orders', m('counts.orders', e.counts.orders, fmt.int(e.counts.orders))),
      kpi('items sold', m('counts.items', e.counts.items, fmt.int(e.counts.items))),
      kpi('reviews', m('counts.reviews', e.counts.reviews, fmt.int(e.counts.reviews))),
      kpi('days of orders', m('dateRange.days', e.dateRange.days, fmt.num(e.dateRange.days, 0)), `${esc(fmt.date(e.dateRange.firstPurchase))} to ${esc(fmt.date(e.dateRange.lastPurchase))}`),
      kpi('product categories', m('counts.categories', e.counts.categories, fmt.int(e.counts.categories))),
    ]) +
      charts([c.get('orders-by-month')]),
    `First purchase <strong>${esc(fmt.date(e.dateRange.firstPurchase))}</strong>, last purchase <strong>${esc(fmt.date(e.dateRange.lastPurchase))}</strong> (${e.dateRange.months} calendar months). A customer is a person (<code>customer_unique_id</code>); the export gives each order its own <code>customer_id</code>.${e.approximate ? ` Computed partition by partition (the distributed path): ${esc(e.approximate)}.` : ''}`,
  );

  const tables = section(
    'tables',
    'Tables and row counts',
    table(
      [{ header: 'Table' }, { header: 'File' }, { header: 'Rows', numeric: true }, { header: 'Size', numeric: true }, { header: 'Invalid rows', numeric: true }, { header: 'Columns not used' }],
      e.tables.map((t, i) => [
        esc(t.table),
        `<code>${esc(t.file)}</code>`,
        m(`tables.${i}.rows`, t.rows, fmt.int(t.rows)),
        esc(fmt.bytes(t.bytes)),
        m(`tables.${i}.invalidRows`, t.invalidRows, fmt.int(t.invalidRows)),
        t.extraColumns.length ? esc(t.extraColumns.join(', ')) : '<span class="pill no">none</span>',
      ]),
      { caption: 'Rows read from each file of the export (header excluded)' },
    ) +
      table(
        [{ header: 'Check' }, { header: 'Rows', numeric: true }, { header: 'What happens' }],
        [
          ['Item rows whose order is not in the orders table', m('issues.orphanItems', e.issues.orphanItems, fmt.int(e.issues.orphanItems)), 'skipped'],
          ['Payment rows whose order is not in the orders table', m('issues.orphanPayments', e.issues.orphanPayments, fmt.int(e.issues.orphanPayments)), 'skipped'],
          ['Review rows whose order is not in the orders table', m('issues.orphanReviews', e.issues.orphanReviews, fmt.int(e.issues.orphanReviews)), 'skipped'],
          ['Item rows whose product is not in the products table', m('issues.itemsWithUnknownProduct', e.issues.itemsWithUnknownProduct, fmt.int(e.issues.itemsWithUnknownProduct)), 'category "unknown"'],
          ['Orders without any payment row', m('issues.ordersWithoutPayment', e.issues.ordersWithoutPayment, fmt.int(e.issues.ordersWithoutPayment)), 'value from the item prices'],
        ],
        { caption: 'Consistency between tables' },
      ),
  );

  const missing = section(
    'missing',
    'Missing values by column',
    charts([c.get('missing-values')]) +
      table(
        [{ header: 'Column' }, { header: 'Missing', numeric: true }, { header: 'Of', numeric: true }, { header: 'Share', numeric: true }, { header: 'Meaning and treatment' }],
        e.missing.map((x, i) => [`<code>${esc(x.table)}.${esc(x.column)}</code>`, m(`missing.${i}.missing`, x.missing, fmt.int(x.missing)), fmt.int(x.total), m(`missing.${i}.share`, x.share, fmt.pct(x.share, 2)), esc(x.note)]),
      ),
    'Only the columns the product reads are checked; the other columns of the export (geolocation, product dimensions, review texts) are ignored.',
  );

  const distributions = section(
    'distributions',
    'Distributions',
    charts([
      c.get('order-value'),
      c.get('review-scores'),
      c.get('orders-per-customer'),
      c.get('delivery-delay'),
      c.get('order-status'),
      table(
        [{ header: 'Measure' }, { header: 'Value', numeric: true }],
        [
          ['Median order value', m('orderValue.median', e.orderValue.median, fmt.brl(e.orderValue.median))],
          ['Mean order value', m('orderValue.mean', e.orderValue.mean, fmt.brl(e.orderValue.mean))],
          ['90th percentile of order value', m('orderValue.p90', e.orderValue.p90, fmt.brl(e.orderValue.p90))],
          ['99th percentile of order value', m('orderValue.p99', e.orderValue.p99, fmt.brl(e.orderValue.p99))],
          ['Mean review score', m('reviewScores.mean', e.reviewScores.mean, `${fmt.num(e.reviewScores.mean, 2)} / 5`)],
          ['Orders with a review', m('reviewScores.ordersReviewedShare', e.reviewScores.ordersReviewedShare, fmt.pct(e.reviewScores.ordersReviewedShare))],
          ['Customers with a single order', m('ordersPerCustomer.oneOrderShare', e.ordersPerCustomer.oneOrderShare, fmt.pct(e.ordersPerCustomer.oneOrderShare))],
          ['Median delivery vs promised date', m('deliveryDelay.median', e.deliveryDelay.median, signedDays(e.deliveryDelay.median))],
          ['Delivered orders that arrived late', m('deliveryDelay.lateShare', e.deliveryDelay.lateShare, fmt.pct(e.deliveryDelay.lateShare))],
        ],
        { caption: 'Key figures' },
      ),
    ]),
  );

  const geography = section('geography', 'Where customers live and what they buy', charts([c.get('customers-by-state'), c.get('category-mix')]));

  const r = e.delayVsReview;
  const correlation = section(
    'delay-review',
    'Delivery delay and review score',
    kpis([
      kpi('Spearman correlation (delay, score)', m('delayVsReview.spearman', r.spearman, fmt.num(r.spearman, 3))),
      kpi('Pearson correlation (delay, score)', m('delayVsReview.pearson', r.pearson, fmt.num(r.pearson, 3))),
      kpi('mean score, on time', m('delayVsReview.onTimeMeanScore', r.onTimeMeanScore, `${fmt.num(r.onTimeMeanScore, 2)} / 5`)),
      kpi('mean score, late', m('delayVsReview.lateMeanScore', r.lateMeanScore, `${fmt.num(r.lateMeanScore, 2)} / 5`)),
      kpi('1-2 star reviews when late', m('delayVsReview.lateLowShare', r.lateLowShare, fmt.pct(r.lateLowShare)), `vs ${esc(fmt.pct(r.onTimeLowShare))} on time`),
    ]) + charts([c.get('delay-vs-review')]),
    `Over ${fmt.int(r.n)} delivered and reviewed orders. A negative correlation means the later the delivery, the lower the score; the relation is not linear: a few days early or late matters little, a week late matters a lot.`,
  );

  const implications = section('features', 'What this means for the features', list(findings(e, s), 'findings') + featureTable(s));

  return ctx.page({
    file: 'exploration.html',
    title: 'Data exploration',
    lead: 'What the Olist export contains and how it behaves, recomputed from the files on every run: the evidence behind the customer features the segmentation uses.',
    toc: [
      { id: 'overview', label: 'At a glance' },
      { id: 'tables', label: 'Tables' },
      { id: 'missing', label: 'Missing values' },
      { id: 'distributions', label: 'Distributions' },
      { id: 'geography', label: 'States and categories' },
      { id: 'delay-review', label: 'Delay vs review' },
      { id: 'features', label: 'Implications' },
    ],
    body: [overview, tables, missing, distributions, geography, correlation, implications].join('\n'),
  });
}

function signedDays(d: number): string {
  return d < 0 ? `${fmt.days(-d)} early` : `${fmt.days(d)} late`;
}

/** The findings that justify the features, from the numbers (no sentence is written for one data set). */
export function findings(e: ExplorationStats, s: RunSummary): string[] {
  const out: string[] = [];
  const logged = s.features.filter((f) => f.log).map((f) => FEATURE_INFO[f.name]?.plain.toLowerCase() ?? f.name);
  const one = e.ordersPerCustomer.oneOrderShare;
  out.push(
    `<strong>Repeat purchase is ${one > 0.8 ? 'rare' : 'common'}:</strong> ${esc(fmt.pct(one))} of customers ordered once. ${
      one > 0.8 ? 'Frequency only separates a small loyal group, so plain RFM would mostly rank customers by recency and spend; the features add the experience (reviews, delivery) and the basket (items, categories, installments).' : 'Frequency is an informative dimension on its own.'
    }`,
  );
  const skew = e.orderValue.median > 0 ? e.orderValue.mean / e.orderValue.median : NaN;
  out.push(
    `<strong>Spend is skewed:</strong> the mean order (${esc(fmt.brl(e.orderValue.mean))}) is ${esc(fmt.times(skew))} the median (${esc(fmt.brl(e.orderValue.median))}) and 1% of orders exceed ${esc(fmt.brl0(e.orderValue.p99))}. ${
      logged.length ? `Skewed features are log-transformed before standardising (${esc(logged.join(', '))}) so a few large baskets do not dominate the distances.` : 'No feature is log-transformed in this run.'
    }`,
  );
  const r = e.delayVsReview;
  out.push(
    `<strong>Late deliveries drive bad reviews:</strong> ${esc(fmt.pct(e.deliveryDelay.lateShare))} of delivered orders arrived after the promised day; they average ${esc(fmt.num(r.lateMeanScore, 2))} stars against ${esc(fmt.num(r.onTimeMeanScore, 2))} on time, and ${esc(fmt.pct(r.lateLowShare))} of them got 1 or 2 stars (Spearman ${esc(fmt.num(r.spearman, 2))}). Delivery delay and the share of late orders are features, so a segment let down by delivery can be told apart from one unhappy with the product.`,
  );
  out.push(
    `<strong>Many orders have no review:</strong> ${esc(fmt.pct(1 - e.reviewScores.ordersReviewedShare))} of orders. Customers without a known review (${esc(fmt.int(s.reviewImputation.customersImputed))}) get the documented imputation rule (${esc(s.reviewImputation.rule)}), never 0.`,
  );
  const cats = e.categoryMix;
  const topShare = cats.categories.filter((x) => !x.category.startsWith('other (')).reduce((a, x) => a + x.share, 0);
  out.push(
    `<strong>Categories have a long tail:</strong> ${cats.totalCategories} categories, the top ${Math.min(15, cats.categories.length)} hold ${esc(fmt.pct(topShare))} of the items. One column per category would add dozens of sparse dimensions; the number of distinct categories a customer bought is used instead.`,
  );
  const top = e.customersByState[0];
  if (top) out.push(`<strong>Geography is concentrated:</strong> ${esc(top.state)} alone has ${esc(fmt.pct(top.share))} of the customers. State describes where, not how, customers buy: it is left out of the features and stays available as a campaign filter.`);
  out.push(
    `<strong>Only delivered orders count:</strong> ${esc(fmt.pct(e.orderStatus.find((x) => x.status === 'delivered')?.share ?? 0))} of orders were delivered. ${esc(fmt.int(s.counts.customersWithoutCountedOrder))} customers have orders but none delivered by the as-of date; they are not segmented (nothing was experienced yet), which leaves ${esc(fmt.int(s.customers))} customers.`,
  );
  return out;
}

function featureTable(s: RunSummary): string {
  const transform = new Map(s.features.map((f) => [f.name, f]));
  return table(
    [{ header: 'Feature' }, { header: 'Definition' }, { header: 'Transform' }, { header: 'Average customer', numeric: true }],
    FEATURE_NAMES.map((f) => {
      const info = FEATURE_INFO[f];
      const t = transform.get(f);
      return [`<code>${f}</code>`, esc(info.definition), t ? (t.log ? 'log(1 + x), then standardised' : 'standardised') : '–', metric('summary', `population.mean.${f}`, s.population.mean[f], info.format(s.population.mean[f]))];
    }),
    { caption: `The ${FEATURE_NAMES.length} features of each customer (as of ${fmt.date(s.asOf)})` },
  );
}
