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
 *
 * People without a counted order (canceled, unavailable, in transit or never delivered) are not clustered, but they
 * are people of the export with a service situation marketing must treat (service recovery, not promotion):
 * `uncounted` keeps them with their service group (SERVICE_GROUPS, the worst over their orders) and the same
 * features over the orders they placed up to T (delivery features NaN: nothing was delivered; review NaN when none).
 * With `everyone`, people whose orders all come after T (a handful of stray orders after the data's end) are kept
 * too, grouped by those orders, so that every person of the export has a row somewhere.
 */
import { FEATURE_NAMES, FeatureName } from '../domain/types';
import { Matrix, createMatrix } from '../util/matrix';
import { OlistData } from '../olist/load';
import { ORDER_STATUSES } from '../olist/tables';

export const DAY_MS = 86_400_000;
const DELIVERED = ORDER_STATUSES.indexOf('delivered');
const CANCELED = new Set([ORDER_STATUSES.indexOf('canceled'), ORDER_STATUSES.indexOf('unavailable')]);

export const FEATURE_INDEX: Record<FeatureName, number> = Object.fromEntries(FEATURE_NAMES.map((f, i) => [f, i])) as Record<FeatureName, number>;

/**
 * Service situation of a person without a delivered order, worst first:
 * - never-delivered: an order passed its estimated delivery date by more than OVERDUE_GRACE_DAYS without arriving;
 * - in-transit: an order not (yet) delivered, still within its promise;
 * - canceled: every order canceled or unavailable.
 */
export const SERVICE_GROUPS = ['never-delivered', 'in-transit', 'canceled'] as const;
export type ServiceGroup = (typeof SERVICE_GROUPS)[number];
export const OVERDUE_GRACE_DAYS = 7;

export interface UncountedPeople {
  customerIds: string[];
  /** Row -> index into OlistData.customerIds. */
  customerIndex: Int32Array;
  /** Index into SERVICE_GROUPS. */
  group: Uint8Array;
  /** FEATURE_NAMES order, over the orders they placed (see the header). */
  values: Matrix;
  /**
   * Days from the earliest promised (estimated) delivery date among their orders not canceled to T: > 0 = that many days
   * past the promise, <= 0 = the promise is still ahead; NaN when unknown (every order canceled, or no estimate). What
   * the reasons of the rule segments quote ("order 12 days past its promised date"). Optional: feature tables written
   * before it existed (features.bin) have none.
   */
  promiseDays?: Float64Array;
}

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
  /** People without a counted order, for the rule segments (empty unless asked for: computeFeatures' `uncounted`). */
  uncounted: UncountedPeople;
}

export interface FeatureOptions {
  /** Keep the people without a counted order (rule segments). Default false: the model and the simulation only need customers. */
  uncounted?: boolean;
  /** With `uncounted`: also the people whose orders all come after T (so that everyone in the export is somewhere). */
  everyone?: boolean;
}

/** The last purchase timestamp in the data. */
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

/** Weeks whose purchase count is at least this share of the median week still count as data. */
export const EFFECTIVE_END_SHARE = 0.1;

/** Purchases per UTC day: count and latest purchase time (mergeable: counts add, latest is a max). */
export type DailyPurchases = Map<number, { count: number; last: number }>;

export function dailyPurchases(purchase: ArrayLike<number>, into: DailyPurchases = new Map()): DailyPurchases {
  for (let i = 0; i < purchase.length; i++) {
    const t = purchase[i];
    if (Number.isNaN(t)) continue;
    const day = Math.floor(t / DAY_MS);
    const d = into.get(day);
    if (d) {
      d.count++;
      if (t > d.last) d.last = t;
    } else into.set(day, { count: 1, last: t });
  }
  return into;
}

/**
 * Where the data effectively ends (the default as-of date): the last purchase of the last day which, with the 7 days
 * before it, holds at least EFFECTIVE_END_SHARE (10%) of the median weekly purchase count (weeks with purchases,
 * counted in UTC weeks since the epoch). An export often closes with a few stray orders after its last full week
 * (the Olist export: 2018-09-03, then a few dozen orders, mostly canceled, up to 2018-10-17); taking the very last
 * purchase would add that gap to everyone's recency. Computed from daily counts, so the distributed path, which
 * only sees partitions, gets the same date from merged DailyPurchases.
 */
export function effectiveEndOfDays(days: DailyPurchases): number {
  if (!days.size) throw new Error('no orders');
  const weeks = new Map<number, number>();
  for (const [day, d] of days) weeks.set(Math.floor(day / 7), (weeks.get(Math.floor(day / 7)) ?? 0) + d.count);
  const counts = [...weeks.values()].sort((a, b) => a - b);
  const m = counts.length >> 1;
  const median = counts.length % 2 ? counts[m] : (counts[m - 1] + counts[m]) / 2;
  const need = Math.max(1, EFFECTIVE_END_SHARE * median);
  const sorted = [...days.keys()].sort((a, b) => a - b);
  let end = -Infinity;
  let lo = 0;
  let window = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    window += days.get(sorted[hi])!.count;
    while (sorted[lo] < sorted[hi] - 7) window -= days.get(sorted[lo++])!.count;
    if (window >= need) end = days.get(sorted[hi])!.last;
  }
  return Number.isFinite(end) ? end : days.get(sorted[sorted.length - 1])!.last;
}

