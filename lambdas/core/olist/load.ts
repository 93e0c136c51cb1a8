/**
 * Loads an Olist export into compact per-order columns.
 *
 * Tables are streamed one after the other (customers and orders first, because every other table refers
 * to orders) and aggregated per order on the fly, so memory is proportional to the number of orders, not
 * to the bytes of the files. Features as of any date are then computed from these columns alone
 * (features/customerFeatures.ts), which lets the maintenance simulation rebuild many snapshots cheaply.
 */
import { createHash } from 'node:crypto';
import { DataFormatError } from '../csv/errors';
import { FieldValue, ReadResult, readTable } from '../csv/reader';
import { TableSchema } from '../csv/schema';
import { Growable } from '../util/growable';
import { IdIndex } from '../util/idIndex';
import { CATEGORY_TRANSLATION, CUSTOMERS, ITEMS, ORDERS, ORDER_STATUSES, PAYMENTS, PAYMENT_TYPES, PRODUCTS, REVIEWS } from './tables';
import { TableSource } from './source';
import { OTHER_STATE, stateCode } from './states';

export interface OrderColumns {
  count: number;
  ids: string[];
  /** Index of the customer_unique_id (into OlistData.customerIds). */
  customer: Int32Array;
  /** Index into ORDER_STATUSES. */
  status: Uint8Array;
  purchase: Float64Array;
  /** order_delivered_customer_date, NaN when empty. */
  delivered: Float64Array;
  estimated: Float64Array;
  itemCount: Int32Array;
  itemValue: Float64Array;
  /** Sum of payment_value; NaN when the order has no payment row. */
  payment: Float64Array;
  /** Largest payment_installments of the order; NaN when no payment row. */
  installments: Float64Array;
  /** Index into PAYMENT_TYPES of the payment carrying the largest value; 255 when none. */
  paymentType: Uint8Array;
}

export interface ReviewColumns {
  count: number;
  order: Int32Array;
  score: Uint8Array;
  /** When the score became known: the answer time, else the creation date. */
  known: Float64Array;
}

export interface TableReport {
  table: string;
  file: string;
  rows: number;
  bytes: number;
  sha256: string;
  extraColumns: string[];
  /** Rows skipped under the row tolerance (LoadOptions.maxInvalidRows). */
  invalidRows: number;
  /** The first few skipped rows' errors (file, line, column, expected, found), when rows were skipped. */
  invalidSamples?: string[];
}

export interface LoadIssues {
  /** Item, payment and review rows whose order_id is not in the orders table (skipped). */
  orphanItems: number;
  orphanPayments: number;
  orphanReviews: number;
  /** Item rows whose product_id is not in the products table (category 'unknown'). */
  itemsWithUnknownProduct: number;
  ordersWithoutPayment: number;
  /** customers rows whose customer_state is not one of Brazil's 27 state codes (kept, counted as "other"). */
  unknownStates: number;
  /** The file line of the first such row (0: none). */
  firstUnknownStateLine: number;
}

export interface OlistData {
  customerIds: string[];
  /** State of each customer_unique_id (from its last customers row): a code of core/olist/states.ts, never free text. */
  customerState: Uint8Array;
  orders: OrderColumns;
  reviews: ReviewColumns;
  /** One entry per item row: its order and its category index (into categories). */
  itemOrder: Int32Array;
  itemCategory: Int32Array;
  itemPrice: Float64Array;
  /** English category names ('unknown' for products without a category). */
  categories: string[];
  tables: TableReport[];
  issues: LoadIssues;
  /** SHA-256 over the per-table hashes, in a fixed table order. */
  fingerprint: string;
}

export interface LoadOptions {
  /** Files larger than this are rejected from their size, before reading. */
  maxFileBytes?: number;
  /**
   * Row tolerance per file: invalid rows (format, unknown value, duplicated id, date in the future) skipped
   * and counted before the file is rejected. 0, the default, rejects at the first invalid row.
   */
  maxInvalidRows?: number;
  /** Largest share of item/payment/review rows whose order is missing that is tolerated (skipped, counted). */
  maxOrphanShare?: number;
  /** The time of loading (epoch ms): event times later than this plus FUTURE_MARGIN_MS are invalid. */
  now?: number;
  onProgress?: (table: string, bytesRead: number, bytesTotal: number) => void;
}

