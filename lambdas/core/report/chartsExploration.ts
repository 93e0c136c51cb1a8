/** Vega-Lite charts of the exploration page, from ExplorationStats. */
import { ChartDef, COLORS, FULL_WIDTH, HALF_WIDTH, num, shareAxis } from './chartKit';
import { ExplorationStats } from './exploration';
import { axisFormat, fmt } from '../util/format';

const H = 220;

export function explorationCharts(e: ExplorationStats): ChartDef[] {
  return [
    ordersByMonth(e),
    orderValue(e),
    reviewScores(e),
    ordersPerCustomer(e),
    deliveryDelay(e),
    delayVsReview(e),
    customersByState(e),
    categoryMix(e),
    orderStatus(e),
    missingValues(e),
  ];
}

function ordersByMonth(e: ExplorationStats): ChartDef {
  const data = e.ordersByMonth.flatMap((m) => [
    { month: `${m.month}-01`, status: 'Delivered', orders: m.delivered },
    { month: `${m.month}-01`, status: 'Not delivered', orders: m.notDelivered },
  ]);
  return {
    id: 'orders-by-month',
    title: 'Orders per month',
    subtitle: `${fmt.int(e.counts.orders)} orders from ${fmt.date(e.dateRange.firstPurchase)} to ${fmt.date(e.dateRange.lastPurchase)}, by purchase month`,
    description: `Stacked bars of the number of orders placed each month, delivered and not delivered, over ${e.ordersByMonth.length} months${e.dateRange.ordersBeforeShown ? ` (the last ${e.ordersByMonth.length} of ${e.dateRange.months}; ${fmt.int(e.dateRange.ordersBeforeShown)} orders of earlier months are not drawn)` : ''}.`,
    size: 'full',
    data,
    spec: {
      width: FULL_WIDTH,
      height: H,
      mark: { type: 'bar' },
      encoding: {
        x: { field: 'month', type: 'temporal', timeUnit: 'yearmonth', title: 'Purchase month', axis: { format: '%b %Y', labelAngle: -40, tickCount: 'month' } },
        y: { field: 'orders', type: 'quantitative', title: 'Orders', stack: 'zero', axis: { format: axisFormat.int } },
        color: { field: 'status', type: 'nominal', title: null, scale: { range: [COLORS.primary, COLORS.neutral] }, legend: { orient: 'top-left', direction: 'horizontal' } },
        order: { field: 'status', sort: 'ascending' },
      },
    },
  };
}

function orderValue(e: ExplorationStats): ChartDef {
  const v = e.orderValue;
  return {
    id: 'order-value',
    title: 'Order value',
    subtitle: `Median ${fmt.brl(v.median)}, mean ${fmt.brl(v.mean)}, 90% of orders below ${fmt.brl0(v.p90)}`,
    description: `Histogram of order values on a logarithmic scale (ten bins per power of ten). The distribution is skewed to the right: the mean (${fmt.brl(v.mean)}) is above the median (${fmt.brl(v.median)}) and a few orders reach ${fmt.brl0(v.max)}.`,
    size: 'half',
    data: v.bins.map((b) => ({ from: b.from, to: b.to, orders: b.count })),
    spec: {
      width: HALF_WIDTH,
      height: H,
      layer: [
        {
          mark: { type: 'bar', color: COLORS.primary, stroke: '#fff', strokeWidth: 0.5 },
          encoding: {
            x: { field: 'from', type: 'quantitative', bin: { binned: true }, scale: { type: 'log' }, title: 'Order value (R$, log scale)', axis: { labelExpr: axisFormat.brlLabelExpr, values: [1, 10, 30, 100, 300, 1000, 3000, 10000], labelOverlap: true } },
            x2: { field: 'to' },
            y: { field: 'orders', type: 'quantitative', title: 'Orders', axis: { format: axisFormat.int } },
          },
        },
        {
          data: { values: [{ median: num(v.median), label: `median ${fmt.brl0(v.median)}` }] },
          layer: [
            { mark: { type: 'rule', color: COLORS.accent, strokeWidth: 2, strokeDash: [4, 3] }, encoding: { x: { field: 'median', type: 'quantitative' } } },
            { mark: { type: 'text', align: 'left', dx: 4, dy: -4, baseline: 'top', color: COLORS.accent, fontWeight: 600 }, encoding: { x: { field: 'median', type: 'quantitative' }, y: { value: 0 }, text: { field: 'label' } } },
          ],
        },
      ],
    },
  };
}

