/**
 * One person of a generated export: their orders over the time axis (a repeat buyer may move), and for each order its
 * status, items, payments, delivery timestamps and reviews, written as rows of the five per-order tables. Every draw
 * comes from the one seeded rng in a fixed order, so an export is the same for a seed.
 */
import type { Rng } from '../util/random';
import * as CALIBRATED from './calibrated';
import type { Place } from './calibrated';
import * as FORMAT from './exportFormat';
import type { CsvOut } from './exportFormat';
import type { Pools } from './pools';
import * as SAMPLERS from './samplers';
import * as SHARED from './shared';
import type { OutcomeBucket } from './shared';
import * as TEXTS from './texts';

// Plain-object copies of the imported namespaces: module-namespace getters are measurably slow in the hot loop.
// Module-scope aliases: a global lookup of `Math` in the per-customer loop is slow in sandboxed contexts
// (Jest's vm), where it cannot be cached.
const { exp, floor, log, max, min, round } = Math;
const { AXIS_END, AXIS_START, CAL, CUTOFF, MAX_FREIGHT_CENTS, OVERALL_LATE, PAYMENT_TYPES, T, drawZip, estimatedMedian, lateByMonth, noItemsByStatus } = { ...CALIBRATED };
const { hexId, money, q, qId, qText, tsOrEmpty, zip } = { ...FORMAT };
const { fromQuantiles } = { ...SAMPLERS };
const { DAY, HOUR, dayOf, formatTimestamp, outcomeBucket, valueBucket } = { ...SHARED };
const { reviewMessage, reviewTitle } = { ...TEXTS };

export interface Outs {
  customers: CsvOut;
  orders: CsvOut;
  items: CsvOut;
  payments: CsvOut;
  reviews: CsvOut;
}

function drawPurchase(rng: Rng): number {
  return AXIS_START + T.days.sample(rng) * DAY + T.hours.sample(rng) * HOUR + rng.int(3600) * 1000;
}

function gapMs(rng: Rng): number {
  return round(fromQuantiles(CAL.repeatGapDays, rng.next()) * 86_400) * 1000;
}

function purchaseTimes(k: number, rng: Rng): number[] {
  const t = new Array<number>(k);
  for (let attempt = 0; attempt < 20; attempt++) {
    const j = rng.int(k);
    t[j] = drawPurchase(rng);
    for (let i = j + 1; i < k; i++) t[i] = t[i - 1] + gapMs(rng);
    for (let i = j - 1; i >= 0; i--) t[i] = t[i + 1] - gapMs(rng);
    if (t[0] >= AXIS_START && t[k - 1] <= AXIS_END) return t;
  }
  // a very long history: squeeze it into the axis
  const span = t[k - 1] - t[0];
  const room = AXIS_END - AXIS_START;
  return t.map((x) => AXIS_START + floor(((x - t[0]) / max(span, 1)) * min(span, room)));
}

/** Split `total` cents into `n` non-negative parts with random (Dirichlet(1)) proportions. */
function split(total: number, n: number, rng: Rng): number[] {
  if (n === 1) return [total];
  const w: number[] = [];
  let s = 0;
  for (let i = 0; i < n; i++) {
    const x = -log(1 - rng.next());
    w.push(x);
    s += x;
  }
  const parts = w.map((x) => floor((total * x) / s));
  parts[n - 1] += total - parts.reduce((a, b) => a + b, 0);
  return parts;
}

export function generatePerson(rng: Rng, pools: Pools, out: Outs): number {
  const unique = hexId(rng);
  const k = +T.ordersPerPerson.sample(rng);
  let place = T.customerPlace(rng);
  let zipCode = drawZip(place, rng);
  const moveAt = k > 1 && rng.next() >= CAL.repeatSameLocationShare ? 1 + rng.int(k - 1) : -1;
  const times = purchaseTimes(k, rng);
  for (let o = 0; o < k; o++) {
    if (o === moveAt) {
      place = T.customerPlace(rng);
      zipCode = drawZip(place, rng);
    }
    generateOrder(rng, pools, out, unique, place, zipCode, times[o]);
  }
  return k;
}

