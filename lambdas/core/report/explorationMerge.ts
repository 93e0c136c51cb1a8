/**
 * The exploration statistics of a whole export from those of its parts (the distributed path computes
 * explorationStats on each partition: every person's orders, items, payments and reviews are in one partition).
 *
 * Counts, histograms, months, states, statuses and payment types add up exactly, and so do means (weighted by their
 * counts). Medians, percentiles and the two correlations cannot be merged exactly: each partition is a uniform random
 * subset of the people (hash routing), so its median estimates the export's, and the merged value is the mean of the
 * partitions' values weighted by their counts. `approximate` lists those fields for the page to say so.
 */
import type { LoadIssues, TableReport } from '../olist/load';
import { fillMonths, type ExplorationStats, type HistogramBin } from './exploration';

const DAY_MS = 86_400_000;

/** The fields whose merged value is an estimate, in words (shown on the exploration page). */
export const MERGED_ESTIMATES =
  'order value median and percentiles, delivery delay median, and the delay-review correlations are means of the partitions\u2019 values (each partition is a random subset of the people); every count, histogram and mean is exact';

const share = (a: number, b: number) => (b ? a / b : 0);

/** Weighted mean of (value, weight) pairs, ignoring NaN values. */
function weighted(pairs: [number, number][]): number {
  let s = 0;
  let w = 0;
  for (const [v, n] of pairs) {
    if (!Number.isFinite(v) || !n) continue;
    s += v * n;
    w += n;
  }
  return w ? s / w : NaN;
}

function sumBy<T>(parts: readonly T[][], key: (x: T) => string, count: (x: T) => number): Map<string, number> {
  const out = new Map<string, number>();
  for (const list of parts) for (const x of list) out.set(key(x), (out.get(key(x)) ?? 0) + count(x));
  return out;
}

function mergeBins(parts: readonly HistogramBin[][]): HistogramBin[] {
  const byFrom = new Map<number, HistogramBin>();
  for (const list of parts) for (const b of list) {
    const e = byFrom.get(b.from);
    if (e) e.count += b.count;
    else byFrom.set(b.from, { ...b });
  }
  return [...byFrom.values()].sort((a, b) => a.from - b.from);
}

export interface WholeTables {
  /** The export's tables as uploaded (sizes of the raw objects), and which are read whole by every partition. */
  bytes: Record<string, number>;
  broadcast: ReadonlySet<string>;
  /** Rows dropped by the shuffle's joins (orders unknown), per child table. */
  orphans: Pick<LoadIssues, 'orphanItems' | 'orphanPayments' | 'orphanReviews'>;
}

/** Table reports of the whole export: rows add up, except for the tables every partition reads whole. */
export function mergeTableReports(parts: readonly TableReport[][], whole: WholeTables): TableReport[] {
  const first = parts.find((p) => p.length) ?? [];
  return first.map((t) => {
    const same = parts.map((p) => p.find((x) => x.table === t.table)).filter((x): x is TableReport => !!x);
    const broadcast = whole.broadcast.has(t.file);
    const sum = (f: (x: TableReport) => number) => (broadcast ? f(t) : same.reduce((a, x) => a + f(x), 0));
    return { ...t, rows: sum((x) => x.rows), invalidRows: sum((x) => x.invalidRows), bytes: whole.bytes[t.file] ?? t.bytes, sha256: '' };
  });
}

export function mergeIssues(parts: readonly LoadIssues[], orphans: WholeTables['orphans']): LoadIssues {
  const out: LoadIssues = { orphanItems: orphans.orphanItems, orphanPayments: orphans.orphanPayments, orphanReviews: orphans.orphanReviews, itemsWithUnknownProduct: 0, ordersWithoutPayment: 0, unknownStates: 0, firstUnknownStateLine: 0 };
  for (const p of parts) {
    for (const k of Object.keys(out) as (keyof LoadIssues)[]) if (k !== 'firstUnknownStateLine') out[k] += p[k];
  }
  // A partition's line numbers are those of its scattered files, not of the upload: no line to name (0: unknown).
  return out;
}

