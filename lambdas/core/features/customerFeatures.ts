/**
 * One feature row per person (customer_unique_id), computed as of a date.
 *
 * What counts as of T, and why:
 * - An order counts once it has reached the customer: status `delivered` and delivered on or before T
 *   (an order still in transit at T, or canceled, unavailable, shipped... in the export, does not).
 *   Delivered orders without a delivery date (8 in the real export) count from their purchase date.
 *   Only customers with at least one counted order get a row: the others never received anything,
 *   so there is no spend or experience to segment on; they are counted separately (notCounted).
 * - A review counts once it is known: answered (or, without an answer time, created) on or before T.
 * - Recency is measured from T to the last counted purchase, so features computed at an earlier T never
 *   see later orders, deliveries or reviews (no history leaks into past snapshots).
 *
 * Definitions (per customer, over counted orders):
 *   recencyDays        days from the last purchase to T
 *   frequency          number of orders
 *   monetary           sum of payment_value (item prices when an order has no payment row)
 *   reviewScore        mean over reviewed orders of the order's mean review score; NaN when no review
 *                      is known (filled later by the model's documented imputation rule, never 0)
 *   deliveryDelayDays  mean of delivered - estimated date, in days (negative = early); 0 when unknown
 *   lateShare          share of orders delivered after the estimated day
 *   items              number of items bought
 *   categories         number of distinct product categories (products without one count as 'unknown')
 *   installments       mean over orders of the order's largest number of installments; 1 when unknown
 */
import { FEATURE_NAMES, FeatureName } from '../model/types';
import { Matrix, createMatrix } from '../util/matrix';
import { OlistData } from '../olist/load';
import { ORDER_STATUSES } from '../olist/tables';

export const DAY_MS = 86_400_000;
const DELIVERED = ORDER_STATUSES.indexOf('delivered');

export const FEATURE_INDEX: Record<FeatureName, number> = Object.fromEntries(FEATURE_NAMES.map((f, i) => [f, i])) as Record<FeatureName, number>;

export interface FeatureTable {
  asOf: number;
  /** customer_unique_id of each row. */
  customerIds: string[];
  /** Row -> index into OlistData.customerIds. */
  customerIndex: Int32Array;
  /** Raw feature values, FEATURE_NAMES order; reviewScore is NaN for customers without a known review. */
  values: Matrix;
  /** Time of each customer's first counted purchase (to tell new customers from known ones). */
  firstPurchase: Float64Array;
  /** Customers with orders up to T but none counted (canceled, unavailable, in transit...). */
  notCounted: number;
  /** Customers with at least one order purchased up to T. */
  customersWithOrders: number;
}

/** The last purchase timestamp in the data: the default as-of date. */
export function lastPurchase(data: OlistData): number {
  let max = -Infinity;
  const p = data.orders.purchase;
  for (let i = 0; i < p.length; i++) if (p[i] > max) max = p[i];
  return max;
}

export function firstPurchase(data: OlistData): number {
  let min = Infinity;
  const p = data.orders.purchase;
  for (let i = 0; i < p.length; i++) if (p[i] < min) min = p[i];
  return min;
}

/** Whether an order counts as of T (see the rules above). */
export function orderCounts(data: OlistData, o: number, asOf: number): boolean {
  const ord = data.orders;
  if (ord.status[o] !== DELIVERED || !(ord.purchase[o] <= asOf)) return false;
  const d = ord.delivered[o];
  return Number.isNaN(d) || d <= asOf;
}

