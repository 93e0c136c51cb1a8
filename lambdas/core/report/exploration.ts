/**
 * What a data scientist's exploration notebook would establish about an Olist export, computed from the
 * loaded columns (olist/load.ts) in a few linear passes: a plain, JSON-serialisable object that the
 * exploration page renders. Nothing here depends on the model.
 *
 * Definitions (stated on the page too):
 * - order value: sum of the order's payments (item prices when it has no payment row), every status;
 * - orders per customer: orders of any status per person (customer_unique_id);
 * - delivery delay: delivered date minus the estimated (promised) date in days, for delivered orders with
 *   both dates; late means delivered after the promised day has ended (the rule of the features);
 * - an order's review score: the mean of its reviews (some orders have two).
 */
import { LoadIssues, OlistData } from '../olist/load';
import { STATE_NAMES, UNKNOWN_STATE } from '../olist/states';
import { ORDER_STATUSES, PAYMENT_TYPES } from '../olist/tables';

const DAY_MS = 86_400_000;
/** Longest span of the orders-per-month chart (the latest months are shown). */
export const MAX_MONTHS = 120;
/** The order-value histogram ends at R$ 10 million: larger values fall in its last bin. */
const MAX_VALUE_DECADES = 7;
const DELIVERED = ORDER_STATUSES.indexOf('delivered');

export interface HistogramBin {
  /** Inclusive lower edge. */
  from: number;
  /** Exclusive upper edge. */
  to: number;
  count: number;
}

export interface MissingValue {
  table: string;
  column: string;
  missing: number;
  total: number;
  share: number;
  /** What a missing value means and how the product treats it. */
  note: string;
}

export interface DelayBucket {
  bucket: string;
  /** Sort order of the bucket (earliest first). */
  order: number;
  orders: number;
  meanScore: number;
  /** Share of the bucket's reviewed orders scored 1 or 2. */
  lowScoreShare: number;
}

export interface ExplorationStats {
  tables: { table: string; file: string; rows: number; bytes: number; extraColumns: string[]; invalidRows: number }[];
  /** states: how many of Brazil's 27 state codes occur. */
  counts: { customers: number; orders: number; items: number; reviews: number; categories: number; states: number };
  /** months: calendar months from the first to the last purchase; ordersByMonth shows the last MAX_MONTHS of them, and
   * ordersBeforeShown counts the orders of earlier months (absent in facts written before the bound: 0). */
  dateRange: { firstPurchase: string; lastPurchase: string; days: number; months: number; ordersBeforeShown?: number };
  missing: MissingValue[];
  issues: LoadIssues;
  orderStatus: { status: string; orders: number; share: number }[];
  paymentTypes: { type: string; orders: number; share: number }[];
  orderValue: { n: number; mean: number; median: number; p90: number; p99: number; max: number; bins: HistogramBin[] };
  reviewScores: { n: number; mean: number; ordersReviewed: number; ordersReviewedShare: number; scores: { score: number; reviews: number; share: number }[] };
  ordersPerCustomer: { customers: number; oneOrderShare: number; mean: number; max: number; bins: { orders: string; customers: number; share: number }[] };
  deliveryDelay: { n: number; mean: number; median: number; lateShare: number; clipLow: number; clipHigh: number; belowClip: number; aboveClip: number; bins: HistogramBin[] };
  ordersByMonth: { month: string; delivered: number; notDelivered: number; revenue: number }[];
  /** One entry per state code that occurs, plus "other" and "unknown": 29 at most, whatever the export. */
  customersByState: { state: string; customers: number; share: number }[];
  categoryMix: { totalCategories: number; categories: { category: string; items: number; revenue: number; share: number }[] };
  delayVsReview: { n: number; pearson: number; spearman: number; onTimeMeanScore: number; lateMeanScore: number; onTimeLowShare: number; lateLowShare: number; buckets: DelayBucket[] };
  /** Set when the statistics were merged from partitions (explorationMerge.ts): which values are estimates. */
  approximate?: string;
}

export interface ExplorationOptions {
  /** Categories shown individually; the rest is grouped as "other". */
  topCategories?: number;
  /** Delivery delays are drawn within [-clip, +clip] days (values outside are counted in the edge bins). */
  delayClipDays?: number;
}