function pickProduct(rng: Rng, pools: Pools): number {
  return pools.byCategory[T.categoryByItems.index(rng)].sample(rng);
}

function generateOrder(rng: Rng, pools: Pools, out: Outs, unique: string, place: Place, zipCode: number, P: number): void {
  const customerId = hexId(rng);
  const orderId = hexId(rng);
  out.customers.line(`${qId(customerId)},${qId(unique)},${zip(zipCode)},${q(place.city)},${place.state}`);
  const purchased = formatTimestamp(P);
  const month = purchased.slice(0, 7);
  let status = (T.statusByMonth.get(month) ?? T.statusOverall).sample(rng);
  const pattern = T.patterns.get(status)!.sample(rng);

  // items (drawn even when the order ends up with none, so that its payment has a plausible value)
  const n = +T.itemsPerOrder.sample(rng);
  const first = pickProduct(rng, pools);
  const products = [first];
  if (n > 1 && rng.next() >= CAL.multiItemSameProductShare) {
    const d = min(n, +T.distinctProducts.sample(rng));
    const s = pools.productSeller[first];
    const from = pools.sellerStart[s];
    const count = pools.sellerStart[s + 1] - from;
    const sameSeller = count > 1 && rng.next() < CAL.multiItemDiffProductSameSellerShare;
    for (let i = 1; i < d; i++) {
      let p = first;
      for (let tries = 0; tries < 8 && products.includes(p); tries++)
        p = sameSeller ? pools.sellerProducts[from + rng.int(count)] : pickProduct(rng, pools);
      products.push(p);
    }
  }
  const itemProduct: number[] = [];
  for (let i = 0; i < n; i++) itemProduct.push(i < products.length ? products[i] : products[rng.int(products.length)]);
  const freightOf = new Map<number, number>();
  let value = 0;
  for (const p of itemProduct) {
    let fr = freightOf.get(p);
    if (fr === undefined) {
      const w = pools.productWeight[p];
      const differ = pools.sellerState[pools.productSeller[p]] === place.state ? 0 : 1;
      const [b0, b1, b2] = CAL.freight.coef;
      fr =
        rng.next() < CAL.freight.zeroShare
          ? 0
          : min(MAX_FREIGHT_CENTS, round(100 * exp(b0 + b1 * log(w > 0 ? w : 500) + b2 * differ + CAL.freight.residualSd * rng.normal())));
      freightOf.set(p, fr);
    }
    value += pools.productPrice[p] + fr;
  }
  const hasItems = !(rng.next() < (noItemsByStatus[status] ?? 0));

  // payments
  const code = status === 'canceled' && rng.next() < CAL.canceledNotDefinedShare ? 'n' : T.paymentPatterns.sample(rng);
  let parts: number[];
  if (code === 'n') parts = [0];
  else if (code.length > 1 && code[0] !== 'v' && code.slice(1) === 'v'.repeat(code.length - 1)) {
    const vouchers = round(value * fromQuantiles(CAL.voucherShareOfMixed, rng.next()));
    parts = [value - vouchers, ...split(vouchers, code.length - 1, rng)];
  } else parts = split(value, code.length, rng);

  // timestamps
  const boleto = code.includes('b');
  let A: number | undefined;
  let K: number | undefined;
  let C: number | undefined;
  if (pattern[0] === 'A') A = P + round(fromQuantiles(boleto ? CAL.approvalHours.boleto : CAL.approvalHours.other, rng.next()) * 3600) * 1000;
  const stateMedian = estimatedMedian[place.state] ?? 24;
  const eDays = max(1, round(fromQuantiles(CAL.estimatedDaysRatio, rng.next()) * stateMedian));
  const start = A ?? P;
  // the estimate is given at purchase; a slow approval (boleto) never leaves it less than a day ahead
  const E = max(dayOf(P) + eDays * DAY, dayOf(start) + 2 * DAY);
  if (pattern[2] === 'C') {
    const late = rng.next() < (lateByMonth[month] ?? OVERALL_LATE);
    if (late) C = E + max(1, round(fromQuantiles(CAL.lateDays, rng.next()) * 86_400)) * 1000;
    else C = start + floor((fromQuantiles(CAL.onTimeRatio, rng.next()) * (E - start)) / 1000) * 1000;
    if (C <= start + HOUR) C = start + HOUR + floor((rng.next() * (E - start - HOUR)) / 1000) * 1000;
  }
  if (pattern[1] === 'K') {
    if (C !== undefined) K = start + floor((fromQuantiles(CAL.carrierFraction, rng.next()) * (C - start)) / 1000) * 1000;
    else K = start + round(fromQuantiles(CAL.carrierDays, rng.next()) * 86_400) * 1000;
  }
  // nothing happens after the export was taken
  if (C !== undefined && C > CUTOFF) {
    C = undefined;
    if (status === 'delivered') status = 'shipped';
  }
  if (K !== undefined && K > CUTOFF) {
    K = undefined;
    if (status === 'shipped') status = 'invoiced';
  }
  out.orders.line(`${qId(orderId)},${qId(customerId)},${status},${purchased},${tsOrEmpty(A)},${tsOrEmpty(K)},${tsOrEmpty(C)},${formatTimestamp(E)}`);

  if (hasItems) {
    const limit = formatTimestamp(P + round(fromQuantiles(CAL.shippingLimitDays, rng.next()) * 86_400) * 1000);
    for (let i = 0; i < n; i++) {
      const p = itemProduct[i];
      out.items.line(
        `${qId(orderId)},${i + 1},${qId(pools.productId[p])},${qId(pools.sellerId[pools.productSeller[p]])},${limit},${money(pools.productPrice[p])},${money(freightOf.get(p)!)}`,
      );
    }
  }
  const installmentTable = T.installments[valueBucket(value / 100)];
  for (let i = 0; i < code.length; i++) {
    const type = PAYMENT_TYPES[code[i]];
    const inst = type === 'credit_card' ? installmentTable.sample(rng) : '1';
    out.payments.line(`${qId(orderId)},${i + 1},${type},${inst},${money(parts[i])}`);
  }

  // reviews
  if (rng.next() < CAL.reviews.noReviewShare) return;
  const nReviews = rng.next() < CAL.reviews.secondReviewShare ? 2 : 1;
  const bucket: OutcomeBucket = outcomeBucket(C, E);
  const scores = T.scores.get(hasItems && n > 1 ? bucket + '|multi' : bucket + '|single')!;
  const base = C === undefined ? dayOf(E) + 2 * DAY : min(dayOf(C) + DAY, dayOf(E) + 2 * DAY);
  for (let r = 0; r < nReviews; r++) {
    const score = scores.sample(rng);
    let created = base + +T.creationOffset.sample(rng) * DAY;
    created = max(created, dayOf(P) + DAY); // (the export's surveys run past its last order, as here)
    const answered = created + round(fromQuantiles(CAL.reviews.answerHours, rng.next()) * 3600) * 1000;
    const title = rng.next() < CAL.reviews.titleRateByScore[score - 1] ? reviewTitle(score, CAL.reviews.titleDigitShare, rng) : '';
    const message =
      rng.next() < CAL.reviews.messageRateByScore[score - 1]
        ? reviewMessage(score, { comma: CAL.reviews.messageCommaShare, newline: CAL.reviews.messageNewlineShare, quote: CAL.reviews.messageQuoteShare }, rng)
        : '';
    out.reviews.line(`"${hexId(rng)}","${orderId}",${score},${qText(title)},${qText(message)},${formatTimestamp(created)},${formatTimestamp(answered)}`);
  }
}
