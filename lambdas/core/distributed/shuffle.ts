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
 * A scatter task streams its input object (a whole table of any size, or a chunk) through a TableRouter, whose
 * outputs the handler flushes to S3 in pieces, so it never holds the object; a join task holds one bucket. The
 * number of buckets is chosen so that a bucket fits (the same count as partitions by default). Records are parsed
 * by the project's tokenizer (csv/tokenizer.ts, ~15x csv-parse) and written back as RFC 4180 records: quoted fields
 * and multi-line review comments keep their values; line endings are normalised to '\n'.
 *
 * The customers scatter also records where each person first appears in the export (`ordinals`): the distributed
 * path orders its sample like the single-process loader orders people, so both fit the same rows in the same order.
 */
import { dailyPurchases } from '../features/customerFeatures';
import { parse } from 'csv-parse/sync';
import { CsvTokenizer } from '../csv/tokenizer';
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

function columnIndex(columns: readonly string[], name: string, source: string): number {
  const i = columns.indexOf(name);
  if (i < 0) throw new Error(`${source}: line 1: expected a column "${name}", found ${columns.join(', ')}`);
  return i;
}

const NEEDS_QUOTES = /[",\r\n]/;

/** One CSV record (RFC 4180): fields with a quote, comma or line break are quoted, quotes doubled. */
export function csvLine(fields: readonly string[], count = fields.length): string {
  let line = '';
  for (let i = 0; i < count; i++) {
    const f = fields[i];
    if (i) line += ',';
    line += NEEDS_QUOTES.test(f) ? `"${f.replace(/"/g, '""')}"` : f;
  }
  return line;
}

/**
 * Calls onHeader with the columns, then onRecord for every record of a CSV text (index from 0, header excluded);
 * returns the columns.
 */
export function eachRecord(text: string, source: string, onHeader: (columns: string[]) => void, onRecord: (fields: string[], count: number, index: number) => void): string[] {
  let columns: string[] | undefined;
  let index = 0;
  const tokenizer = new CsvTokenizer((fields, count) => {
    if (!columns) onHeader((columns = fields.slice(0, count)));
    else onRecord(fields, count, index++);
  });
  try {
    tokenizer.push(text);
    tokenizer.end();
  } catch (err) {
    throw new Error(`${source}: unreadable CSV (${(err as Error).message})`);
  }
  if (!columns) throw new Error(`${source}: expected a header line, got an empty object`);
  return columns;
}

export const ROUTE_HEADER = 'key,partition';
export const ORDINAL_HEADER = 'customer_unique_id,ordinal';
export const PREVIOUS_HEADER = 'customer_unique_id,segment_id';

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

/**
 * What a scatter routes:
 * - customers: rows to the person's partition (`data`), (customer_id, partition) routes to bucketOf(customer_id)
 *   (`routes`), and (person, ordinal) to the partition (`ordinals`: the record's position in the export);
 * - orders: rows to bucketOf(customer_id); children (items, payments, reviews): rows to bucketOf(order_id);
 * - previous: a previous model's assignments.csv, (person, segment) to the person's partition.
 */
export type RouteKind = 'customers' | 'orders' | 'children' | 'previous';
export type RouteOutput = 'data' | 'routes' | 'ordinals';

export interface RoutedLine {
  output: RouteOutput;
  target: number;
  line: string;
}

/**
 * Streams a CSV table through the routing of its kind: push text chunks (any boundaries), and each record's routed
 * lines go to `emit` with its output's header. `ordinalBase` numbers the customers records of this input (records
 * of different inputs must not share ordinals: the caller spaces them).
 */
export class TableRouter {
  private readonly tokenizer: CsvTokenizer;
  private columns?: string[];
  private key = -1;
  private second = -1;
  private records = 0;
  readonly headers: Partial<Record<RouteOutput, string>> = {};

  constructor(
    readonly kind: RouteKind,
    readonly shape: ShuffleShape,
    readonly source: string,
    private readonly emit: (output: RouteOutput, target: number, line: string) => void,
    private readonly ordinalBase = 0,
  ) {
    this.tokenizer = new CsvTokenizer((fields, count) => (this.columns ? this.route(fields, count) : this.header(fields, count)));
  }

  private header(fields: string[], count: number): void {
    const columns = fields.slice(0, count);
    this.columns = columns;
    const col = (name: string) => columnIndex(columns, name, this.source);
    switch (this.kind) {
      case 'customers':
        this.key = col('customer_unique_id');
        this.second = col('customer_id');
        this.headers.data = csvLine(columns);
        this.headers.routes = ROUTE_HEADER;
        this.headers.ordinals = ORDINAL_HEADER;
        break;
      case 'orders':
        this.key = col('customer_id');
        this.headers.data = csvLine(columns);
        break;
      case 'children':
        this.key = col('order_id');
        this.headers.data = csvLine(columns);
        break;
      case 'previous':
        this.key = col('customer_unique_id');
        this.second = col('segment_id');
        this.headers.data = PREVIOUS_HEADER;
    }
  }

  private route(f: string[], count: number): void {
    const index = this.records++;
    const key = f[this.key] ?? '';
    switch (this.kind) {
      case 'customers': {
        const p = partitionOf(key, this.shape.partitions);
        this.emit('data', p, csvLine(f, count));
        this.emit('routes', bucketOf(f[this.second] ?? '', this.shape.buckets), `${f[this.second]},${p}`);
        this.emit('ordinals', p, `${csvLine([key])},${this.ordinalBase + index}`);
        break;
      }
      case 'orders':
      case 'children':
        this.emit('data', bucketOf(key, this.shape.buckets), csvLine(f, count));
        break;
      case 'previous':
        this.emit('data', partitionOf(key, this.shape.partitions), `${csvLine([key])},${f[this.second]}`);
    }
  }

  push(text: string): void {
    try {
      this.tokenizer.push(text);
    } catch (err) {
      throw new Error(`${this.source}: unreadable CSV (${(err as Error).message})`);
    }
  }

  /** Ends the input; returns the number of records routed (header excluded). */
  end(): number {
    try {
      this.tokenizer.end();
    } catch (err) {
      throw new Error(`${this.source}: unreadable CSV (${(err as Error).message})`);
    }
    if (!this.columns) throw new Error(`${this.source}: expected a header line, got an empty object`);
    return this.records;
  }
}

/**
 * Routed lines held per (output, target) until flushed as one CSV piece each (header + lines). Pieces are taken when
 * a target holds `pieceBytes`, or, when everything held exceeds `maxBytes`, the largest first: memory stays bounded
 * whatever the number of targets, and the pieces are the same for the same input (a retried task rewrites them).
 */
export class RoutedBuffers {
  private readonly held = new Map<string, { output: RouteOutput; target: number; lines: string[]; bytes: number }>();
  private total = 0;

  constructor(
    private readonly headers: () => Partial<Record<RouteOutput, string>>,
    private readonly pieceBytes = 8 * 1024 * 1024,
    private readonly maxBytes = 128 * 1024 * 1024,
  ) {}

  add(output: RouteOutput, target: number, line: string): void {
    const id = `${output}:${target}`;
    let b = this.held.get(id);
    if (!b) this.held.set(id, (b = { output, target, lines: [], bytes: 0 }));
    b.lines.push(line);
    b.bytes += line.length + 1;
    this.total += line.length + 1;
  }

  private piece(id: string): { output: RouteOutput; target: number; text: string } {
    const b = this.held.get(id)!;
    this.held.delete(id);
    this.total -= b.bytes;
    return { output: b.output, target: b.target, text: `${this.headers()[b.output]}\n${b.lines.join('\n')}\n` };
  }

  /** Pieces due now (full targets, then the largest while over the memory bound). */
  due(): { output: RouteOutput; target: number; text: string }[] {
    const out = [...this.held].filter(([, b]) => b.bytes >= this.pieceBytes).map(([id]) => this.piece(id));
    while (this.total > this.maxBytes) out.push(this.piece([...this.held].sort((a, b) => b[1].bytes - a[1].bytes || (a[0] < b[0] ? -1 : 1))[0][0]));
    return out;
  }

  /** Everything held, in a fixed order. */
  rest(): { output: RouteOutput; target: number; text: string }[] {
    return [...this.held.keys()].sort().map((id) => this.piece(id));
  }
}

function routeText(kind: RouteKind, text: string, shape: ShuffleShape, source: string): Map<RouteOutput, Map<number, string>> {
  const lines = new Map<RouteOutput, Map<number, string[]>>();
  const router = new TableRouter(kind, shape, source, (output, target, line) => {
    let o = lines.get(output);
    if (!o) lines.set(output, (o = new Map()));
    let l = o.get(target);
    if (!l) o.set(target, (l = []));
    l.push(line);
  });
  router.push(text);
  router.end();
  const out = new Map<RouteOutput, Map<number, string>>();
  for (const [output, targets] of lines) out.set(output, new Map([...targets].sort((a, b) => a[0] - b[0]).map(([t, l]) => [t, `${router.headers[output]}\n${l.join('\n')}\n`])));
  return out;
}

export interface CustomersScatter {
  /** Partition -> customers rows of its people. */
  partitions: Map<number, string>;
  /** Bucket -> (customer_id, partition) routes for pass A. */
  routes: Map<number, string>;
  /** Partition -> (person, ordinal) of each customers record. */
  ordinals: Map<number, string>;
}

/** A whole customers text routed at once (TableRouter does it in a stream). */
export function scatterCustomers(text: string, shape: ShuffleShape, source: string): CustomersScatter {
  const out = routeText('customers', text, shape, source);
  return { partitions: out.get('data') ?? new Map(), routes: out.get('routes') ?? new Map(), ordinals: out.get('ordinals') ?? new Map() };
}

/** Orders by bucketOf(customer_id); items, payments, reviews by bucketOf(order_id). */
export function scatterByKey(text: string, keyColumn: 'customer_id' | 'order_id', shape: ShuffleShape, source: string): Map<number, string> {
  return routeText(keyColumn === 'customer_id' ? 'orders' : 'children', text, shape, source).get('data') ?? new Map();
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
  const routes = new Map<number, string[]>();
  let lastPurchase = -Infinity;
  let orders = 0;
  const purchases: number[] = [];
  orderTexts.forEach((text, t) => {
    const where = `${source} orders[${t}]`;
    let [oid, cid, ts] = [0, 0, 0];
    let header = '';
    const onHeader = (columns: string[]) => {
      [oid, cid, ts] = ['order_id', 'customer_id', 'order_purchase_timestamp'].map((c) => columnIndex(columns, c, where));
      header = csvLine(columns);
    };
    eachRecord(text, where, onHeader, (f, count, i) => {
      const p = route.get(f[cid]);
      if (p === undefined) throw new Error(`${where}: record ${i + 1}, column customer_id: expected a customer_id present in ${CUSTOMERS.file}, got "${f[cid]}"`);
      let part = byPartition.get(p);
      if (!part) byPartition.set(p, (part = { header, lines: [] }));
      part.lines.push(csvLine(f, count));
      const q = bucketOf(f[oid], shape.buckets);
      let l = routes.get(q);
      if (!l) routes.set(q, (l = []));
      l.push(`${f[oid]},${p}`);
      const t0 = parseTimestamp(f[ts]);
      if (t0 > lastPurchase) lastPurchase = t0;
      purchases.push(t0);
      orders++;
    });
  });
  const partitions = new Map<number, string>();
  for (const [p, { header, lines }] of [...byPartition].sort((a, b) => a[0] - b[0])) partitions.set(p, `${header}\n${lines.join('\n')}\n`);
  const days = [...dailyPurchases(purchases)].map(([day, d]): [number, number, number] => [day, d.count, d.last]).sort((a, b) => a[0] - b[0]);
  return { partitions, routes: new Map([...routes].sort((a, b) => a[0] - b[0]).map(([q, l]) => [q, `${ROUTE_HEADER}\n${l.join('\n')}\n`])), lastPurchase, orders, days };
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
    let oid = 0;
    let header = '';
    const onHeader = (columns: string[]) => {
      oid = columnIndex(columns, 'order_id', where);
      header = csvLine(columns);
    };
    eachRecord(text, where, onHeader, (f, count) => {
      const p = route.get(f[oid]);
      if (p === undefined) {
        orphans++;
        return;
      }
      let part = byPartition.get(p);
      if (!part) byPartition.set(p, (part = { header, lines: [] }));
      part.lines.push(csvLine(f, count));
    });
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