export function explorationStats(data: OlistData, opts: ExplorationOptions = {}): ExplorationStats {
  const ord = data.orders;
  const n = ord.count;
  const topCategories = opts.topCategories ?? 15;
  const clip = opts.delayClipDays ?? 60;

  // --- date range and order status
  let first = Infinity;
  let last = -Infinity;
  const statusCounts = new Array<number>(ORDER_STATUSES.length).fill(0);
  const paymentCounts = new Array<number>(PAYMENT_TYPES.length + 1).fill(0);
  for (let o = 0; o < n; o++) {
    const t = ord.purchase[o];
    if (t < first) first = t;
    if (t > last) last = t;
    statusCounts[ord.status[o]]++;
    paymentCounts[ord.paymentType[o] === 255 ? PAYMENT_TYPES.length : ord.paymentType[o]]++;
  }
  if (!n) first = last = NaN;

  // --- order value
  const values = new Float64Array(n);
  for (let o = 0; o < n; o++) values[o] = Number.isNaN(ord.payment[o]) ? ord.itemValue[o] : ord.payment[o];
  const sortedValues = values.slice().sort();
  const orderValue = { n, mean: mean(values), median: quantile(sortedValues, 0.5), p90: quantile(sortedValues, 0.9), p99: quantile(sortedValues, 0.99), max: n ? sortedValues[n - 1] : NaN, bins: logBins(sortedValues) };

  // --- reviews: distribution and per-order mean score
  const rv = data.reviews;
  const scoreCounts = [0, 0, 0, 0, 0];
  const orderScoreSum = new Float64Array(n);
  const orderScoreN = new Uint8Array(n);
  let scoreSum = 0;
  for (let r = 0; r < rv.count; r++) {
    const s = rv.score[r];
    scoreCounts[s - 1]++;
    scoreSum += s;
    orderScoreSum[rv.order[r]] += s;
    orderScoreN[rv.order[r]]++;
  }
  let ordersReviewed = 0;
  for (let o = 0; o < n; o++) if (orderScoreN[o]) ordersReviewed++;
  const reviewScores = {
    n: rv.count,
    mean: rv.count ? scoreSum / rv.count : NaN,
    ordersReviewed,
    ordersReviewedShare: n ? ordersReviewed / n : NaN,
    scores: scoreCounts.map((c, i) => ({ score: i + 1, reviews: c, share: rv.count ? c / rv.count : 0 })),
  };

  // --- orders per customer (people with at least one order)
  const perCustomer = new Int32Array(data.customerIds.length);
  for (let o = 0; o < n; o++) perCustomer[ord.customer[o]]++;
  const perBins = [0, 0, 0, 0, 0];
  let buyers = 0;
  let maxOrders = 0;
  for (const c of perCustomer) {
    if (!c) continue;
    buyers++;
    perBins[Math.min(c, 5) - 1]++;
    if (c > maxOrders) maxOrders = c;
  }
  const ordersPerCustomer = {
    customers: buyers,
    oneOrderShare: buyers ? perBins[0] / buyers : NaN,
    mean: buyers ? n / buyers : NaN,
    max: maxOrders,
    bins: perBins.map((c, i) => ({ orders: i === 4 ? '5 or more' : String(i + 1), customers: c, share: buyers ? c / buyers : 0 })),
  };

  // --- delivery delay, and its relation with the review score
  const delays: number[] = [];
  const pairDelay: number[] = [];
  const pairScore: number[] = [];
  let late = 0;
  for (let o = 0; o < n; o++) {
    if (ord.status[o] !== DELIVERED) continue;
    const d = ord.delivered[o];
    const e = ord.estimated[o];
    if (Number.isNaN(d) || Number.isNaN(e)) continue;
    const delay = (d - e) / DAY_MS;
    delays.push(delay);
    if (d >= e + DAY_MS) late++;
    if (orderScoreN[o]) {
      pairDelay.push(delay);
      pairScore.push(orderScoreSum[o] / orderScoreN[o]);
    }
  }
  const sortedDelays = Float64Array.from(delays).sort();
  const delayBins: HistogramBin[] = [];
  const width = clip >= 30 ? 5 : clip >= 10 ? 2 : 1;
  for (let a = -clip; a < clip; a += width) delayBins.push({ from: a, to: a + width, count: 0 });
  let belowClip = 0;
  let aboveClip = 0;
  for (const d of delays) {
    if (d < -clip) belowClip++;
    if (d >= clip) aboveClip++;
    const idx = Math.min(delayBins.length - 1, Math.max(0, Math.floor((d + clip) / width)));
    delayBins[idx].count++;
  }
  const deliveryDelay = {
    n: delays.length,
    mean: mean(delays),
    median: quantile(sortedDelays, 0.5),
    lateShare: delays.length ? late / delays.length : NaN,
    clipLow: -clip,
    clipHigh: clip,
    belowClip,
    aboveClip,
    bins: delayBins,
  };
  const delayVsReview = delayReview(pairDelay, pairScore);

  // --- orders and revenue by month (UTC)
  const months = new Map<string, { delivered: number; notDelivered: number; revenue: number }>();
  for (let o = 0; o < n; o++) {
    const m = new Date(ord.purchase[o]).toISOString().slice(0, 7);
    let e = months.get(m);
    if (!e) months.set(m, (e = { delivered: 0, notDelivered: 0, revenue: 0 }));
    if (ord.status[o] === DELIVERED) e.delivered++;
    else e.notDelivered++;
    e.revenue += values[o];
  }
  // Bounded: the last MAX_MONTHS months at most (an order dated decades earlier must not make a chart of a thousand bars).
  const allMonths = fillMonths([...months.keys()]);
  const shownMonths = allMonths.slice(-MAX_MONTHS);
  let ordersBeforeShown = 0;
  for (const m of allMonths.slice(0, allMonths.length - shownMonths.length)) {
    const e = months.get(m);
    if (e) ordersBeforeShown += e.delivered + e.notDelivered;
  }
  const ordersByMonth = shownMonths.map((month) => ({ month, ...(months.get(month) ?? { delivered: 0, notDelivered: 0, revenue: 0 }) }));

  // --- customers by state (people, from their last customers row): Brazil's 27 codes, "other" and "unknown" at most
  const stateCounts = new Float64Array(STATE_NAMES.length);
  for (let i = 0; i < data.customerState.length; i++) stateCounts[data.customerState[i]]++;
  const missingState = stateCounts[UNKNOWN_STATE];
  const nCustomers = data.customerIds.length;
  const customersByState = Array.from(stateCounts, (customers, code) => ({ state: STATE_NAMES[code], customers, share: customers / nCustomers }))
    .filter((s) => s.customers > 0)
    .sort((a, b) => b.customers - a.customers || a.state.localeCompare(b.state));
  const knownStates = customersByState.filter((s) => s.state !== 'other' && s.state !== 'unknown').length;

  // --- category mix (item rows)
  const catItems = new Float64Array(data.categories.length);
  const catRevenue = new Float64Array(data.categories.length);
  let unknownCategoryItems = 0;
  for (let i = 0; i < data.itemCategory.length; i++) {
    const c = data.itemCategory[i];
    catItems[c]++;
    catRevenue[c] += data.itemPrice[i];
    if (c === 0) unknownCategoryItems++;
  }
  const nItems = data.itemCategory.length;
  const ranked = Array.from(catItems, (items, c) => ({ category: data.categories[c], items, revenue: catRevenue[c], share: nItems ? items / nItems : 0 }))
    .filter((c) => c.items > 0)
    .sort((a, b) => b.items - a.items || a.category.localeCompare(b.category));
  const shown = ranked.slice(0, topCategories);
  const rest = ranked.slice(topCategories);
  if (rest.length) {
    const items = rest.reduce((s, c) => s + c.items, 0);
    shown.push({ category: `other (${rest.length} categories)`, items, revenue: rest.reduce((s, c) => s + c.revenue, 0), share: nItems ? items / nItems : 0 });
  }

  // --- missing values by column
  let noDelivered = 0;
  let noDeliveredDelivered = 0;
  let noEstimated = 0;
  let noItems = 0;
  for (let o = 0; o < n; o++) {
    if (Number.isNaN(ord.delivered[o])) {
      noDelivered++;
      if (ord.status[o] === DELIVERED) noDeliveredDelivered++;
    }
    if (Number.isNaN(ord.estimated[o])) noEstimated++;
    if (!ord.itemCount[o]) noItems++;
  }
  const share = (a: number, b: number) => (b ? a / b : 0);
  const missing: MissingValue[] = [
    { table: 'orders', column: 'order_delivered_customer_date', missing: noDelivered, total: n, share: share(noDelivered, n), note: `mostly orders not delivered (yet); ${noDeliveredDelivered} delivered orders lack it and count from their purchase date` },
    { table: 'orders', column: 'order_estimated_delivery_date', missing: noEstimated, total: n, share: share(noEstimated, n), note: 'no delivery delay can be computed for these orders' },
    { table: 'orders', column: 'payments (no payment row)', missing: data.issues.ordersWithoutPayment, total: n, share: share(data.issues.ordersWithoutPayment, n), note: 'the order value falls back to the sum of item prices' },
    { table: 'orders', column: 'items (no item row)', missing: noItems, total: n, share: share(noItems, n), note: 'mostly canceled or unavailable orders' },
    { table: 'orders', column: 'reviews (no review)', missing: n - ordersReviewed, total: n, share: share(n - ordersReviewed, n), note: 'customers without any review get the documented imputation rule, never 0' },
    { table: 'products', column: 'product_category_name', missing: unknownCategoryItems, total: nItems, share: share(unknownCategoryItems, nItems), note: 'item rows whose product has no category; counted as the category "unknown"' },
    { table: 'customers', column: 'customer_state', missing: missingState, total: nCustomers, share: share(missingState, nCustomers), note: 'shown as "unknown" (a text that is not one of the 27 state codes is shown as "other")' },
  ];

  const months0 = allMonths.length;
  return {
    tables: data.tables.map((t) => ({ table: t.table, file: t.file, rows: t.rows, bytes: t.bytes, extraColumns: t.extraColumns, invalidRows: t.invalidRows })),
    counts: { customers: nCustomers, orders: n, items: nItems, reviews: rv.count, categories: ranked.length, states: knownStates },
    dateRange: {
      firstPurchase: Number.isFinite(first) ? new Date(first).toISOString() : '',
      lastPurchase: Number.isFinite(last) ? new Date(last).toISOString() : '',
      days: Number.isFinite(first) ? Math.round(((last - first) / DAY_MS) * 10) / 10 : 0,
      months: months0,
      ordersBeforeShown,
    },
    missing,
    issues: data.issues,
    orderStatus: ORDER_STATUSES.map((status, i) => ({ status, orders: statusCounts[i], share: share(statusCounts[i], n) }))
      .filter((s) => s.orders > 0)
      .sort((a, b) => b.orders - a.orders),
    paymentTypes: [...PAYMENT_TYPES, 'no payment']
      .map((type, i) => ({ type, orders: paymentCounts[i], share: share(paymentCounts[i], n) }))
      .filter((p) => p.orders > 0)
      .sort((a, b) => b.orders - a.orders),
    orderValue,
    reviewScores,
    ordersPerCustomer,
    deliveryDelay,
    ordersByMonth,
    customersByState,
    categoryMix: { totalCategories: ranked.length, categories: shown },
    delayVsReview,
  };
}

