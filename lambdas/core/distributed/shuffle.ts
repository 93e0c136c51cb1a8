/**
 * Re-keying the Olist tables by person, so that every feature partition holds ALL the rows of its people
 * and per-person features can be computed partition by partition with the single-process code.
 *
 * The difficulty: only `customers` carries customer_unique_id (the person). `orders` carries customer_id
 * (one per order), and items / payments / reviews carry only order_id. Neither map (customer_id -> person,
 * order_id -> person) fits in one function's memory at tens of millions of customers, so the join is a
 * two-pass shuffle on hashed join keys (a repartition join, as Spark or MapReduce would do it):
 *
 *   scatter (one task per input object, any number of chunks per table):
 *     customers   row -> feature partition p = partitionOf(customer_unique_id)       (data)
 *                 (customer_id, p) -> bucket bucketOf(customer_id)                   (route A)
 *     orders      row -> bucket bucketOf(customer_id)                                (pass A input)
 *     items, payments, reviews  row -> bucket bucketOf(order_id)                     (pass B input)
 *     products, category translation: dimension tables, read whole by every partition (broadcast)
 *   pass A (one task per bucket): join routes A with the bucket's orders on customer_id
 *                 order row -> partition p;  (order_id, p) -> bucket bucketOf(order_id) (route B)
 *   pass B (one task per bucket): join routes B with the bucket's items/payments/reviews on order_id
 *                 row -> partition p
 *
 * Each task only holds one chunk or one bucket in memory; the number of buckets is chosen so that a bucket
 * fits (the same count as partitions by default). Every function here is pure (text in, text out): the
 * handlers move the texts through the BlobStore. Records are copied verbatim (quoted fields, multi-line
 * review comments included) thanks to csv-parse's raw output; line endings are normalised to '\n'.
 */
import { dailyPurchases } from '../features/customerFeatures';
import { parse } from 'csv-parse/sync';
import { parseTimestamp } from '../csv/schema';
import { CATEGORY_TRANSLATION, CUSTOMERS, ITEMS, ORDERS, PAYMENTS, PRODUCTS, REVIEWS } from '../olist/tables';
import { bucketOf, partitionOf } from './hashing';

export type TableRole = 'customers' | 'orders' | 'items' | 'payments' | 'reviews' | 'dimension' | 'ignored';

/** The tables the feature code reads, by role (file names from olist/tables.ts). */
export const TABLE_FILES = {
  customers: CUSTOMERS.file,
  orders: ORDERS.file,
  items: ITEMS.file,
  payments: PAYMENTS.file,
  reviews: REVIEWS.file,
  products: PRODUCTS.file,
  categoryTranslation: CATEGORY_TRANSLATION.file,
} as const;

const BASE = (f: string) => f.replace(/\.csv$/, '');

/**
 * Role of an input object from its key. Tables may arrive whole (`<prefix>/olist_orders_dataset.csv`) or in
 * chunks (`<prefix>/olist_orders_dataset/part-0001.csv`, `<prefix>/olist_orders_dataset.part2.csv`).
 */
export function tableOfKey(key: string): { role: TableRole; file?: string } {
  const name = key.split('/').filter(Boolean);
  for (const part of name.slice(-2)) {
    for (const [role, file] of Object.entries(TABLE_FILES)) {
      if (part === file || part.startsWith(`${BASE(file)}.`) || part === BASE(file)) {
        if (role === 'products' || role === 'categoryTranslation') return { role: 'dimension', file };
        return { role: role as TableRole, file };
      }
    }
  }
  return { role: 'ignored' };
}

export interface CsvText {
  /** First line (the header), without its terminator; the BOM, if any, kept. */
  header: string;
  /** Column names (BOM and quotes removed). */
  columns: string[];
  records: { fields: string[]; raw: string }[];
}

/** Parses a CSV text (header line + records) keeping every record's raw text. `source` names the object in errors. */
export function parseCsvText(text: string, source: string): CsvText {
  let rows: { record: string[]; raw: string }[];
  try {
    rows = parse(text, { raw: true, bom: true, relax_column_count: true, skip_empty_lines: true }) as unknown as { record: string[]; raw: string }[];
  } catch (err) {
    throw new Error(`${source}: unreadable CSV (${(err as Error).message})`);
  }
  if (!rows.length) throw new Error(`${source}: expected a header line, got an empty object`);
  const header = text.slice(0, text.search(/\r?\n|$/));
  return {
    header,
    columns: rows[0].record,
    records: rows.slice(1).map((r) => ({ fields: r.record, raw: r.raw.replace(/\r$/, '') })),
  };
}

