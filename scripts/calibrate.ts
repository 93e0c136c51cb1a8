/**
 * One-off calibration script: reads the real Olist export and prints, as JSON, the summary statistics
 * (rates, histograms, quantiles, small regressions) that the synthetic generator is fitted to.
 * Nothing row-level leaves this script: only aggregates.
 *
 *   npx tsx scripts/calibrate.ts [olistDir]          # JSON on stdout
 *   npx tsx scripts/calibrate.ts [olistDir] --ts     # the calibration.ts module on stdout
 *
 * The default directory is ../shared/olist beside the project root. Review statistics use only the
 * real review rows (provenance/real_reviews.txt), never the imputed ones; review text rates use the
 * byte-exact original head (provenance/reviews_head_original.csv), the only copy that kept line breaks.
 */
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse';
import { DAY, HOUR, PAYMENT_CODES, VALUE_BUCKETS, dayOf, formatTimestamp, outcomeBucket, parseTimestamp, valueBucket } from '../lambdas/core/generate/shared';

type Row = Record<string, string>;

async function readCsv(file: string): Promise<Row[]> {
  const rows: Row[] = [];
  const parser = createReadStream(file).pipe(parse({ columns: true, bom: true }));
  for await (const r of parser) rows.push(r as Row);
  return rows;
}

const ts = parseTimestamp;

function round(x: number, digits = 4): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  const p = Math.pow(10, digits - Math.ceil(Math.log10(Math.abs(x))));
  return Math.round(x * p) / p;
}