export function effectiveEnd(data: OlistData): number {
  return effectiveEndOfDays(dailyPurchases(data.orders.purchase));
}

/** Whether an order counts as of T (see the rules above). */
export function orderCounts(data: OlistData, o: number, asOf: number): boolean {
  const ord = data.orders;
  if (ord.status[o] !== DELIVERED || !(ord.purchase[o] <= asOf)) return false;
  const d = ord.delivered[o];
  return Number.isNaN(d) || d <= asOf;
}

/** Per-customer sums over a set of orders (one pass over orders, one over reviews). */
interface Aggregates {
  orders: Int32Array;
  last: Float64Array;
  first: Float64Array;
  spend: Float64Array;
  delaySum: Float64Array;
  delayN: Int32Array;
  late: Int32Array;
  items: Int32Array;
  instSum: Float64Array;
  instN: Int32Array;
  scoreSum: Float64Array;
  scoreN: Int32Array;
  categories: Int32Array;
}

function aggregate(data: OlistData, include: Uint8Array, reviewsUpTo: number): Aggregates {
  const ord = data.orders;
  const nc = data.customerIds.length;
  const a: Aggregates = {
    orders: new Int32Array(nc),
    last: new Float64Array(nc).fill(-Infinity),
    first: new Float64Array(nc).fill(Infinity),
    spend: new Float64Array(nc),
    delaySum: new Float64Array(nc),
    delayN: new Int32Array(nc),
    late: new Int32Array(nc),
    items: new Int32Array(nc),
    instSum: new Float64Array(nc),
    instN: new Int32Array(nc),
    scoreSum: new Float64Array(nc),
    scoreN: new Int32Array(nc),
    categories: new Int32Array(0),
  };
  for (let o = 0; o < ord.count; o++) {
    if (!include[o]) continue;
    const c = ord.customer[o];
    a.orders[c]++;
    const t = ord.purchase[o];
    if (t > a.last[c]) a.last[c] = t;
    if (t < a.first[c]) a.first[c] = t;
    a.spend[c] += Number.isNaN(ord.payment[o]) ? ord.itemValue[o] : ord.payment[o];
    const d = ord.delivered[o];
    const e = ord.estimated[o];
    if (ord.status[o] === DELIVERED && !Number.isNaN(d) && !Number.isNaN(e)) {
      a.delaySum[c] += (d - e) / DAY_MS;
      a.delayN[c]++;
      // The estimate is a day (00:00:00): a delivery is late only after that day has ended.
      if (d >= e + DAY_MS) a.late[c]++;
    }
    a.items[c] += ord.itemCount[o];
    if (!Number.isNaN(ord.installments[o])) {
      a.instSum[c] += ord.installments[o];
      a.instN[c]++;
    }
  }
  // Reviews: mean per order first (an order can have two), then mean over the customer's orders.
  const rv = data.reviews;
  const orderScore = new Float64Array(ord.count);
  const orderScoreN = new Uint8Array(ord.count);
  for (let r = 0; r < rv.count; r++) {
    const o = rv.order[r];
    if (include[o] && rv.known[r] <= reviewsUpTo) {
      orderScore[o] += rv.score[r];
      orderScoreN[o]++;
    }
  }
  for (let o = 0; o < ord.count; o++) {
    if (orderScoreN[o]) {
      const c = ord.customer[o];
      a.scoreSum[c] += orderScore[o] / orderScoreN[o];
      a.scoreN[c]++;
    }
  }
  a.categories = distinctCategories(data, include, nc);
  return a;
}

/** One feature row (FEATURE_NAMES order) from the aggregates of customer c. */
function writeRow(v: Float64Array, at: number, a: Aggregates, c: number, asOf: number, delivered: boolean): void {
  const F = FEATURE_INDEX;
  v[at + F.recencyDays] = Math.max(0, (asOf - a.last[c]) / DAY_MS);
  v[at + F.frequency] = a.orders[c];
  v[at + F.monetary] = a.spend[c];
  v[at + F.reviewScore] = a.scoreN[c] ? a.scoreSum[c] / a.scoreN[c] : NaN;
  v[at + F.deliveryDelayDays] = delivered ? (a.delayN[c] ? a.delaySum[c] / a.delayN[c] : 0) : NaN;
  v[at + F.lateShare] = delivered ? (a.delayN[c] ? a.late[c] / a.delayN[c] : 0) : NaN;
  v[at + F.items] = a.items[c];
  v[at + F.categories] = a.categories[c];
  v[at + F.installments] = a.instN[c] ? a.instSum[c] / a.instN[c] : 1;
}