function mean(xs: ArrayLike<number>): number {
  if (!xs.length) return NaN;
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / xs.length;
}

/** Linear-interpolated quantile of sorted values. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (!n) return NaN;
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Histogram of positive money values on a log scale: 10 bins per decade, from R$ 1 (smaller values in the first bin). */
function logBins(sorted: Float64Array): HistogramBin[] {
  if (!sorted.length) return [];
  const perDecade = 10;
  const top = Math.min(10 ** MAX_VALUE_DECADES, Math.max(1, sorted[sorted.length - 1]));
  const nb = Math.max(1, Math.ceil(Math.log10(top) * perDecade + 1e-9));
  const bins: HistogramBin[] = [];
  for (let i = 0; i < nb; i++) bins.push({ from: round4(10 ** (i / perDecade)), to: round4(10 ** ((i + 1) / perDecade)), count: 0 });
  for (const v of sorted) {
    const i = v <= 1 ? 0 : Math.min(nb - 1, Math.floor(Math.log10(v) * perDecade));
    bins[i].count++;
  }
  // Trim empty bins at the low end (values of R$ 1-2 are rare), keep the range contiguous.
  let start = 0;
  while (start < bins.length - 1 && bins[start].count === 0) start++;
  return bins.slice(start);
}

function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

/** Every month from the first to the last, so gaps show as zero. */
export function fillMonths(keys: string[]): string[] {
  if (!keys.length) return [];
  const sorted = [...keys].sort();
  const out: string[] = [];
  let [y, m] = sorted[0].split('-').map(Number);
  const [ly, lm] = sorted[sorted.length - 1].split('-').map(Number);
  while (y < ly || (y === ly && m <= lm)) {
    out.push(`${y}-${String(m).padStart(2, '0')}`);
    m++;
    if (m > 12) {
      m = 1;
      y++;
    }
  }
  return out;
}