export function mergeExploration(parts: readonly ExplorationStats[], whole: WholeTables): ExplorationStats & { approximate: string } {
  const nonEmpty = parts.filter((p) => p.counts.orders > 0 || p.counts.customers > 0);
  if (!nonEmpty.length) throw new Error('no partition holds any person: nothing to explore');
  const sum = (f: (p: ExplorationStats) => number) => nonEmpty.reduce((a, p) => a + f(p), 0);
  const orders = sum((p) => p.counts.orders);
  const customers = sum((p) => p.counts.customers);

  const firsts = nonEmpty.map((p) => p.dateRange.firstPurchase).filter(Boolean).sort();
  const lasts = nonEmpty.map((p) => p.dateRange.lastPurchase).filter(Boolean).sort();
  const first = firsts[0] ?? '';
  const last = lasts[lasts.length - 1] ?? '';
  const byMonth = new Map<string, { delivered: number; notDelivered: number; revenue: number }>();
  for (const p of nonEmpty)
    for (const m of p.ordersByMonth) {
      const e = byMonth.get(m.month) ?? { delivered: 0, notDelivered: 0, revenue: 0 };
      e.delivered += m.delivered;
      e.notDelivered += m.notDelivered;
      e.revenue += m.revenue;
      byMonth.set(m.month, e);
    }
  const ordersByMonth = fillMonths([...byMonth.keys()]).map((month) => ({ month, ...(byMonth.get(month) ?? { delivered: 0, notDelivered: 0, revenue: 0 }) }));

  const status = sumBy(nonEmpty.map((p) => p.orderStatus), (s) => s.status, (s) => s.orders);
  const payment = sumBy(nonEmpty.map((p) => p.paymentTypes), (s) => s.type, (s) => s.orders);
  const states = sumBy(nonEmpty.map((p) => p.customersByState), (s) => s.state, (s) => s.customers);
  const missing = nonEmpty[0].missing.map((m, i) => {
    const n = sum((p) => p.missing[i].missing);
    const total = sum((p) => p.missing[i].total);
    // The only note holding a count (delivered orders without a delivery date): recount it.
    const note = m.note.replace(/^(.*?)(\d+)( delivered orders lack it.*)$/, (_, a, __, b) => `${a}${sum((p) => Number(/(\d+) delivered orders lack it/.exec(p.missing[i].note)?.[1] ?? 0))}${b}`);
    return { ...m, missing: n, total, share: share(n, total), note };
  });

  const ov = nonEmpty.map((p) => p.orderValue);
  const rs = nonEmpty.map((p) => p.reviewScores);
  const opc = nonEmpty.map((p) => p.ordersPerCustomer);
  const dd = nonEmpty.map((p) => p.deliveryDelay);
  const dr = nonEmpty.map((p) => p.delayVsReview);
  const reviews = sum((p) => p.reviewScores.n);
  const ordersReviewed = sum((p) => p.reviewScores.ordersReviewed);
  const buyers = sum((p) => p.ordersPerCustomer.customers);
  const perBins = nonEmpty[0].ordersPerCustomer.bins.map((b, i) => ({ ...b, customers: sum((p) => p.ordersPerCustomer.bins[i].customers) }));
  const delays = sum((p) => p.deliveryDelay.n);
  const onTimeN = (p: ExplorationStats) => p.delayVsReview.buckets.filter((b) => b.order < 4).reduce((a, b) => a + b.orders, 0);
  const lateN = (p: ExplorationStats) => p.delayVsReview.buckets.filter((b) => b.order >= 4).reduce((a, b) => a + b.orders, 0);
  const items = sum((p) => p.counts.items);
  const categories = sumBy(nonEmpty.map((p) => p.categoryMix.categories.filter((c) => !c.category.startsWith('other ('))), (c) => c.category, (c) => c.items);
  const revenue = sumBy(nonEmpty.map((p) => p.categoryMix.categories.filter((c) => !c.category.startsWith('other ('))), (c) => c.category, (c) => c.revenue);
  const top = nonEmpty[0].categoryMix.categories.filter((c) => !c.category.startsWith('other (')).length;
  const ranked = [...categories].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const shown = ranked.slice(0, top).map(([category, n]) => ({ category, items: n, revenue: revenue.get(category) ?? 0, share: share(n, items) }));
  const totalCategories = Math.max(...nonEmpty.map((p) => p.categoryMix.totalCategories));
  const restItems = items - shown.reduce((a, c) => a + c.items, 0);
  if (restItems > 0) shown.push({ category: `other (${Math.max(1, totalCategories - shown.length)} categories)`, items: restItems, revenue: sum((p) => p.categoryMix.categories.reduce((a, c) => a + c.revenue, 0)) - shown.reduce((a, c) => a + c.revenue, 0), share: share(restItems, items) });

  return {
    tables: mergeTableReports(
      nonEmpty.map((p) => p.tables.map((t) => ({ ...t, sha256: '' }))),
      whole,
    ).map(({ table, file, rows, bytes, extraColumns, invalidRows }) => ({ table, file, rows, bytes, extraColumns, invalidRows })),
    counts: { customers, orders, items, reviews, categories: totalCategories, states: states.size },
    dateRange: { firstPurchase: first, lastPurchase: last, days: first && last ? Math.round(((Date.parse(last) - Date.parse(first)) / DAY_MS) * 10) / 10 : 0, months: ordersByMonth.length },
    missing,
    issues: mergeIssues(
      nonEmpty.map((p) => p.issues),
      whole.orphans,
    ),
    orderStatus: [...status].map(([s, n]) => ({ status: s, orders: n, share: share(n, orders) })).sort((a, b) => b.orders - a.orders),
    paymentTypes: [...payment].map(([type, n]) => ({ type, orders: n, share: share(n, orders) })).sort((a, b) => b.orders - a.orders),
    orderValue: {
      n: sum((p) => p.orderValue.n),
      mean: weighted(ov.map((o) => [o.mean, o.n])),
      median: weighted(ov.map((o) => [o.median, o.n])),
      p90: weighted(ov.map((o) => [o.p90, o.n])),
      p99: weighted(ov.map((o) => [o.p99, o.n])),
      max: Math.max(...ov.map((o) => (Number.isFinite(o.max) ? o.max : -Infinity))),
      bins: mergeBins(ov.map((o) => o.bins)),
    },
    reviewScores: {
      n: reviews,
      mean: weighted(rs.map((r) => [r.mean, r.n])),
      ordersReviewed,
      ordersReviewedShare: orders ? ordersReviewed / orders : NaN,
      scores: nonEmpty[0].reviewScores.scores.map((s, i) => {
        const n = sum((p) => p.reviewScores.scores[i].reviews);
        return { score: s.score, reviews: n, share: share(n, reviews) };
      }),
    },
    ordersPerCustomer: {
      customers: buyers,
      oneOrderShare: buyers ? perBins[0].customers / buyers : NaN,
      mean: buyers ? orders / buyers : NaN,
      max: Math.max(...opc.map((o) => o.max)),
      bins: perBins.map((b) => ({ ...b, share: share(b.customers, buyers) })),
    },
    deliveryDelay: {
      n: delays,
      mean: weighted(dd.map((d) => [d.mean, d.n])),
      median: weighted(dd.map((d) => [d.median, d.n])),
      lateShare: weighted(dd.map((d) => [d.lateShare, d.n])),
      clipLow: dd[0].clipLow,
      clipHigh: dd[0].clipHigh,
      belowClip: sum((p) => p.deliveryDelay.belowClip),
      aboveClip: sum((p) => p.deliveryDelay.aboveClip),
      bins: mergeBins(dd.map((d) => d.bins)),
    },
    ordersByMonth,
    customersByState: [...states].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([state, n]) => ({ state, customers: n, share: share(n, customers) })),
    categoryMix: { totalCategories, categories: shown },
    delayVsReview: {
      n: sum((p) => p.delayVsReview.n),
      pearson: weighted(dr.map((d) => [d.pearson, d.n])),
      spearman: weighted(dr.map((d) => [d.spearman, d.n])),
      onTimeMeanScore: weighted(nonEmpty.map((p) => [p.delayVsReview.onTimeMeanScore, onTimeN(p)])),
      lateMeanScore: weighted(nonEmpty.map((p) => [p.delayVsReview.lateMeanScore, lateN(p)])),
      onTimeLowShare: weighted(nonEmpty.map((p) => [p.delayVsReview.onTimeLowShare, onTimeN(p)])),
      lateLowShare: weighted(nonEmpty.map((p) => [p.delayVsReview.lateLowShare, lateN(p)])),
      buckets: nonEmpty[0].delayVsReview.buckets.map((b, i) => {
        const n = sum((p) => p.delayVsReview.buckets[i].orders);
        return {
          ...b,
          orders: n,
          meanScore: weighted(nonEmpty.map((p) => [p.delayVsReview.buckets[i].meanScore, p.delayVsReview.buckets[i].orders])),
          lowScoreShare: weighted(nonEmpty.map((p) => [p.delayVsReview.buckets[i].lowScoreShare, p.delayVsReview.buckets[i].orders])),
        };
      }),
    },
    approximate: MERGED_ESTIMATES,
  };
}