export class MissingTableError extends Error {
  constructor(
    readonly location: string,
    readonly files: string[],
  ) {
    super(`${location}: missing table${files.length > 1 ? 's' : ''} ${files.join(', ')}`);
    this.name = 'MissingTableError';
  }
}

/**
 * Orphans (rows whose order_id is not in the orders table) are skipped and counted up to this share of a
 * table's rows; above it the file is rejected: so many orphans mean a truncated orders file or tables
 * from different exports, and the segments would silently lose spend.
 */
export const MAX_ORPHAN_SHARE = 0.01;
/** Slack for "not in the future": the export's local times are read as UTC, and clocks differ. */
export const FUTURE_MARGIN_MS = 86_400_000;
/** Tables that cannot be empty: every feature is computed from customers, orders, items and payments. */
const NON_EMPTY = new Set<TableSchema>([CUSTOMERS, ORDERS, ITEMS, PAYMENTS]);

export async function loadOlist(source: TableSource, options: LoadOptions = {}): Promise<OlistData> {
  const schemas = [CUSTOMERS, ORDERS, ITEMS, PAYMENTS, REVIEWS, PRODUCTS, CATEGORY_TRANSLATION];
  const sizes = new Map<string, number>();
  const missing: string[] = [];
  for (const s of schemas) {
    const size = await source.size(s.file);
    if (size === undefined) missing.push(s.file);
    else sizes.set(s.file, size);
  }
  if (missing.length) throw new MissingTableError(source.location, missing);
  if (options.maxFileBytes !== undefined) {
    for (const [file, size] of sizes) {
      if (size > options.maxFileBytes) {
        throw new DataFormatError(file, undefined, undefined, `a file of at most ${options.maxFileBytes} bytes (checked from its size, before reading)`, `${size} bytes`, false);
      }
    }
  }

  const tables: TableReport[] = [];
  const read = async (schema: TableSchema, onRow: (v: FieldValue[], line: number) => void): Promise<ReadResult> => {
    const hash = createHash('sha256');
    const input = await source.open(schema.file);
    const total = sizes.get(schema.file) ?? 0;
    const res = await readTable(schema.file, input, schema, onRow, {
      maxInvalidRows: options.maxInvalidRows,
      onChunk: (chunk) => hash.update(chunk),
      onBytes: (b) => options.onProgress?.(schema.name, b, total),
    });
    const report: TableReport = { table: schema.name, file: schema.file, rows: res.rows, bytes: res.bytes, sha256: hash.digest('hex'), extraColumns: res.extraColumns, invalidRows: res.invalidRows };
    if (res.invalidRows) report.invalidSamples = res.invalidSamples.map((e) => e.message);
    tables.push(report);
    if (res.rows === 0 && NON_EMPTY.has(schema)) {
      throw new DataFormatError(schema.file, 2, undefined, 'at least one data row', res.invalidRows ? `no valid row (${res.invalidRows} skipped)` : 'only the header line', false);
    }
    return res;
  };

  // Times of events that already happened (purchase, delivery, review) cannot be later than the load.
  const latest = (options.now ?? Date.now()) + FUTURE_MARGIN_MS;
  const notFuture = (file: string, line: number, column: string, t: number): void => {
    if (t > latest) throw new DataFormatError(file, line, column, `a time not after ${isoSeconds(latest)} (the time of loading + 1 day)`, isoSeconds(t));
  };
  const maxOrphanShare = options.maxOrphanShare ?? MAX_ORPHAN_SHARE;
  const checkOrphans = (schema: TableSchema, orphans: number, rows: number, firstLine: number): void => {
    if (orphans === 0 || orphans <= maxOrphanShare * rows) return;
    throw new DataFormatError(
      schema.file,
      firstLine,
      'order_id',
      `at most ${percent(maxOrphanShare)} of rows with an order_id present in ${ORDERS.file} (fewer are skipped and counted)`,
      `${orphans} of ${rows} rows (${percent(orphans / rows)}) whose order is missing, the first at line ${firstLine}`,
      false,
    );
  };

  // customers: customer_id (one per order) -> index of the person (customer_unique_id)
  // The id joins go through IdIndex, not Map: Map lookups were most of the loader's time (util/idIndex.ts).
  // Sized from the file sizes and the export's typical row lengths: no rehashing on the way (a wrong guess
  // only costs a rehash or some slack).
  const rowsAtMost = (schema: TableSchema, bytesPerRow: number) => Math.ceil((sizes.get(schema.file) ?? 0) / bytesPerRow);
  const uniqueIndex = new IdIndex(rowsAtMost(CUSTOMERS, 90));
  const customerIds: string[] = [];
  const customerState = new Growable(Uint8Array);
  const customerOf = new IdIndex(rowsAtMost(CUSTOMERS, 90));
  const issues: LoadIssues = { orphanItems: 0, orphanPayments: 0, orphanReviews: 0, itemsWithUnknownProduct: 0, ordersWithoutPayment: 0, unknownStates: 0, firstUnknownStateLine: 0 };
  await read(CUSTOMERS, (v, line) => {
    const cid = v[0] as string;
    const uid = v[1] as string;
    if (customerOf.has(cid)) throw new DataFormatError(CUSTOMERS.file, line, 'customer_id', 'a customer_id that appears once', cid);
    const state = stateCode(v[2] as string);
    if (state === OTHER_STATE && issues.unknownStates++ === 0) issues.firstUnknownStateLine = line;
    let u = uniqueIndex.get(uid);
    if (u === -1) {
      u = customerIds.length;
      uniqueIndex.set(uid, u);
      customerIds.push(ownString(uid));
      customerState.push(state);
    } else customerState.set(u, state);
    customerOf.set(cid, u);
  });

  const orderIndex = new IdIndex(rowsAtMost(ORDERS, 150));
  const ids: string[] = [];
  const customer = new Growable(Int32Array);
  const status = new Growable(Uint8Array);
  const purchase = new Growable(Float64Array);
  const delivered = new Growable(Float64Array);
  const estimated = new Growable(Float64Array);
  await read(ORDERS, (v, line) => {
    const oid = v[0] as string;
    if (orderIndex.has(oid)) throw new DataFormatError(ORDERS.file, line, 'order_id', 'an order_id that appears once (duplicated order)', oid);
    const u = customerOf.get(v[1] as string);
    if (u === -1) throw new DataFormatError(ORDERS.file, line, 'customer_id', `a customer_id present in ${CUSTOMERS.file}`, v[1] as string);
    notFuture(ORDERS.file, line, 'order_purchase_timestamp', v[3] as number);
    notFuture(ORDERS.file, line, 'order_delivered_customer_date', v[4] as number);
    orderIndex.set(oid, ids.length);
    ids.push(ownString(oid));
    customer.push(u);
    status.push(ORDER_STATUSES.indexOf(v[2] as (typeof ORDER_STATUSES)[number]));
    purchase.push(v[3] as number);
    delivered.push(v[4] as number);
    estimated.push(v[5] as number);
  });
  customerOf.clear();
  const n = ids.length;

  // categories: Portuguese name -> English name; products: product_id -> category index
  const english = new Map<string, string>();
  await read(CATEGORY_TRANSLATION, (v) => {
    english.set(v[0] as string, (v[1] as string) || (v[0] as string));
  });
  const categories: string[] = ['unknown'];
  const categoryIndex = new Map<string, number>([['unknown', 0]]);
  const productCategory = new IdIndex(rowsAtMost(PRODUCTS, 70));
  await read(PRODUCTS, (v) => {
    const pt = v[1] as string;
    const name = pt ? (english.get(pt) ?? pt) : 'unknown';
    let c = categoryIndex.get(name);
    if (c === undefined) {
      c = categories.length;
      categoryIndex.set(name, c);
      categories.push(ownString(name));
    }
    productCategory.set(v[0] as string, c);
  });

  const itemCount = new Int32Array(n);
  const itemValue = new Float64Array(n);
  const itemOrder = new Growable(Int32Array);
  const itemCategory = new Growable(Int32Array);
  const itemPrice = new Growable(Float64Array);
  let firstOrphan = 0;
  const items = await read(ITEMS, (v, line) => {
    const o = orderIndex.get(v[0] as string);
    if (o === -1) {
      if (issues.orphanItems++ === 0) firstOrphan = line;
      return;
    }
    const c = productCategory.get(v[2] as string);
    if (c === -1) issues.itemsWithUnknownProduct++;
    itemCount[o]++;
    itemValue[o] += v[3] as number;
    itemOrder.push(o);
    itemCategory.push(c === -1 ? 0 : c);
    itemPrice.push(v[3] as number);
  });
  productCategory.clear();
  checkOrphans(ITEMS, issues.orphanItems, items.rows, firstOrphan);

  const payment = new Float64Array(n).fill(NaN);
  const installments = new Float64Array(n).fill(NaN);
  const paymentType = new Uint8Array(n).fill(255);
  const largestPayment = new Float64Array(n).fill(-1);
  const payments = await read(PAYMENTS, (v, line) => {
    const o = orderIndex.get(v[0] as string);
    if (o === -1) {
      if (issues.orphanPayments++ === 0) firstOrphan = line;
      return;
    }
    const value = v[3] as number;
    payment[o] = Number.isNaN(payment[o]) ? value : payment[o] + value;
    const inst = v[2] as number;
    if (!(installments[o] >= inst)) installments[o] = inst;
    if (value > largestPayment[o]) {
      largestPayment[o] = value;
      paymentType[o] = PAYMENT_TYPES.indexOf(v[1] as (typeof PAYMENT_TYPES)[number]);
    }
  });
  checkOrphans(PAYMENTS, issues.orphanPayments, payments.rows, firstOrphan);
  for (let o = 0; o < n; o++) if (Number.isNaN(payment[o])) issues.ordersWithoutPayment++;

  const reviewOrder = new Growable(Int32Array);
  const reviewScore = new Growable(Uint8Array);
  const reviewKnown = new Growable(Float64Array);
  const reviews = await read(REVIEWS, (v, line) => {
    notFuture(REVIEWS.file, line, 'review_creation_date', v[3] as number);
    notFuture(REVIEWS.file, line, 'review_answer_timestamp', v[4] as number);
    const o = orderIndex.get(v[1] as string);
    if (o === -1) {
      if (issues.orphanReviews++ === 0) firstOrphan = line;
      return;
    }
    reviewOrder.push(o);
    reviewScore.push(v[2] as number);
    const answered = v[4] as number;
    reviewKnown.push(Number.isNaN(answered) ? (v[3] as number) : answered);
  });

  checkOrphans(REVIEWS, issues.orphanReviews, reviews.rows, firstOrphan);

  const fingerprint = createHash('sha256');
  for (const t of [...tables].sort((a, b) => a.file.localeCompare(b.file))) fingerprint.update(`${t.file}:${t.sha256}\n`);

  return {
    customerIds,
    customerState: customerState.toArray(),
    orders: {
      count: n,
      ids,
      customer: customer.toArray(),
      status: status.toArray(),
      purchase: purchase.toArray(),
      delivered: delivered.toArray(),
      estimated: estimated.toArray(),
      itemCount,
      itemValue,
      payment,
      installments,
      paymentType,
    },
    reviews: { count: reviewOrder.length, order: reviewOrder.toArray(), score: reviewScore.toArray(), known: reviewKnown.toArray() },
    itemOrder: itemOrder.toArray(),
    itemCategory: itemCategory.toArray(),
    itemPrice: itemPrice.toArray(),
    categories,
    tables,
    issues,
    fingerprint: fingerprint.digest('hex'),
  };
}

/**
 * A copy of `s` that does not keep its source text alive. Fields are slices of the 1 MB decoded chunks
 * (V8 sliced strings), so keeping the 32-char ids as they are kept whole chunks alive: ~27 MB of the orders
 * and customers files for the life of the data. Slicing a concatenation makes V8 flatten it into a new
 * string first (the slice then points into that): the cheapest copy on offer, Buffer and JSON round trips
 * cost 10-20x more.
 */
function ownString(s: string): string {
  return (' ' + s).slice(1);
}

function isoSeconds(t: number): string {
  return new Date(t).toISOString().slice(0, 19).replace('T', ' ');
}

function percent(share: number): string {
  return `${Math.round(share * 1000) / 10}%`;
}