export function computeFeatures(data: OlistData, asOf: number = lastPurchase(data)): FeatureTable {
  const ord = data.orders;
  const nc = data.customerIds.length;
  const counted = new Uint8Array(ord.count);
  const orders = new Int32Array(nc);
  const anyOrder = new Uint8Array(nc);
  const last = new Float64Array(nc).fill(-Infinity);
  const first = new Float64Array(nc).fill(Infinity);
  const spend = new Float64Array(nc);
  const delaySum = new Float64Array(nc);
  const delayN = new Int32Array(nc);
  const late = new Int32Array(nc);
  const items = new Int32Array(nc);
  const instSum = new Float64Array(nc);
  const instN = new Int32Array(nc);

  for (let o = 0; o < ord.count; o++) {
    const c = ord.customer[o];
    if (ord.purchase[o] <= asOf) anyOrder[c] = 1;
    if (!orderCounts(data, o, asOf)) continue;
    counted[o] = 1;
    orders[c]++;
    const t = ord.purchase[o];
    if (t > last[c]) last[c] = t;
    if (t < first[c]) first[c] = t;
    spend[c] += Number.isNaN(ord.payment[o]) ? ord.itemValue[o] : ord.payment[o];
    const d = ord.delivered[o];
    const e = ord.estimated[o];
    if (!Number.isNaN(d) && !Number.isNaN(e)) {
      delaySum[c] += (d - e) / DAY_MS;
      delayN[c]++;
      // The estimate is a day (00:00:00): a delivery is late only after that day has ended.
      if (d >= e + DAY_MS) late[c]++;
    }
    items[c] += ord.itemCount[o];
    if (!Number.isNaN(ord.installments[o])) {
      instSum[c] += ord.installments[o];
      instN[c]++;
    }
  }

  // Reviews: mean per order first (an order can have two), then mean over the customer's orders.
  const rv = data.reviews;
  const orderScore = new Float64Array(ord.count);
  const orderScoreN = new Uint8Array(ord.count);
  for (let r = 0; r < rv.count; r++) {
    const o = rv.order[r];
    if (counted[o] && rv.known[r] <= asOf) {
      orderScore[o] += rv.score[r];
      orderScoreN[o]++;
    }
  }
  const scoreSum = new Float64Array(nc);
  const scoreN = new Int32Array(nc);
  for (let o = 0; o < ord.count; o++) {
    if (orderScoreN[o]) {
      const c = ord.customer[o];
      scoreSum[c] += orderScore[o] / orderScoreN[o];
      scoreN[c]++;
    }
  }

  const categories = distinctCategories(data, counted, nc);

  let rows = 0;
  let withOrders = 0;
  for (let c = 0; c < nc; c++) {
    if (orders[c]) rows++;
    if (anyOrder[c]) withOrders++;
  }
  const nf = FEATURE_NAMES.length;
  const values = createMatrix(rows, nf);
  const customerIds: string[] = new Array(rows);
  const customerIndex = new Int32Array(rows);
  const firstPurchase = new Float64Array(rows);
  const F = FEATURE_INDEX;
  let r = 0;
  for (let c = 0; c < nc; c++) {
    if (!orders[c]) continue;
    const row = r * nf;
    const v = values.data;
    v[row + F.recencyDays] = (asOf - last[c]) / DAY_MS;
    v[row + F.frequency] = orders[c];
    v[row + F.monetary] = spend[c];
    v[row + F.reviewScore] = scoreN[c] ? scoreSum[c] / scoreN[c] : NaN;
    v[row + F.deliveryDelayDays] = delayN[c] ? delaySum[c] / delayN[c] : 0;
    v[row + F.lateShare] = delayN[c] ? late[c] / delayN[c] : 0;
    v[row + F.items] = items[c];
    v[row + F.categories] = categories[c];
    v[row + F.installments] = instN[c] ? instSum[c] / instN[c] : 1;
    customerIds[r] = data.customerIds[c];
    customerIndex[r] = c;
    firstPurchase[r] = first[c];
    r++;
  }
  return { asOf, customerIds, customerIndex, values, firstPurchase, notCounted: withOrders - rows, customersWithOrders: withOrders };
}

/** Distinct categories per customer over counted orders: sort (customer, category) keys and count runs. */
function distinctCategories(data: OlistData, counted: Uint8Array, nc: number): Int32Array {
  const ncat = data.categories.length;
  const keys = new Float64Array(data.itemOrder.length);
  let m = 0;
  for (let i = 0; i < data.itemOrder.length; i++) {
    const o = data.itemOrder[i];
    if (counted[o]) keys[m++] = data.orders.customer[o] * ncat + data.itemCategory[i];
  }
  const sorted = keys.subarray(0, m).sort();
  const out = new Int32Array(nc);
  for (let i = 0; i < m; i++) {
    if (i === 0 || sorted[i] !== sorted[i - 1]) out[Math.floor(sorted[i] / ncat)]++;
  }
  return out;
}
