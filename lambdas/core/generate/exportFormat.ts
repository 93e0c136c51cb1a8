/**
 * The Olist export's file format as the generator writes it (generator.ts has the rules in its header): the file names,
 * columns, headers and line ends of each table, the quoting of ids, text, zip prefixes and money, the 32-hex ids, and
 * a buffered CSV file writer that tells the generator when to wait for the disk.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import type { Rng } from '../util/random';
import * as SHARED from './shared';

// Module-scope aliases: a global (Math) or module-namespace lookup in the per-row code is slow in sandboxed contexts
// (Jest's vm), where it cannot be cached.
const { floor } = Math;
const { formatTimestamp } = { ...SHARED };

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

/** Hex ids: quoted when they start with a digit. */
export function qId(s: string): string {
  const c = s.charCodeAt(0);
  return c >= 48 && c <= 57 ? '"' + s + '"' : s;
}
/** Plain strings: quoted when they start with a digit or hold a comma, quote or line break. */
export function q(s: string): string {
  const c = s.charCodeAt(0);
  if ((c >= 48 && c <= 57) || /[",\r\n]/.test(s)) return `"${s.replace(/"/g, '""')}"`;
  return s;
}
/** Free text (review comments): quoted only when it holds a comma, quote or line break. */
export function qText(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
export const zip = (z: number) => `"${String(z).padStart(5, '0')}"`;
export const money = (cents: number) => `${floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
export const tsOrEmpty = (ms: number | undefined) => (ms === undefined ? '' : formatTimestamp(ms));

const HEX_PAIRS = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** 32 lowercase hex chars from four 32-bit draws of the rng. */
export function hexId(rng: Rng): string {
  let s = '';
  for (let i = 0; i < 4; i++) {
    const x = floor(rng.next() * 4294967296);
    s += HEX_PAIRS[x >>> 24] + HEX_PAIRS[(x >>> 16) & 255] + HEX_PAIRS[(x >>> 8) & 255] + HEX_PAIRS[x & 255];
  }
  return s;
}

/** One table being written: rows are buffered and handed to the stream in blocks of 64 KiB. */
export class CsvOut {
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