export function computeFeatures(data: OlistData, asOf: number = effectiveEnd(data), opts: FeatureOptions = {}): FeatureTable {
  const ord = data.orders;
  const nc = data.customerIds.length;
  const counted = new Uint8Array(ord.count);
  const anyOrder = new Uint8Array(nc);
  for (let o = 0; o < ord.count; o++) {
    if (ord.purchase[o] <= asOf) anyOrder[ord.customer[o]] = 1;
    if (orderCounts(data, o, asOf)) counted[o] = 1;
  }
  const a = aggregate(data, counted, asOf);

  let rows = 0;
  let withOrders = 0;
  for (let c = 0; c < nc; c++) {
    if (a.orders[c]) rows++;
    if (anyOrder[c]) withOrders++;
  }
  const nf = FEATURE_NAMES.length;
  const values = createMatrix(rows, nf);
  const customerIds: string[] = new Array(rows);
  const customerIndex = new Int32Array(rows);
  const firstPurchase = new Float64Array(rows);
  let r = 0;
  for (let c = 0; c < nc; c++) {
    if (!a.orders[c]) continue;
    writeRow(values.data, r * nf, a, c, asOf, true);
    customerIds[r] = data.customerIds[c];
    customerIndex[r] = c;
    firstPurchase[r] = a.first[c];
    r++;
  }
  const uncounted = opts.uncounted ? uncountedPeople(data, asOf, a.orders, anyOrder, opts.everyone === true) : emptyUncounted();
  return { asOf, customerIds, customerIndex, values, firstPurchase, notCounted: withOrders - rows, customersWithOrders: withOrders, uncounted };
}

export function emptyUncounted(): UncountedPeople {
  return { customerIds: [], customerIndex: new Int32Array(0), group: new Uint8Array(0), values: createMatrix(0, FEATURE_NAMES.length), promiseDays: new Float64Array(0) };
}

/** The people without a counted order, their service group and features (see the header). */
function uncountedPeople(data: OlistData, asOf: number, countedOrders: Int32Array, anyOrder: Uint8Array, everyone: boolean): UncountedPeople {
  const ord = data.orders;
  const nc = data.customerIds.length;
  const keep = (c: number) => !countedOrders[c] && (anyOrder[c] === 1 || everyone);
  // Orders considered: those placed up to T; for people with none up to T (everyone), all of theirs.
  const include = new Uint8Array(ord.count);
  const worst = new Uint8Array(nc).fill(255);
  const pastPromise = new Float64Array(nc).fill(NaN);
  const grace = OVERDUE_GRACE_DAYS * DAY_MS;
  for (let o = 0; o < ord.count; o++) {
    const c = ord.customer[o];
    if (!keep(c) || (anyOrder[c] && !(ord.purchase[o] <= asOf))) continue;
    include[o] = 1;
    let g: number;
    if (CANCELED.has(ord.status[o])) g = 2;
    else {
      const e = ord.estimated[o];
      g = !Number.isNaN(e) && asOf > e + grace ? 0 : 1;
      // The earliest promise decides the group (the most overdue order): the same order the reasons quote.
      if (!Number.isNaN(e) && !(asOf - e <= pastPromise[c] * DAY_MS)) pastPromise[c] = (asOf - e) / DAY_MS;
    }
    if (g < worst[c]) worst[c] = g;
  }
  const a = aggregate(data, include, asOf);
  let n = 0;
  for (let c = 0; c < nc; c++) if (worst[c] !== 255) n++;
  const nf = FEATURE_NAMES.length;
  const promiseDays = new Float64Array(n);
  const out: UncountedPeople = { customerIds: new Array(n), customerIndex: new Int32Array(n), group: new Uint8Array(n), values: createMatrix(n, nf), promiseDays };
  let r = 0;
  for (let c = 0; c < nc; c++) {
    if (worst[c] === 255) continue;
    writeRow(out.values.data, r * nf, a, c, asOf, false);
    out.customerIds[r] = data.customerIds[c];
    out.customerIndex[r] = c;
    out.group[r] = worst[c];
    promiseDays[r] = pastPromise[c];
    r++;
  }
  return out;
}

/** Distinct categories per customer over the included orders: sort (customer, category) keys and count runs. */
function distinctCategories(data: OlistData, include: Uint8Array, nc: number): Int32Array {
  const ncat = data.categories.length;
  const keys = new Float64Array(data.itemOrder.length);
  let m = 0;
  for (let i = 0; i < data.itemOrder.length; i++) {
    const o = data.itemOrder[i];
    if (include[o]) keys[m++] = data.orders.customer[o] * ncat + data.itemCategory[i];
  }
  const sorted = keys.subarray(0, m).sort();
  const out = new Int32Array(nc);
  for (let i = 0; i < m; i++) {
    if (i === 0 || sorted[i] !== sorted[i - 1]) out[Math.floor(sorted[i] / ncat)]++;
  }
  return out;
}