function reviewScores(e: ExplorationStats): ChartDef {
  const r = e.reviewScores;
  return {
    id: 'review-scores',
    title: 'Review scores',
    subtitle: `${fmt.int(r.n)} reviews, mean ${fmt.num(r.mean, 2)} out of 5; ${fmt.pct(r.ordersReviewedShare)} of orders have one`,
    description: `Bar chart of the share of reviews per score from 1 to 5 stars. ${fmt.pct(r.scores[4]?.share)} of reviews give 5 stars and ${fmt.pct((r.scores[0]?.share ?? 0) + (r.scores[1]?.share ?? 0))} give 1 or 2.`,
    size: 'half',
    data: r.scores.map((s) => ({ score: `${s.score} ★`, reviews: s.reviews, share: num(s.share, 4), label: fmt.pct(s.share), tone: s.score <= 2 ? 'low (1-2)' : s.score === 3 ? 'neutral (3)' : 'high (4-5)' })),
    spec: {
      width: HALF_WIDTH,
      height: H,
      encoding: {
        x: { field: 'score', type: 'ordinal', title: 'Review score (stars)', axis: { labelAngle: 0 } },
        y: { field: 'share', type: 'quantitative', title: 'Share of reviews', axis: { format: axisFormat.pct } },
      },
      layer: [
        { mark: { type: 'bar' }, encoding: { color: { field: 'tone', type: 'nominal', title: null, scale: { domain: ['low (1-2)', 'neutral (3)', 'high (4-5)'], range: [COLORS.bad, COLORS.neutral, COLORS.good] }, legend: null } } },
        { mark: { type: 'text', dy: -7 }, encoding: { text: { field: 'label' } } },
      ],
    },
  };
}

function ordersPerCustomer(e: ExplorationStats): ChartDef {
  const o = e.ordersPerCustomer;
  return {
    id: 'orders-per-customer',
    title: 'Orders per customer',
    subtitle: `${fmt.pct(o.oneOrderShare)} of ${fmt.int(o.customers)} customers ordered once (all statuses)`,
    description: `Bar chart of customers by number of orders: ${fmt.pct(o.oneOrderShare)} ordered once; the most orders by one customer is ${o.max}.`,
    size: 'half',
    data: o.bins.map((b) => ({ orders: b.orders, customers: b.customers, share: num(b.share, 4), label: `${fmt.int(b.customers)} (${fmt.pct(b.share)})` })),
    spec: {
      width: HALF_WIDTH,
      height: H,
      encoding: {
        x: { field: 'orders', type: 'ordinal', title: 'Orders per customer', sort: null, axis: { labelAngle: 0 } },
        y: { field: 'customers', type: 'quantitative', title: 'Customers', axis: { format: axisFormat.int } },
      },
      layer: [{ mark: { type: 'bar' } }, { mark: { type: 'text', dy: -7 }, encoding: { text: { field: 'label' } } }],
    },
  };
}