function columnIndex(csv: CsvText, name: string, source: string): number {
  const i = csv.columns.indexOf(name);
  if (i < 0) throw new Error(`${source}: line 1: expected a column "${name}", found ${csv.columns.join(', ')}`);
  return i;
}

/** Accumulates records per target (partition or bucket) as CSV texts with the header repeated in each. */
class Outputs {
  private readonly lines = new Map<number, string[]>();
  constructor(private readonly header: string) {}
  add(target: number, raw: string): void {
    let l = this.lines.get(target);
    if (!l) this.lines.set(target, (l = []));
    l.push(raw);
  }
  /** Target -> CSV text (header + records), only for targets that received records. */
  texts(): Map<number, string> {
    const out = new Map<number, string>();
    for (const [t, l] of [...this.lines].sort((a, b) => a[0] - b[0])) out.set(t, `${this.header}\n${l.join('\n')}\n`);
    return out;
  }
}

export const ROUTE_HEADER = 'key,partition';

/** Route records (join key -> partition) as CSV text. */
function routesText(entries: [string, number][]): string {
  return `${ROUTE_HEADER}\n${entries.map(([k, p]) => `${k},${p}`).join('\n')}\n`;
}

function readRoutes(texts: readonly string[], source: string): Map<string, number> {
  const map = new Map<string, number>();
  for (const text of texts) {
    const lines = text.split('\n');
    if (lines[0] !== ROUTE_HEADER) throw new Error(`${source}: line 1: expected "${ROUTE_HEADER}", got "${lines[0]}"`);
    for (let i = 1; i < lines.length; i++) {
      if (!lines[i]) continue;
      const comma = lines[i].lastIndexOf(',');
      map.set(lines[i].slice(0, comma), Number(lines[i].slice(comma + 1)));
    }
  }
  return map;
}

export interface ShuffleShape {
  /** Feature partitions (P). */
  partitions: number;
  /** Shuffle buckets of the joins (Q). */
  buckets: number;
}

export interface CustomersScatter {
  /** Partition -> customers rows of its people. */
  partitions: Map<number, string>;
  /** Bucket -> (customer_id, partition) routes for pass A. */
  routes: Map<number, string>;
}

export function scatterCustomers(text: string, shape: ShuffleShape, source: string): CustomersScatter {
  const csv = parseCsvText(text, source);
  const cid = columnIndex(csv, 'customer_id', source);
  const uid = columnIndex(csv, 'customer_unique_id', source);
  const parts = new Outputs(csv.header);
  const routes = new Map<number, [string, number][]>();
  for (const r of csv.records) {
    const p = partitionOf(r.fields[uid], shape.partitions);
    parts.add(p, r.raw);
    const q = bucketOf(r.fields[cid], shape.buckets);
    let l = routes.get(q);
    if (!l) routes.set(q, (l = []));
    l.push([r.fields[cid], p]);
  }
  return { partitions: parts.texts(), routes: new Map([...routes].map(([q, l]) => [q, routesText(l)])) };
}

/** Orders by bucketOf(customer_id); items, payments, reviews by bucketOf(order_id). */
export function scatterByKey(text: string, keyColumn: 'customer_id' | 'order_id', shape: ShuffleShape, source: string): Map<number, string> {
  const csv = parseCsvText(text, source);
  const key = columnIndex(csv, keyColumn, source);
  const out = new Outputs(csv.header);
  for (const r of csv.records) out.add(bucketOf(r.fields[key], shape.buckets), r.raw);
  return out.texts();
}

export interface OrdersJoin {
  partitions: Map<number, string>;
  /** Bucket -> (order_id, partition) routes for pass B. */
  routes: Map<number, string>;
  /** Latest order_purchase_timestamp of the bucket (epoch ms; -Infinity when empty). */
  lastPurchase: number;
  /** Purchases per UTC day ([day, count, latest purchase]): merged over buckets they give the default as-of date. */
  days: [number, number, number][];
  orders: number;
}

