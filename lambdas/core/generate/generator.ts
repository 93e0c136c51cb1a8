/**
 * Synthetic Olist export: the product's embedded default data (the real export cannot be shipped).
 *
 * Writes the 8 tables of the Olist public export with the same file names, headers, quoting, number and
 * date formats and line endings, so a reader written for the real export parses them unchanged:
 * - headers fully quoted; LF line ends with a final newline (reviews: CRLF everywhere, including inside
 *   quoted comments); the translation file has a UTF-8 BOM, an unquoted header, CRLF and no final newline;
 * - ids are 32 lowercase hex chars, quoted only when they start with a digit (reviews: ids always quoted);
 * - zip prefixes zero-padded to 5 digits and quoted; money with 2 decimals; timestamps
 *   'YYYY-MM-DD HH:MM:SS' unquoted; missing values are empty fields; free text quoted only when it
 *   contains a comma, a double quote or a line break.
 *
 * The distributions come from calibration.ts (summary statistics of the real export). Generation is
 * deterministic for a seed (one createRng stream) and streams its output: products and sellers are small
 * pools (scaled sub-linearly with the number of customers); every customer is generated, written and
 * forgotten, so memory does not grow with N.
 */
import { createWriteStream, mkdirSync, writeFileSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { createRng, type Rng } from '../util/random';
import * as CALIBRATION from './calibration';
import { CATEGORY_TRANSLATION } from './categories';
import * as SHARED from './shared';
import type { OutcomeBucket } from './shared';
import * as TEXTS from './texts';
import { generatedProvenance, PROVENANCE_FILE } from '../olist/provenance';

// Plain-object copies of the imported namespaces: module-namespace getters are measurably slow in the hot loop.
// Module-scope aliases: a global lookup of `Math` in the per-customer loop is slow in sandboxed contexts
// (Jest's vm), where it cannot be cached.
const { SQRT2, abs, exp, floor, log, max, min, pow, round, sqrt } = Math;
const CAL = { ...CALIBRATION };
const { DAY, HOUR, OUTCOME_BUCKETS, dayOf, formatTimestamp, outcomeBucket, parseTimestamp, valueBucket } = { ...SHARED };
const { reviewMessage, reviewTitle } = { ...TEXTS };

export interface GenerateOptions {
  /** Number of people (customer_unique_id). Each order gets its own customer_id, as in the export. */
  customers: number;
  seed: number;
  outDir: string;
  /** Called about every 1% of the customers and at the end. */
  onProgress?: (done: number, total: number) => void;
}

export interface GenerateResult {
  /** Data rows written per file name (header excluded). */
  files: Record<string, number>;
  /** People generated (distinct customer_unique_id). */
  customers: number;
  orders: number;
}

export const FILES = {
  customers: 'olist_customers_dataset.csv',
  orders: 'olist_orders_dataset.csv',
  items: 'olist_order_items_dataset.csv',
  payments: 'olist_order_payments_dataset.csv',
  reviews: 'olist_order_reviews_dataset.csv',
  products: 'olist_products_dataset.csv',
  sellers: 'olist_sellers_dataset.csv',
  translation: 'product_category_name_translation.csv',
} as const;
export type TableName = keyof typeof FILES;

export const COLUMNS: Record<TableName, readonly string[]> = {
  customers: ['customer_id', 'customer_unique_id', 'customer_zip_code_prefix', 'customer_city', 'customer_state'],
  orders: [
    'order_id', 'customer_id', 'order_status', 'order_purchase_timestamp', 'order_approved_at',
    'order_delivered_carrier_date', 'order_delivered_customer_date', 'order_estimated_delivery_date',
  ],
  items: ['order_id', 'order_item_id', 'product_id', 'seller_id', 'shipping_limit_date', 'price', 'freight_value'],
  payments: ['order_id', 'payment_sequential', 'payment_type', 'payment_installments', 'payment_value'],
  reviews: [
    'review_id', 'order_id', 'review_score', 'review_comment_title', 'review_comment_message', 'review_creation_date',
    'review_answer_timestamp',
  ],
  products: [
    'product_id', 'product_category_name', 'product_name_lenght', 'product_description_lenght', 'product_photos_qty',
    'product_weight_g', 'product_length_cm', 'product_height_cm', 'product_width_cm',
  ],
  sellers: ['seller_id', 'seller_zip_code_prefix', 'seller_city', 'seller_state'],
  translation: ['product_category_name', 'product_category_name_english'],
};

/** Line terminator per table, as in the export. */
export const LINE_ENDINGS: Record<TableName, '\n' | '\r\n'> = {
  customers: '\n', orders: '\n', items: '\n', payments: '\n', reviews: '\r\n', products: '\n', sellers: '\n', translation: '\r\n',
};

/** The exact first line of each file (without its line terminator). */
export const HEADERS: Record<TableName, string> = Object.fromEntries(
  (Object.keys(COLUMNS) as TableName[]).map((t) => [
    t,
    t === 'translation' ? '\uFEFF' + COLUMNS[t].join(',') : COLUMNS[t].map((c) => `"${c}"`).join(','),
  ]),
) as Record<TableName, string>;

// ---------------------------------------------------------------- formatting

/** Hex ids: quoted when they start with a digit. */
function qId(s: string): string {
  const c = s.charCodeAt(0);
  return c >= 48 && c <= 57 ? '"' + s + '"' : s;
}
/** Plain strings: quoted when they start with a digit or hold a comma, quote or line break. */
function q(s: string): string {
  const c = s.charCodeAt(0);
  if ((c >= 48 && c <= 57) || /[",\r\n]/.test(s)) return `"${s.replace(/"/g, '""')}"`;
  return s;
}
/** Free text (review comments): quoted only when it holds a comma, quote or line break. */
function qText(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
const zip = (z: number) => `"${String(z).padStart(5, '0')}"`;
const money = (cents: number) => `${floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
const tsOrEmpty = (ms: number | undefined) => (ms === undefined ? '' : formatTimestamp(ms));

const HEX_PAIRS = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** 32 lowercase hex chars from four 32-bit draws of the rng. */
function hexId(rng: Rng): string {
  let s = '';
  for (let i = 0; i < 4; i++) {
    const x = floor(rng.next() * 4294967296);
    s += HEX_PAIRS[x >>> 24] + HEX_PAIRS[(x >>> 16) & 255] + HEX_PAIRS[(x >>> 8) & 255] + HEX_PAIRS[x & 255];
  }
  return s;
}

// ---------------------------------------------------------------- samplers

/** Weighted choice among values (cumulative weights, binary search). */
class Discrete<T> {
  private readonly cum: Float64Array;
  private readonly total: number;
  constructor(
    readonly values: readonly T[],
    weights: ArrayLike<number>,
  ) {
    this.cum = new Float64Array(values.length);
    let s = 0;
    for (let i = 0; i < values.length; i++) this.cum[i] = s += max(0, weights[i]);
    this.total = s;
    if (!(s > 0)) throw new Error('Discrete: no positive weight');
  }
  static fromCounts(counts: Record<string, number>): Discrete<string> {
    const keys = Object.keys(counts);
    return new Discrete(keys, keys.map((k) => counts[k]));
  }
  index(rng: Rng): number {
    const u = rng.next() * this.total;
    let lo = 0;
    let hi = this.cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cum[mid] > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
  sample(rng: Rng): T {
    return this.values[this.index(rng)];
  }
}

/** Inverse-CDF draw from a quantile table (linear between the tabulated points). */
function fromQuantiles(qs: readonly number[], u: number): number {
  const pos = u * (qs.length - 1);
  const i = min(floor(pos), qs.length - 2);
  return qs[i] + (qs[i + 1] - qs[i]) * (pos - i);
}

/** Standard normal CDF (Abramowitz-Stegun 7.1.26, |error| < 1.5e-7). */
function phi(z: number): number {
  const x = abs(z) / SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** Inverse of the standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9). */
function inverseNormal(p: number): number {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  if (p < lo) {
    const q = sqrt(-2 * log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - lo) {
    const q = sqrt(-2 * log(1 - p));
    return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

// ---------------------------------------------------------------- output

class CsvOut {
  rows = 0;
  private buf = '';
  private blocked = false;
  private readonly stream: WriteStream;
  constructor(
    file: string,
    private readonly eol: string,
    header: string,
  ) {
    this.stream = createWriteStream(file, { highWaterMark: 1 << 20 });
    this.buf = header + eol;
  }
  line(s: string): void {
    this.buf += s + this.eol;
    this.rows++;
    if (this.buf.length >= 1 << 16) this.flush();
  }
  private flush(): void {
    if (!this.buf) return;
    if (!this.stream.write(this.buf)) this.blocked = true;
    this.buf = '';
  }
  get needsDrain(): boolean {
    return this.blocked;
  }
  async drain(): Promise<void> {
    if (!this.blocked) return;
    await new Promise<void>((resolve) => this.stream.once('drain', resolve));
    this.blocked = false;
  }
  async close(): Promise<void> {
    this.flush();
    await new Promise<void>((resolve, reject) => {
      this.stream.once('error', reject);
      this.stream.end(resolve);
    });
  }
}

// ---------------------------------------------------------------- calibrated tables

interface Place {
  state: string;
  city: string;
  zipLo: number;
  zipHi: number;
}

/** Per state: number of people (or sellers) and its top cities as [name, count, zip prefix p5, zip prefix p95]. */
type GeoTable = readonly { state: string; n: number; cities: readonly (readonly [string, number, number, number])[] }[];

function geoSampler(table: object) {
  const geo = table as GeoTable;
  const states = new Discrete(geo, geo.map((g) => g.n));
  const cities = geo.map((g) => new Discrete(g.cities, g.cities.map((c) => c[1])));
  return (rng: Rng): Place => {
    const si = states.index(rng);
    const [city, , zipLo, zipHi] = cities[si].sample(rng);
    return { state: geo[si].state, city, zipLo, zipHi };
  };
}
const drawZip = (p: Place, rng: Rng) => p.zipLo + rng.int(p.zipHi - p.zipLo + 1);

const asCounts = (x: object) => x as Record<string, number>;

const T = {
  ordersPerPerson: Discrete.fromCounts(CAL.ordersPerPerson),
  days: new Discrete(CAL.timeAxis.daily.map((_, i) => i), CAL.timeAxis.daily),
  hours: new Discrete(CAL.hourly.map((_, i) => i), CAL.hourly),
  statusByMonth: new Map(Object.entries(CAL.statusByMonth).map(([m, c]) => [m, Discrete.fromCounts(asCounts(c))])),
  statusOverall: (() => {
    const all: Record<string, number> = {};
    for (const c of Object.values(CAL.statusByMonth)) for (const [s, n] of Object.entries(asCounts(c))) all[s] = (all[s] ?? 0) + n;
    return Discrete.fromCounts(all);
  })(),
  patterns: new Map(Object.entries(CAL.timestampPatterns).map(([s, c]) => [s, Discrete.fromCounts(asCounts(c))])),
  itemsPerOrder: Discrete.fromCounts(CAL.itemsPerOrder),
  distinctProducts: Discrete.fromCounts(CAL.multiItemDistinctProducts),
  paymentPatterns: Discrete.fromCounts(CAL.paymentPatterns),
  installments: CAL.installmentsByValue.map((c) => Discrete.fromCounts(asCounts(c))),
  photos: Discrete.fromCounts(CAL.product.photos),
  priceCents: new Discrete(CAL.priceCents.map((_, i) => i), CAL.priceCents),
  creationOffset: Discrete.fromCounts(CAL.reviews.creationOffsetDays),
  /** score distribution by outcome bucket and single/multi item (falls back to single when a cell is empty) */
  scores: new Map(
    OUTCOME_BUCKETS.flatMap((b) => {
      const table = CAL.reviews.scoreByOutcome as Record<string, number[]>;
      const single = new Discrete([1, 2, 3, 4, 5], table[`${b}|single`]);
      const multi = table[`${b}|multi`]?.some((x) => x > 0) ? new Discrete([1, 2, 3, 4, 5], table[`${b}|multi`]) : single;
      return [
        [b + '|single', single],
        [b + '|multi', multi],
      ] as [string, Discrete<number>][];
    }),
  ),
  customerPlace: geoSampler(CAL.customerGeo),
  sellerPlace: geoSampler(CAL.sellerGeo),
  categoryByItems: new Discrete(CAL.categories.map((_, i) => i), CAL.categories.map((c) => c.items)),
  categoryByProducts: new Discrete(CAL.categories.map((_, i) => i), CAL.categories.map((c) => c.products)),
};
const AXIS_START = parseTimestamp(CAL.timeAxis.firstDay + ' 00:00:00');
const AXIS_END = AXIS_START + CAL.timeAxis.daily.length * DAY - 1000;
const CUTOFF = parseTimestamp(CAL.lastTimestamp);
const lateByMonth = CAL.lateShareByMonth as Record<string, number>;
const noItemsByStatus = CAL.noItemsShareByStatus as Record<string, number>;
const estimatedMedian = CAL.estimatedDaysMedianByState as Record<string, number>;
const OVERALL_LATE = CAL.reference.lateShare;
const MAX_PRICE_CENTS = 673500;
const MIN_PRICE_CENTS = 85;
const MAX_FREIGHT_CENTS = 40968;
const PAYMENT_TYPES: Record<string, string> = { c: 'credit_card', b: 'boleto', v: 'voucher', d: 'debit_card', n: 'not_defined' };
const REAL_PEOPLE = CAL.reference.people;

/** Pool sizes: the real ratios at the real scale, growing as N^0.7 (sub-linear) with a small floor. */
export function poolSizes(customers: number): { products: number; sellers: number } {
  const f = pow(max(customers, 1) / REAL_PEOPLE, 0.7);
  return {
    products: max(2 * CAL.categories.length, round(CAL.productsPerPerson * REAL_PEOPLE * f)),
    sellers: max(10, round(CAL.sellersPerPerson * REAL_PEOPLE * f)),
  };
}

// ---------------------------------------------------------------- pools

interface Pools {
  sellerId: string[];
  sellerState: string[];
  productId: string[];
  productCat: Int16Array;
  productPrice: Int32Array;
  /** grams; NaN when missing */
  productWeight: Float64Array;
  productSeller: Int32Array;
  byCategory: Discrete<number>[];
  /** products of seller s: sellerProducts[sellerStart[s] .. sellerStart[s+1]) */
  sellerStart: Int32Array;
  sellerProducts: Int32Array;
}

/** A package dimension from its quantiles, correlated (0.6 in normal scores) with the weight's normal score zw. */
function dimension(qs: readonly number[], zw: number, rng: Rng): number {
  const rho = 0.6;
  return round(fromQuantiles(qs, phi(rho * zw + sqrt(1 - rho * rho) * rng.normal())));
}

function buildPools(customers: number, rng: Rng, sellersOut: CsvOut, productsOut: CsvOut): Pools {
  const { products: M, sellers: S } = poolSizes(customers);
  const sellerId: string[] = [];
  const sellerState: string[] = [];
  const sellerWeight = new Float64Array(S);
  for (let s = 0; s < S; s++) {
    const id = hexId(rng);
    const place = T.sellerPlace(rng);
    sellerId.push(id);
    sellerState.push(place.state);
    sellerWeight[s] = fromQuantiles(CAL.itemsPerSeller, rng.next());
    sellersOut.line(`${qId(id)},${zip(drawZip(place, rng))},${q(place.city)},${place.state}`);
  }
  const sellerPick = new Discrete(sellerId.map((_, i) => i), sellerWeight);

  const nCat = CAL.categories.length;
  const productId: string[] = [];
  const productCat = new Int16Array(M);
  const productPrice = new Int32Array(M);
  const productWeight = new Float64Array(M);
  const productSeller = new Int32Array(M);
  const popularity = new Float64Array(M);
  for (let p = 0; p < M; p++) {
    const cat = p < nCat ? p : T.categoryByProducts.index(rng);
    const c = CAL.categories[cat];
    const id = hexId(rng);
    productId.push(id);
    productCat[p] = cat;
    popularity[p] = fromQuantiles(CAL.itemsPerProduct, rng.next());
    productSeller[p] = sellerPick.index(rng);
    const zw = rng.normal();
    const missingWeight = rng.next() < CAL.product.missingWeightShare;
    const weight = missingWeight ? NaN : max(0, round(exp(c.logWeight[0] + c.logWeight[1] * zw)));
    productWeight[p] = weight;
    const named = c.cat !== '';
    const cols = [
      qId(id),
      c.cat,
      named ? String(round(fromQuantiles(CAL.product.nameLength, rng.next()))) : '',
      named ? String(round(fromQuantiles(CAL.product.descriptionLength, rng.next()))) : '',
      named ? T.photos.sample(rng) : '',
      missingWeight ? '' : String(weight),
      missingWeight ? '' : String(dimension(CAL.product.lengthCm, zw, rng)),
      missingWeight ? '' : String(dimension(CAL.product.heightCm, zw, rng)),
      missingWeight ? '' : String(dimension(CAL.product.widthCm, zw, rng)),
    ];
    productsOut.line(cols.join(','));
  }
  const members: number[][] = Array.from({ length: nCat }, () => []);
  for (let p = 0; p < M; p++) members[productCat[p]].push(p);
  // Prices: log-normal per category, assigned by stratifying the popularity-weighted distribution (product j
  // takes the quantile at the middle of its share of the category's sales), so that item prices follow the
  // calibrated distribution closely whatever the prices of the few best sellers.
  for (let cat = 0; cat < nCat; cat++) {
    const ps = members[cat];
    const [mu, sd] = CAL.categories[cat].logPrice;
    let total = 0;
    for (const p of ps) total += popularity[p];
    let before = 0;
    for (const p of ps) {
      const mid = (before + popularity[p] / 2) / total;
      before += popularity[p];
      const price = floor(exp(mu + sd * inverseNormal(mid))) * 100 + T.priceCents.index(rng);
      productPrice[p] = min(MAX_PRICE_CENTS, max(MIN_PRICE_CENTS, price));
    }
  }
  const byCategory = members.map((ps) => new Discrete(ps, ps.map((p) => popularity[p])));
  const sellerStart = new Int32Array(S + 1);
  for (let p = 0; p < M; p++) sellerStart[productSeller[p] + 1]++;
  for (let s = 0; s < S; s++) sellerStart[s + 1] += sellerStart[s];
  const fill = sellerStart.slice(0, S);
  const sellerProducts = new Int32Array(M);
  for (let p = 0; p < M; p++) sellerProducts[fill[productSeller[p]]++] = p;
  return { sellerId, sellerState, productId, productCat, productPrice, productWeight, productSeller, byCategory, sellerStart, sellerProducts };
}

// ---------------------------------------------------------------- one person

interface Outs {
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

function generatePerson(rng: Rng, pools: Pools, out: Outs): number {
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

// ---------------------------------------------------------------- entry point

export async function generateDataset(opts: GenerateOptions): Promise<GenerateResult> {
  const { customers: N, seed, outDir, onProgress } = opts;
  if (!Number.isInteger(N) || N < 0) throw new Error(`customers must be a non-negative integer, got ${N}`);
  mkdirSync(outDir, { recursive: true });
  const open = (t: TableName) => new CsvOut(path.join(outDir, FILES[t]), LINE_ENDINGS[t], HEADERS[t]);
  const sellersOut = open('sellers');
  const productsOut = open('products');
  const out: Outs = { customers: open('customers'), orders: open('orders'), items: open('items'), payments: open('payments'), reviews: open('reviews') };
  const all = [sellersOut, productsOut, ...Object.values(out)];
  const drainAll = () => Promise.all(all.map((o) => o.drain()));

  const rng = createRng(seed);
  const pools = buildPools(N, rng, sellersOut, productsOut);
  await drainAll();
  // the translation table is a fixed vocabulary: BOM, unquoted header, CRLF, no final newline
  const translation = [HEADERS.translation, ...CATEGORY_TRANSLATION.map(([pt, en]) => `${pt},${en}`)].join('\r\n');
  const translationDone = new Promise<void>((resolve, reject) => {
    const s = createWriteStream(path.join(outDir, FILES.translation));
    s.once('error', reject);
    s.end(translation, () => resolve());
  });

  let orders = 0;
  const step = max(1, floor(N / 100));
  for (let i = 0; i < N; i++) {
    orders += generatePerson(rng, pools, out);
    if (all.some((o) => o.needsDrain)) await drainAll();
    if (onProgress && (i + 1) % step === 0 && i + 1 < N) onProgress(i + 1, N);
  }
  await Promise.all(all.map((o) => o.close()));
  await translationDone;
  onProgress?.(N, N);

  const files: Record<string, number> = {};
  for (const [t, o] of Object.entries({ sellers: sellersOut, products: productsOut, ...out })) files[FILES[t as TableName]] = o.rows;
  files[FILES.translation] = CATEGORY_TRANSLATION.length;
  // Says the export is synthetic, for the reports (core/olist/provenance.ts); not a table, so readers ignore it.
  writeFileSync(path.join(outDir, PROVENANCE_FILE), JSON.stringify(generatedProvenance(seed, N), null, 2) + '\n');
  return { files, customers: N, orders };
}