function deliveryDelay(e: ExplorationStats): ChartDef {
  const d = e.deliveryDelay;
  return {
    id: 'delivery-delay',
    title: 'Delivery compared with the promised date',
    subtitle: `${fmt.int(d.n)} delivered orders; median ${fmt.days(Math.abs(d.median))} ${d.median < 0 ? 'early' : 'late'}, ${fmt.pct(d.lateShare)} late`,
    description: `Histogram of delivered minus promised date in days (negative = early), clipped to ${d.clipLow}..${d.clipHigh} days (${fmt.int(d.belowClip)} earlier and ${fmt.int(d.aboveClip)} later orders are in the edge bins).`,
    size: 'half',
    data: d.bins.map((b) => ({ from: b.from, to: b.to, orders: b.count, when: b.from >= 0 ? 'on or after the promised day' : 'before the promised day' })),
    spec: {
      width: HALF_WIDTH,
      height: H,
      layer: [
        {
          mark: { type: 'bar', stroke: '#fff', strokeWidth: 0.5 },
          encoding: {
            x: { field: 'from', type: 'quantitative', bin: { binned: true }, title: 'Delivered minus promised date (days; negative = early)', scale: { domain: [d.clipLow, d.clipHigh] } },
            x2: { field: 'to' },
            y: { field: 'orders', type: 'quantitative', title: 'Orders', axis: { format: axisFormat.int } },
            color: { field: 'when', type: 'nominal', title: null, scale: { domain: ['before the promised day', 'on or after the promised day'], range: [COLORS.primary, COLORS.bad] }, legend: { orient: 'top', direction: 'horizontal' } },
          },
        },
        { data: { values: [{ x: 0 }] }, mark: { type: 'rule', color: COLORS.ink, strokeDash: [3, 3] }, encoding: { x: { field: 'x', type: 'quantitative' } } },
      ],
    },
  };
}

function delayVsReview(e: ExplorationStats): ChartDef {
  const r = e.delayVsReview;
  return {
    id: 'delay-vs-review',
    title: 'Late deliveries get worse reviews',
    subtitle: `Mean review score by delivery timing; Spearman correlation ${fmt.num(r.spearman, 2)} (Pearson ${fmt.num(r.pearson, 2)}) over ${fmt.int(r.n)} reviewed orders`,
    description: `Bar chart of the mean review score of delivered orders grouped by how early or late they arrived. Orders on time average ${fmt.num(r.onTimeMeanScore, 2)} stars, late orders ${fmt.num(r.lateMeanScore, 2)}.`,
    size: 'full',
    data: r.buckets.map((b) => ({ bucket: b.bucket, order: b.order, orders: b.orders, meanScore: num(b.meanScore, 3), lowScoreShare: num(b.lowScoreShare, 4), label: b.orders ? `${fmt.num(b.meanScore, 2)} ★\n${fmt.int(b.orders)} orders` : 'no orders' })),
    spec: {
      width: FULL_WIDTH,
      height: H,
      encoding: {
        x: { field: 'bucket', type: 'ordinal', title: 'Delivery compared with the promised date', sort: { field: 'order', op: 'min' }, axis: { labelAngle: 0, labelLimit: 120 } },
        y: { field: 'meanScore', type: 'quantitative', title: 'Mean review score (1-5)', scale: { domain: [1, 5] } },
      },
      layer: [
        { mark: { type: 'bar', clip: true }, encoding: { color: { field: 'meanScore', type: 'quantitative', title: 'Mean score', scale: { scheme: 'redyellowgreen', domain: [1, 5] }, legend: null } } },
        // Two short lines (score, then orders) fit above a bar of the narrowest band; one long line did not.
        { mark: { type: 'text', baseline: 'bottom', dy: -17, lineBreak: '\n', lineHeight: 13 }, encoding: { text: { field: 'label' } } },
      ],
    },
  };
}

function customersByState(e: ExplorationStats): ChartDef {
  const top = e.customersByState[0];
  return {
    id: 'customers-by-state',
    title: 'Customers by state',
    subtitle: `${e.counts.states} of Brazil's 27 states; ${top ? `${top.state} alone has ${fmt.pct(top.share)}` : ''}`,
    description: `Horizontal bar chart of the number of customers (people) per Brazilian state, largest first (29 bars at most: a state text that is not one of the 27 codes counts as other, an empty one as unknown).`,
    size: 'half',
    data: e.customersByState.map((s) => ({ state: s.state, customers: s.customers, share: num(s.share, 4), label: fmt.pct(s.share) })),
    spec: {
      width: HALF_WIDTH - 40,
      height: { step: 14 },
      encoding: {
        y: { field: 'state', type: 'nominal', title: 'State', sort: { field: 'customers', op: 'max', order: 'descending' } },
        x: { field: 'customers', type: 'quantitative', title: 'Customers', axis: { format: ',.0f' } },
      },
      layer: [{ mark: { type: 'bar' } }, { mark: { type: 'text', align: 'left', dx: 3, fontSize: 10 }, encoding: { text: { field: 'label' } } }],
    },
  };
}

