/**
 * Test helper: reads an Olist-format directory (the real export or a generated one) with csv-parse and
 * computes the headline statistics the generator is calibrated to. The same code runs on both sides, so
 * the comparison is like for like.
 */
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse';

export type Row = Record<string, string>;

/** Streams the records of one CSV file (header row as column names, BOM stripped). */
export async function* readRows(file: string): AsyncGenerator<Row> {
  const parser = createReadStream(file).pipe(parse({ columns: true, bom: true }));
  for await (const r of parser) yield r as Row;
}

export interface OlistStats {
  people: number;
  orders: number;
  oneOrderShare: number;
  deliveredShare: number;
  /** among delivered orders with a delivery date: delivered_customer_date > estimated_delivery_date */
  lateShare: number;
  meanScoreOnTime: number;
  meanScoreLate: number;
  meanScoreNotDelivered: number;
  paymentTypeShare: Record<string, number>;
  /** median of payment_value over payment rows */
  medianPaymentValue: number;
  /** median of the per-order payment total */
  medianOrderPayment: number;
  share2018: number;
  itemsPerOrderMean: number;
  noReviewShare: number;
  spShare: number;
  monthly: Record<string, number>;
  /** data rows read per table */
  rows: { customers: number; orders: number; items: number; payments: number; reviews: number };
}

function median(xs: number[]): number {
  const s = Float64Array.from(xs).sort();
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * Statistics of an Olist-format directory. When `dir/provenance/real_reviews.txt` exists (the real export),
 * review statistics use only the real review rows it lists.
 */
export async function olistStats(dir: string): Promise<OlistStats> {
  const f = (name: string) => path.join(dir, name);
  const provenance = f('provenance/real_reviews.txt');
  const realPairs = existsSync(provenance)
    ? new Set(
        readFileSync(provenance, 'utf8')
          .split('\n')
          .filter((l) => l && !l.startsWith('#'))
          .map((l) => l.trim()),
      )
    : undefined;

  const personOrders = new Map<string, number>();
  let customerRows = 0;
  let sp = 0;
  for await (const c of readRows(f('olist_customers_dataset.csv'))) {
    customerRows++;
    if (c.customer_state === 'SP') sp++;
    personOrders.set(c.customer_unique_id, (personOrders.get(c.customer_unique_id) ?? 0) + 1);
  }

  /** order_id -> outcome: 'onTime' | 'late' | 'notDelivered' */
  const outcome = new Map<string, string>();
  let orders = 0;
  let delivered = 0;
  let withDate = 0;
  let late = 0;
  let in2018 = 0;
  const monthly: Record<string, number> = {};
  for await (const o of readRows(f('olist_orders_dataset.csv'))) {
    orders++;
    if (o.order_purchase_timestamp >= '2018-01-01') in2018++;
    const m = o.order_purchase_timestamp.slice(0, 7);
    monthly[m] = (monthly[m] ?? 0) + 1;
    if (o.order_status === 'delivered') delivered++;
    const C = o.order_delivered_customer_date;
    if (!C) outcome.set(o.order_id, 'notDelivered');
    else outcome.set(o.order_id, C > o.order_estimated_delivery_date ? 'late' : 'onTime');
    if (o.order_status === 'delivered' && C) {
      withDate++;
      if (C > o.order_estimated_delivery_date) late++;
    }
  }

  const itemOrders = new Set<string>();
  let items = 0;
  for await (const i of readRows(f('olist_order_items_dataset.csv'))) {
    items++;
    itemOrders.add(i.order_id);
  }

  const types: Record<string, number> = {};
  const rowValues: number[] = [];
  const orderValue = new Map<string, number>();
  for await (const p of readRows(f('olist_order_payments_dataset.csv'))) {
    types[p.payment_type] = (types[p.payment_type] ?? 0) + 1;
    rowValues.push(+p.payment_value);
    orderValue.set(p.order_id, (orderValue.get(p.order_id) ?? 0) + +p.payment_value);
  }

  const scores: Record<string, number[]> = { onTime: [], late: [], notDelivered: [] };
  const reviewed = new Set<string>();
  let reviews = 0;
  for await (const r of readRows(f('olist_order_reviews_dataset.csv'))) {
    reviews++;
    reviewed.add(r.order_id);
    if (realPairs && !realPairs.has(`${r.review_id},${r.order_id}`)) continue;
    const o = outcome.get(r.order_id);
    if (o) scores[o].push(+r.review_score);
  }

  const paymentRows = rowValues.length;
  return {
    people: personOrders.size,
    orders,
    oneOrderShare: [...personOrders.values()].filter((n) => n === 1).length / personOrders.size,
    deliveredShare: delivered / orders,
    lateShare: late / withDate,
    meanScoreOnTime: mean(scores.onTime),
    meanScoreLate: mean(scores.late),
    meanScoreNotDelivered: mean(scores.notDelivered),
    paymentTypeShare: Object.fromEntries(Object.entries(types).map(([k, v]) => [k, v / paymentRows])),
    medianPaymentValue: median(rowValues),
    medianOrderPayment: median([...orderValue.values()]),
    share2018: in2018 / orders,
    itemsPerOrderMean: items / itemOrders.size,
    noReviewShare: [...outcome.keys()].filter((id) => !reviewed.has(id)).length / orders,
    spShare: sp / customerRows,
    monthly,
    rows: { customers: customerRows, orders, items, payments: paymentRows, reviews },
  };
}