export const DELAY_BUCKETS: readonly { bucket: string; test: (days: number) => boolean }[] = [
  { bucket: '14+ d early', test: (d) => d <= -14 },
  { bucket: '7-13 d early', test: (d) => d > -14 && d <= -7 },
  { bucket: '1-6 d early', test: (d) => d > -7 && d <= -1 },
  { bucket: 'on the day', test: (d) => d > -1 && d < 1 },
  { bucket: '1-2 d late', test: (d) => d >= 1 && d < 3 },
  { bucket: '3-6 d late', test: (d) => d >= 3 && d < 7 },
  { bucket: '7-13 d late', test: (d) => d >= 7 && d < 14 },
  { bucket: '14+ d late', test: (d) => d >= 14 },
];

function delayReview(delay: number[], score: number[]): ExplorationStats['delayVsReview'] {
  const buckets = DELAY_BUCKETS.map((b, order) => ({ bucket: b.bucket, order, orders: 0, sum: 0, low: 0 }));
  let onTime = 0;
  let onTimeSum = 0;
  let onTimeLow = 0;
  let lateN = 0;
  let lateSum = 0;
  let lateLow = 0;
  for (let i = 0; i < delay.length; i++) {
    const d = delay[i];
    const s = score[i];
    const b = buckets[DELAY_BUCKETS.findIndex((x) => x.test(d))];
    b.orders++;
    b.sum += s;
    if (s <= 2) b.low++;
    if (d >= 1) {
      lateN++;
      lateSum += s;
      if (s <= 2) lateLow++;
    } else {
      onTime++;
      onTimeSum += s;
      if (s <= 2) onTimeLow++;
    }
  }
  return {
    n: delay.length,
    pearson: pearson(delay, score),
    spearman: pearson(ranks(delay), ranks(score)),
    onTimeMeanScore: onTime ? onTimeSum / onTime : NaN,
    lateMeanScore: lateN ? lateSum / lateN : NaN,
    onTimeLowShare: onTime ? onTimeLow / onTime : NaN,
    lateLowShare: lateN ? lateLow / lateN : NaN,
    buckets: buckets.map((b) => ({ bucket: b.bucket, order: b.order, orders: b.orders, meanScore: b.orders ? b.sum / b.orders : NaN, lowScoreShare: b.orders ? b.low / b.orders : NaN })),
  };
}

export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  if (n < 2) return NaN;
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const a = x[i] - mx;
    const b = y[i] - my;
    sxy += a * b;
    sxx += a * a;
    syy += b * b;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : NaN;
}

/** Ranks with ties given their average rank (for Spearman's correlation). */
export function ranks(x: ArrayLike<number>): Float64Array {
  const n = x.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a] - x[b]);
  const r = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && x[idx[j + 1]] === x[idx[i]]) j++;
    const avg = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) r[idx[t]] = avg;
    i = j + 1;
  }
  return r;
}