/** 101 quantiles (0%, 1%, ..., 100%) with linear interpolation, 4 significant digits. */
function quantiles(values: number[], points = 101): number[] {
  const s = Float64Array.from(values).sort();
  const out: number[] = [];
  for (let i = 0; i < points; i++) {
    const pos = (i / (points - 1)) * (s.length - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(lo + 1, s.length - 1);
    out.push(round(s[lo] + (s[hi] - s[lo]) * (pos - lo)));
  }
  return out;
}

function countBy<T>(items: Iterable<T>, key: (t: T) => string | number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of items) {
    const k = String(key(t));
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

function sortedEntries(rec: Record<string, number>): [string, number][] {
  return Object.entries(rec).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
}

function meanSd(xs: number[]): { mean: number; sd: number } {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const v = xs.reduce((a, b) => a + (b - m) * (b - m), 0) / Math.max(1, xs.length - 1);
  return { mean: round(m), sd: round(Math.sqrt(v)) };
}

function median(xs: number[]): number {
  const s = Float64Array.from(xs).sort();
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Least squares y = X b (small dense normal equations, Gauss-Jordan). */
function ols(X: number[][], y: number[]): { coef: number[]; residualSd: number } {
  const p = X[0].length;
  const A = Array.from({ length: p }, () => new Array(p + 1).fill(0));
  for (let i = 0; i < X.length; i++) {
    for (let a = 0; a < p; a++) {
      for (let b = 0; b < p; b++) A[a][b] += X[i][a] * X[i][b];
      A[a][p] += X[i][a] * y[i];
    }
  }
  for (let c = 0; c < p; c++) {
    let piv = c;
    for (let r = c + 1; r < p; r++) if (Math.abs(A[r][c]) > Math.abs(A[piv][c])) piv = r;
    [A[c], A[piv]] = [A[piv], A[c]];
    for (let r = 0; r < p; r++) {
      if (r === c) continue;
      const f = A[r][c] / A[c][c];
      for (let k = c; k <= p; k++) A[r][k] -= f * A[c][k];
    }
  }
  const coef = A.map((row, i) => row[p] / row[i]);
  let ss = 0;
  for (let i = 0; i < X.length; i++) {
    const e = y[i] - X[i].reduce((s, x, j) => s + x * coef[j], 0);
    ss += e * e;
  }
  return { coef: coef.map((c) => round(c)), residualSd: round(Math.sqrt(ss / (X.length - p))) };
}

export async function calibrate(dir: string): Promise<Record<string, unknown>> {
  const f = (name: string) => path.join(dir, name);
  const [customers, orders, items, payments, reviewsAll, products, sellers] = await Promise.all([
    readCsv(f('olist_customers_dataset.csv')),
    readCsv(f('olist_orders_dataset.csv')),
    readCsv(f('olist_order_items_dataset.csv')),
    readCsv(f('olist_order_payments_dataset.csv')),
    readCsv(f('olist_order_reviews_dataset.csv')),
    readCsv(f('olist_products_dataset.csv')),
    readCsv(f('olist_sellers_dataset.csv')),
  ]);
  const realPairs = new Set(
    readFileSync(f('provenance/real_reviews.txt'), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.trim()),
  );
  const reviews = reviewsAll.filter((r) => realPairs.has(`${r.review_id},${r.order_id}`));
  const headReviews = await readCsv(f('provenance/reviews_head_original.csv'));

  const custById = new Map(customers.map((c) => [c.customer_id, c]));
  const orderById = new Map(orders.map((o) => [o.order_id, o]));
  const productById = new Map(products.map((p) => [p.product_id, p]));
  const sellerById = new Map(sellers.map((s) => [s.seller_id, s]));
  const itemsByOrder = new Map<string, Row[]>();
  for (const it of items) {
    const l = itemsByOrder.get(it.order_id);
    if (l) l.push(it);
    else itemsByOrder.set(it.order_id, [it]);
  }
  const paysByOrder = new Map<string, Row[]>();
  for (const p of payments) {
    const l = paysByOrder.get(p.order_id);
    if (l) l.push(p);
    else paysByOrder.set(p.order_id, [p]);
  }

  // ---- people and their orders
  const ordersByPerson = new Map<string, Row[]>();
  for (const o of orders) {
    const u = custById.get(o.customer_id)!.customer_unique_id;
    const l = ordersByPerson.get(u);
    if (l) l.push(o);
    else ordersByPerson.set(u, [o]);
  }
  const ordersPerPerson = countBy(ordersByPerson.values(), (l) => l.length);
  const gaps: number[] = [];
  let repeatPeople = 0;
  let repeatSameZip = 0;
  for (const l of ordersByPerson.values()) {
    if (l.length < 2) continue;
    repeatPeople++;
    if (new Set(l.map((o) => custById.get(o.customer_id)!.customer_zip_code_prefix)).size === 1) repeatSameZip++;
    const t = l.map((o) => ts(o.order_purchase_timestamp)).sort((a, b) => a - b);
    for (let i = 1; i < t.length; i++) gaps.push((t[i] - t[i - 1]) / DAY);
  }

  // ---- time axis
  const purchase = orders.map((o) => ts(o.order_purchase_timestamp));
  const firstDay = dayOf(Math.min(...purchase));
  const lastDay = dayOf(Math.max(...purchase));
  const daily = new Array((lastDay - firstDay) / DAY + 1).fill(0);
  for (const t of purchase) daily[(dayOf(t) - firstDay) / DAY]++;
  const hourly = new Array(24).fill(0);
  for (const t of purchase) hourly[new Date(t).getUTCHours()]++;
  const monthly = countBy(orders, (o) => o.order_purchase_timestamp.slice(0, 7));

  // ---- status, per purchase month, and the timestamps present per status
  const statusByMonth: Record<string, Record<string, number>> = {};
  for (const o of orders) {
    const m = o.order_purchase_timestamp.slice(0, 7);
    const r = (statusByMonth[m] ??= {});
    r[o.order_status] = (r[o.order_status] ?? 0) + 1;
  }
  const timestampPatterns: Record<string, Record<string, number>> = {};
  for (const o of orders) {
    const k = `${o.order_approved_at ? 'A' : '-'}${o.order_delivered_carrier_date ? 'K' : '-'}${o.order_delivered_customer_date ? 'C' : '-'}`;
    const r = (timestampPatterns[o.order_status] ??= {});
    r[k] = (r[k] ?? 0) + 1;
  }

  // ---- delays
  const primaryType = (oid: string): string => {
    const ps = paysByOrder.get(oid) ?? [];
    return ps.find((p) => p.payment_type !== 'voucher')?.payment_type ?? ps[0]?.payment_type ?? 'credit_card';
  };
  const approvalHours: Record<string, number[]> = { boleto: [], other: [] };
  const carrierDays: number[] = [];
  const carrierFraction: number[] = [];
  const estimatedDaysByState: Record<string, number[]> = {};
  const onTimeRatio: number[] = [];
  const lateDays: number[] = [];
  const lateByMonth: Record<string, [number, number]> = {};
  const shippingLimitDays: number[] = [];
  for (const o of orders) {
    const P = ts(o.order_purchase_timestamp);
    const E = ts(o.order_estimated_delivery_date);
    const state = custById.get(o.customer_id)!.customer_state;
    const eDays = (E - dayOf(P)) / DAY;
    (estimatedDaysByState[state] ??= []).push(eDays);
    if (o.order_approved_at) {
      const A = ts(o.order_approved_at);
      if (A >= P) approvalHours[primaryType(o.order_id) === 'boleto' ? 'boleto' : 'other'].push((A - P) / HOUR);
      if (o.order_delivered_carrier_date) {
        const K = ts(o.order_delivered_carrier_date);
        if (K >= A) carrierDays.push((K - A) / DAY);
        if (o.order_delivered_customer_date) {
          const C = ts(o.order_delivered_customer_date);
          if (K >= A && C > K) carrierFraction.push((K - A) / (C - A));
        }
      }
    }
    if (o.order_status === 'delivered' && o.order_delivered_customer_date) {
      const C = ts(o.order_delivered_customer_date);
      const m = o.order_purchase_timestamp.slice(0, 7);
      const r = (lateByMonth[m] ??= [0, 0]);
      r[1]++;
      if (C > E) {
        r[0]++;
        lateDays.push((C - E) / DAY);
      } else if (C > P) onTimeRatio.push((C - P) / (E - P));
    }
    for (const it of itemsByOrder.get(o.order_id) ?? []) {
      shippingLimitDays.push((ts(it.shipping_limit_date) - P) / DAY);
      break;
    }
  }
  const estimatedStateMedian: Record<string, number> = {};
  const estimatedRatio: number[] = [];
  for (const [s, v] of Object.entries(estimatedDaysByState)) {
    const m = median(v);
    estimatedStateMedian[s] = m;
    for (const d of v) estimatedRatio.push(d / m);
  }
  let lastTimestamp = 0;
  for (const o of orders)
    for (const k of ['order_purchase_timestamp', 'order_approved_at', 'order_delivered_carrier_date', 'order_delivered_customer_date'])
      if (o[k]) lastTimestamp = Math.max(lastTimestamp, ts(o[k]));

  // ---- geography
  const geo = (rows: Row[], zipKey: string, cityKey: string, stateKey: string, topCities: number) => {
    const byState: Record<string, { n: number; cities: Map<string, number[]> }> = {};
    for (const r of rows) {
      const s = (byState[r[stateKey]] ??= { n: 0, cities: new Map() });
      s.n++;
      const zs = s.cities.get(r[cityKey]);
      if (zs) zs.push(+r[zipKey]);
      else s.cities.set(r[cityKey], [+r[zipKey]]);
    }
    return Object.entries(byState)
      .sort((a, b) => b[1].n - a[1].n)
      .map(([state, s]) => ({
        state,
        n: s.n,
        cities: [...s.cities.entries()]
          .filter(([city]) => /^[a-z][a-z '.-]*$/.test(city))
          .sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1))
          .slice(0, topCities)
          .map(([city, zips]) => {
            const q = quantiles(zips, 21);
            return [city, zips.length, Math.round(q[1]), Math.round(q[19])] as [string, number, number, number];
          }),
      }));
  };
  // people (customer_unique_id), located at their first order's address
  const people = [...ordersByPerson.values()].map((l) => custById.get(l[0].customer_id)!);

  // ---- items, products, categories, prices, freight
  const itemsPerOrder = countBy(itemsByOrder.values(), (l) => l.length);
  let multi = 0;
  let multiSameProduct = 0;
  let multiDiffSameSeller = 0;
  const distinctProducts: Record<string, number> = {};
  for (const l of itemsByOrder.values()) {
    if (l.length < 2) continue;
    multi++;
    const np = new Set(l.map((i) => i.product_id)).size;
    if (np === 1) multiSameProduct++;
    else {
      distinctProducts[np] = (distinctProducts[np] ?? 0) + 1;
      if (new Set(l.map((i) => i.seller_id)).size === 1) multiDiffSameSeller++;
    }
  }
  const catOf = (pid: string) => productById.get(pid)!.product_category_name;
  const itemCategory = countBy(items, (i) => catOf(i.product_id));
  const productCategory = countBy(products, (p) => p.product_category_name);
  const logPriceByCat: Record<string, number[]> = {};
  for (const i of items) (logPriceByCat[catOf(i.product_id)] ??= []).push(Math.log(+i.price));
  const logWeightByCat: Record<string, number[]> = {};
  for (const p of products) if (p.product_weight_g && +p.product_weight_g > 0) (logWeightByCat[p.product_category_name] ??= []).push(Math.log(+p.product_weight_g));
  const categories = sortedEntries(itemCategory).map(([cat, n]) => {
    const lp = meanSd(logPriceByCat[cat]);
    const lw = meanSd(logWeightByCat[cat] ?? [Math.log(500)]);
    return { cat, items: n, products: productCategory[cat] ?? 0, logPrice: [lp.mean, lp.sd], logWeight: [lw.mean, lw.sd] };
  });
  const cents = new Array(100).fill(0);
  for (const i of items) cents[Math.round(+i.price * 100) % 100]++;
  // freight: log(freight) ~ 1 + log(weight) + [seller state != customer state]
  const fx: number[][] = [];
  const fy: number[] = [];
  let zeroFreight = 0;
  for (const i of items) {
    const fr = +i.freight_value;
    if (fr === 0) {
      zeroFreight++;
      continue;
    }
    const w = +productById.get(i.product_id)!.product_weight_g;
    if (!(w > 0)) continue;
    const cs = custById.get(orderById.get(i.order_id)!.customer_id)!.customer_state;
    const ss = sellerById.get(i.seller_id)!.seller_state;
    fx.push([1, Math.log(w), cs === ss ? 0 : 1]);
    fy.push(Math.log(fr));
  }
  const freight = ols(fx, fy);
  const itemsPerProduct = Object.values(countBy(items, (i) => i.product_id));
  const itemsPerSeller = Object.values(countBy(items, (i) => i.seller_id));
  const num = (rows: Row[], k: string) => rows.filter((r) => r[k] !== '').map((r) => +r[k]);

  // ---- payments
  const paymentPatterns: Record<string, number> = {};
  const voucherShare: number[] = [];
  const installmentsByBucket: Record<string, number>[] = VALUE_BUCKETS.map(() => ({})).concat([{}]);
  let canceledNotDefined = 0;
  for (const [oid, ps] of paysByOrder) {
    ps.sort((a, b) => +a.payment_sequential - +b.payment_sequential);
    const code = ps.map((p) => PAYMENT_CODES[p.payment_type]).join('');
    if (code === 'n') {
      if (orderById.get(oid)!.order_status === 'canceled') canceledNotDefined++;
      continue;
    }
    paymentPatterns[code] = (paymentPatterns[code] ?? 0) + 1;
    const total = ps.reduce((s, p) => s + +p.payment_value, 0);
    if (ps.length > 1 && code.includes('v') && !/^v+$/.test(code) && total > 0)
      voucherShare.push(ps.filter((p) => p.payment_type === 'voucher').reduce((s, p) => s + +p.payment_value, 0) / total);
    for (const p of ps) {
      if (p.payment_type !== 'credit_card') continue;
      const b = installmentsByBucket[valueBucket(total)];
      b[p.payment_installments] = (b[p.payment_installments] ?? 0) + 1;
    }
  }
  const canceledCount = orders.filter((o) => o.order_status === 'canceled').length;
  const noItemsByStatus = countBy(
    orders.filter((o) => !itemsByOrder.has(o.order_id)),
    (o) => o.order_status,
  );
  const statusCount = countBy(orders, (o) => o.order_status);

  // ---- reviews (real rows only)
  const reviewCount = countBy(reviewsAll, (r) => r.order_id);
  const scoreByOutcome: Record<string, number[]> = {};
  const creationOffset: Record<string, number> = {};
  const answerHours: number[] = [];
  const titleRate = [0, 0, 0, 0, 0];
  const messageRate = [0, 0, 0, 0, 0];
  const perScore = [0, 0, 0, 0, 0];
  for (const r of reviews) {
    const o = orderById.get(r.order_id)!;
    const E = ts(o.order_estimated_delivery_date);
    const C = o.order_delivered_customer_date ? ts(o.order_delivered_customer_date) : undefined;
    const multiItem = (itemsByOrder.get(o.order_id)?.length ?? 0) > 1;
    const key = `${outcomeBucket(C, E)}|${multiItem ? 'multi' : 'single'}`;
    const h = (scoreByOutcome[key] ??= [0, 0, 0, 0, 0]);
    const s = +r.review_score;
    h[s - 1]++;
    const base = C === undefined ? dayOf(E) + 2 * DAY : Math.min(dayOf(C) + DAY, dayOf(E) + 2 * DAY);
    const off = Math.max(-60, Math.min(60, Math.round((dayOf(ts(r.review_creation_date)) - base) / DAY)));
    creationOffset[off] = (creationOffset[off] ?? 0) + 1;
    answerHours.push((ts(r.review_answer_timestamp) - ts(r.review_creation_date)) / HOUR);
    perScore[s - 1]++;
    if (r.review_comment_title) titleRate[s - 1]++;
    if (r.review_comment_message) messageRate[s - 1]++;
  }
  const headMessages = headReviews.map((r) => r.review_comment_message).filter((m) => m);
  const headTitles = headReviews.map((r) => r.review_comment_title).filter((m) => m);
  const delivered = orders.filter((o) => o.order_delivered_customer_date && o.order_status === 'delivered');
  const late = delivered.filter((o) => o.order_delivered_customer_date > o.order_estimated_delivery_date);
  const meanScore = (pred: (o: Row) => boolean) => {
    const xs = reviews.filter((r) => pred(orderById.get(r.order_id)!)).map((r) => +r.review_score);
    return round(xs.reduce((a, b) => a + b, 0) / xs.length, 3);
  };
  const rowValues = payments.map((p) => +p.payment_value);
  const orderValues = [...paysByOrder.values()].map((ps) => ps.reduce((s, p) => s + +p.payment_value, 0));
  const oneOrder = ordersPerPerson['1'] ?? 0;

  return {
    reference: {
      people: ordersByPerson.size,
      orders: orders.length,
      oneOrderShare: round(oneOrder / ordersByPerson.size),
      deliveredShare: round((statusCount.delivered ?? 0) / orders.length),
      lateShare: round(late.length / delivered.length),
      meanScoreOnTime: meanScore((o) => !!o.order_delivered_customer_date && o.order_delivered_customer_date <= o.order_estimated_delivery_date),
      meanScoreLate: meanScore((o) => !!o.order_delivered_customer_date && o.order_delivered_customer_date > o.order_estimated_delivery_date),
      meanScoreNotDelivered: meanScore((o) => !o.order_delivered_customer_date),
      paymentTypeShare: Object.fromEntries(sortedEntries(countBy(payments, (p) => p.payment_type)).map(([k, v]) => [k, round(v / payments.length)])),
      medianPaymentValue: round(median(rowValues)),
      medianOrderPayment: round(median(orderValues)),
      share2018: round(purchase.filter((t) => t >= Date.UTC(2018, 0, 1)).length / orders.length),
      itemsPerOrderMean: round(items.length / itemsByOrder.size),
      noReviewShare: round(orders.filter((o) => !reviewCount[o.order_id]).length / orders.length),
      spShare: round(customers.filter((c) => c.customer_state === 'SP').length / customers.length),
    },
    ordersPerPerson,
    repeatSameLocationShare: round(repeatSameZip / repeatPeople),
    repeatGapDays: quantiles(gaps),
    timeAxis: { firstDay: new Date(firstDay).toISOString().slice(0, 10), daily },
    monthly,
    hourly,
    statusByMonth,
    timestampPatterns,
    approvalHours: { boleto: quantiles(approvalHours.boleto), other: quantiles(approvalHours.other) },
    carrierDays: quantiles(carrierDays),
    carrierFraction: quantiles(carrierFraction),
    estimatedDaysMedianByState: estimatedStateMedian,
    estimatedDaysRatio: quantiles(estimatedRatio),
    lastTimestamp: formatTimestamp(lastTimestamp),
    lateShareByMonth: Object.fromEntries(Object.entries(lateByMonth).sort().map(([m, [l, n]]) => [m, round(l / n, 3)])),
    onTimeRatio: quantiles(onTimeRatio),
    lateDays: quantiles(lateDays),
    shippingLimitDays: quantiles(shippingLimitDays),
    customerGeo: geo(people, 'customer_zip_code_prefix', 'customer_city', 'customer_state', 25),
    sellerGeo: geo(sellers, 'seller_zip_code_prefix', 'seller_city', 'seller_state', 10),
    itemsPerOrder,
    multiItemSameProductShare: round(multiSameProduct / multi),
    multiItemDistinctProducts: distinctProducts,
    multiItemDiffProductSameSellerShare: round(multiDiffSameSeller / (multi - multiSameProduct)),
    noItemsShareByStatus: Object.fromEntries(Object.entries(noItemsByStatus).map(([s, n]) => [s, round(n / statusCount[s])])),
    categories,
    priceCents: cents,
    freight: { coef: freight.coef, residualSd: freight.residualSd, zeroShare: round(zeroFreight / items.length) },
    itemsPerProduct: quantiles(itemsPerProduct),
    itemsPerSeller: quantiles(itemsPerSeller),
    product: {
      nameLength: quantiles(num(products, 'product_name_lenght')),
      descriptionLength: quantiles(num(products, 'product_description_lenght')),
      photos: countBy(num(products, 'product_photos_qty'), (x) => x),
      lengthCm: quantiles(num(products, 'product_length_cm')),
      heightCm: quantiles(num(products, 'product_height_cm')),
      widthCm: quantiles(num(products, 'product_width_cm')),
      missingWeightShare: round(products.filter((p) => p.product_weight_g === '').length / products.length),
    },
    productsPerPerson: round(products.length / ordersByPerson.size),
    sellersPerPerson: round(sellers.length / ordersByPerson.size),
    paymentPatterns,
    canceledNotDefinedShare: round(canceledNotDefined / canceledCount),
    voucherShareOfMixed: quantiles(voucherShare),
    installmentsByValue: installmentsByBucket,
    reviews: {
      noReviewShare: round(orders.filter((o) => !reviewCount[o.order_id]).length / orders.length),
      secondReviewShare: round(Object.values(reviewCount).filter((n) => n > 1).length / Object.keys(reviewCount).length),
      scoreByOutcome,
      creationOffsetDays: creationOffset,
      answerHours: quantiles(answerHours),
      titleRateByScore: titleRate.map((n, i) => round(n / perScore[i], 3)),
      messageRateByScore: messageRate.map((n, i) => round(n / perScore[i], 3)),
      messageNewlineShare: round(headMessages.filter((m) => m.includes('\n')).length / headMessages.length, 3),
      messageQuoteShare: round(headMessages.filter((m) => m.includes('"')).length / headMessages.length, 3),
      messageCommaShare: round(headMessages.filter((m) => m.includes(',')).length / headMessages.length, 3),
      titleDigitShare: round(headTitles.filter((t) => /^\d/.test(t)).length / headTitles.length, 3),
    },
  };
}

/** Compact, diff-friendly literal: flat arrays and small flat objects inline (wrapped), anything nested one entry a line. */
function format(v: unknown, indent: string): string {
  const flat = (x: unknown) => x === null || typeof x !== 'object' || (Array.isArray(x) && x.every((e) => e === null || typeof e !== 'object'));
  const inner = indent + '  ';
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  const wrap = (parts: string[], open: string, close: string) => {
    const one = open + parts.join(', ') + close;
    if (one.length + indent.length <= 110) return one;
    const lines: string[] = [];
    let line = '';
    for (const p of parts) {
      if (line && line.length + p.length + 2 > 108 - inner.length) {
        lines.push(line + ',');
        line = '';
      }
      line += (line ? ', ' : '') + p;
    }
    lines.push(line + ',');
    return `${open.trim()}\n${lines.map((l) => inner + l).join('\n')}\n${indent}${close.trim()}`;
  };
  const key = (k: string) => (/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k));
  if (Array.isArray(v)) {
    if (v.every(flat)) return wrap(v.map((e) => format(e, inner)), '[', ']');
    return `[\n${v.map((e) => inner + format(e, inner)).join(',\n')},\n${indent}]`;
  }
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.every(([, e]) => flat(e))) return wrap(entries.map(([k, e]) => `${key(k)}: ${format(e, inner)}`), '{ ', ' }');
  return `{\n${entries.map(([k, e]) => `${inner}${key(k)}: ${format(e, inner)}`).join(',\n')},\n${indent}}`;
}

function toModule(c: Record<string, unknown>): string {
  const header = `/**
 * Calibration constants for the synthetic Olist generator.
 *
 * @generated: written by scripts/calibrate.ts, not by hand (exempt from the 500-line rule of
 * test/architecture/file-size.test.ts). To regenerate, with the real export beside the project:
 *   \`npx tsx scripts/calibrate.ts ../shared/olist --ts > lambdas/core/generate/calibration.ts\`
 *
 * DERIVED FROM THE REAL OLIST EXPORT (../shared/olist).
 * Only summary statistics appear here (rates, histograms, quantiles, regression coefficients,
 * per-state top-city shares with zip-prefix ranges); no row of the real data does.
 * Quantile arrays hold the 0%, 1%, ..., 100% points. Review figures rest on the real review rows only.
 * Source data: "Brazilian E-Commerce Public Dataset by Olist", CC BY-NC-SA 4.0 (attribution: Olist).
 */
/* eslint-disable */
`;
  const body = Object.entries(c)
    .map(([k, v]) => `export const ${k} = ${format(v, '')};\n`)
    .join('\n');
  return header + '\n' + body;
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const dir = args.find((a) => !a.startsWith('--')) ?? path.resolve(__dirname, '../../shared/olist');
  if (!existsSync(dir)) {
    console.error(`calibrate: ${dir} not found`);
    process.exit(1);
  }
  calibrate(dir).then((c) => process.stdout.write(args.includes('--ts') ? toModule(c) : JSON.stringify(c, null, 1) + '\n'));
}