/**
 * Pass A for one bucket: the customer routes and the orders of that bucket. An order whose customer_id has no
 * route is a file error (the single-process loader rejects it too).
 */
export function joinOrders(routeTexts: readonly string[], orderTexts: readonly string[], shape: ShuffleShape, source: string): OrdersJoin {
  const route = readRoutes(routeTexts, `${source} customer routes`);
  const byPartition = new Map<number, { header: string; lines: string[] }>();
  const routes = new Map<number, [string, number][]>();
  let lastPurchase = -Infinity;
  let orders = 0;
  const purchases: number[] = [];
  orderTexts.forEach((text, t) => {
    const where = `${source} orders[${t}]`;
    const csv = parseCsvText(text, where);
    const oid = columnIndex(csv, 'order_id', where);
    const cid = columnIndex(csv, 'customer_id', where);
    const ts = columnIndex(csv, 'order_purchase_timestamp', where);
    csv.records.forEach((r, i) => {
      const p = route.get(r.fields[cid]);
      if (p === undefined) throw new Error(`${where}: record ${i + 1}, column customer_id: expected a customer_id present in ${CUSTOMERS.file}, got "${r.fields[cid]}"`);
      let part = byPartition.get(p);
      if (!part) byPartition.set(p, (part = { header: csv.header, lines: [] }));
      part.lines.push(r.raw);
      const q = bucketOf(r.fields[oid], shape.buckets);
      let l = routes.get(q);
      if (!l) routes.set(q, (l = []));
      l.push([r.fields[oid], p]);
      const t0 = parseTimestamp(r.fields[ts]);
      if (t0 > lastPurchase) lastPurchase = t0;
      purchases.push(t0);
      orders++;
    });
  });
  const partitions = new Map<number, string>();
  for (const [p, { header, lines }] of [...byPartition].sort((a, b) => a[0] - b[0])) partitions.set(p, `${header}\n${lines.join('\n')}\n`);
  const days = [...dailyPurchases(purchases)].map(([day, d]): [number, number, number] => [day, d.count, d.last]).sort((a, b) => a[0] - b[0]);
  return { partitions, routes: new Map([...routes].map(([q, l]) => [q, routesText(l)])), lastPurchase, orders, days };
}

/**
 * Pass B for one bucket and one child table: rows whose order_id has no route are orphans and are dropped
 * (the single-process loader skips and counts them the same way); their count is returned.
 */
export function joinChildren(routeTexts: readonly string[], childTexts: readonly string[], source: string): { partitions: Map<number, string>; orphans: number } {
  const route = readRoutes(routeTexts, `${source} order routes`);
  const byPartition = new Map<number, { header: string; lines: string[] }>();
  let orphans = 0;
  childTexts.forEach((text, t) => {
    const where = `${source}[${t}]`;
    const csv = parseCsvText(text, where);
    const oid = columnIndex(csv, 'order_id', where);
    for (const r of csv.records) {
      const p = route.get(r.fields[oid]);
      if (p === undefined) {
        orphans++;
        continue;
      }
      let part = byPartition.get(p);
      if (!part) byPartition.set(p, (part = { header: csv.header, lines: [] }));
      part.lines.push(r.raw);
    }
  });
  const partitions = new Map<number, string>();
  for (const [p, { header, lines }] of [...byPartition].sort((a, b) => a[0] - b[0])) partitions.set(p, `${header}\n${lines.join('\n')}\n`);
  return { partitions, orphans };
}

/** Header-only text of a required table, for a partition that received no rows of it. */
export function emptyTable(file: string): string {
  const schema = [CUSTOMERS, ORDERS, ITEMS, PAYMENTS, REVIEWS, PRODUCTS, CATEGORY_TRANSLATION].find((s) => s.file === file);
  if (!schema) throw new Error(`no schema for ${file}`);
  return `${schema.columns.map((c) => c.name).join(',')}\n`;
}

/** Concatenates several CSV texts of one table (same header) into one text; the header of the first is kept. */
export function concatTables(texts: readonly string[], file: string): string {
  if (!texts.length) return emptyTable(file);
  const out: string[] = [];
  texts.forEach((t, i) => {
    const body = i === 0 ? t : t.slice(t.indexOf('\n') + 1);
    out.push(body.endsWith('\n') ? body : `${body}\n`);
  });
  return out.join('');
}