function categoryMix(e: ExplorationStats): ChartDef {
  const c = e.categoryMix;
  return {
    id: 'category-mix',
    title: 'Category mix',
    subtitle: `Items sold per product category; top ${Math.min(c.categories.length, 15)} of ${c.totalCategories}`,
    description: `Horizontal bar chart of the number of items sold in each of the largest product categories, with the rest grouped as other.`,
    size: 'half',
    data: c.categories.map((x, i) => ({ category: x.category.replace(/_/g, ' '), rank: i, items: x.items, revenue: num(x.revenue, 2), share: num(x.share, 4), label: fmt.pct(x.share) })),
    spec: {
      width: HALF_WIDTH - 80,
      height: { step: 16 },
      encoding: {
        y: { field: 'category', type: 'nominal', title: null, sort: { field: 'rank', op: 'min' } },
        x: { field: 'items', type: 'quantitative', title: 'Items sold', axis: { format: ',.0f' } },
      },
      layer: [{ mark: { type: 'bar', color: COLORS.primary } }, { mark: { type: 'text', align: 'left', dx: 3, fontSize: 10 }, encoding: { text: { field: 'label' } } }],
    },
  };
}

function orderStatus(e: ExplorationStats): ChartDef {
  return {
    id: 'order-status',
    title: 'Order status',
    subtitle: 'Only delivered orders count for the customer features',
    description: `Horizontal bar chart of the number of orders per status: ${e.orderStatus.map((s) => `${s.status} ${fmt.pct(s.share)}`).join(', ')}.`,
    size: 'half',
    data: e.orderStatus.map((s) => ({ status: s.status, orders: s.orders, share: num(s.share, 4), label: `${fmt.int(s.orders)} (${fmt.pct(s.share)})` })),
    spec: {
      width: HALF_WIDTH - 60,
      height: { step: 18 },
      encoding: {
        y: { field: 'status', type: 'nominal', title: null, sort: { field: 'orders', op: 'max', order: 'descending' } },
        x: { field: 'orders', type: 'quantitative', title: 'Orders', axis: { format: axisFormat.int } },
      },
      layer: [
        { mark: { type: 'bar' }, encoding: { color: { condition: { test: "datum.status === 'delivered'", value: COLORS.primary }, value: COLORS.neutral } } },
        { mark: { type: 'text', align: 'left', dx: 3, fontSize: 10 }, encoding: { text: { field: 'label' } } },
      ],
    },
  };
}

function missingValues(e: ExplorationStats): ChartDef {
  return {
    id: 'missing-values',
    title: 'Missing values by column',
    subtitle: 'Share of rows without a value',
    description: `Horizontal bar chart of the share of missing values per column: ${e.missing.map((m) => `${m.table}.${m.column} ${fmt.pct(m.share, 2)}`).join('; ')}.`,
    size: 'full',
    data: e.missing.map((m) => ({ column: `${m.table}.${m.column}`, missing: m.missing, share: num(m.share, 5), label: `${fmt.int(m.missing)} (${fmt.pct(m.share, 1)})` })),
    spec: {
      width: FULL_WIDTH - 320,
      height: { step: 20 },
      encoding: {
        y: { field: 'column', type: 'nominal', title: null, sort: null, axis: { labelLimit: 320 } },
        x: { field: 'share', type: 'quantitative', title: 'Share missing', ...shareAxis(Math.max(0.01, ...e.missing.map((m) => m.share))) },
      },
      layer: [{ mark: { type: 'bar', color: COLORS.accent } }, { mark: { type: 'text', align: 'left', dx: 3, fontSize: 10 }, encoding: { text: { field: 'label' } } }],
    },
  };
}
