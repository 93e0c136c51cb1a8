/**
 * The two-pass shuffle keeps every row of a person in one partition, and the partitions' features are exactly the
 * single-process features (generated Olist-like export, tables cut into several chunks, P = 4 partitions).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { computeFeatures, lastPurchase } from '../../../lambdas/core/features/customerFeatures';
import { generateDataset } from '../../../lambdas/core/generate/generator';
import { FILES } from '../../../lambdas/core/generate/exportFormat';
import { bucketOf, fnv1a32, inSample, partitionOf } from '../../../lambdas/core/distributed/hashing';
import { featuresOfPartition } from '../../../lambdas/core/distributed/partitionFeatures';
import { joinChildren, joinOrders, parseCsvText, scatterByKey, scatterCustomers, tableOfKey, TABLE_FILES } from '../../../lambdas/core/distributed/shuffle';
import { loadOlist } from '../../../lambdas/core/olist/load';
import { syntheticCustomerId } from '../../../lambdas/local/synthetic-segments';
import { directorySource } from '../../../lambdas/core/olist/source';

let dir: string;
const texts: Record<string, string> = {};

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'segments-shuffle-'));
  await generateDataset({ customers: 1500, seed: 21, outDir: dir });
  for (const file of Object.values(FILES)) texts[file] = await readFile(path.join(dir, file), 'utf8');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Cuts a table into n chunks at record boundaries, each with the header (as a chunked export would). */
function chunks(text: string, n: number): string[] {
  const csv = parseCsvText(text, 'chunks');
  const size = Math.ceil(csv.records.length / n);
  return Array.from({ length: n }, (_, c) => `${csv.header}\n${csv.records.slice(c * size, (c + 1) * size).map((r) => r.raw).join('\n')}\n`);
}

describe('hashing', () => {
  test('FNV-1a reference values and stable, salted routing', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
    const id = '861eff4711a542e4b93843c6dd7febb0';
    expect(partitionOf(id, 8)).toBe(partitionOf(id, 8));
    // The salt decorrelates partitions from the table's GSI shard (unsalted FNV-1a mod shards).
    const ids = Array.from({ length: 4000 }, (_, i) => syntheticCustomerId(i));
    const same = ids.filter((u) => partitionOf(u, 8) === fnv1a32(u) % 8).length;
    expect(same / ids.length).toBeLessThan(0.2);
    // Balanced, also on ids whose characters repeat (salted plain FNV-1a mod 8 puts every one of these in the same partition).
    for (const set of [ids, ids.map((u) => u.slice(0, 8).repeat(4))]) {
      const sizes = new Array(8).fill(0);
      for (const u of set) sizes[partitionOf(u, 8)]++;
      expect(Math.min(...sizes)).toBeGreaterThan(400);
    }
    expect(bucketOf(id, 5)).toBeLessThan(5);
    const sampled = ids.filter((u) => inSample(u, 0.25)).length / ids.length;
    expect(sampled).toBeGreaterThan(0.22);
    expect(sampled).toBeLessThan(0.28);
    expect(() => partitionOf(id, 0)).toThrow(/positive integer/);
  });

  test('table roles from object keys, whole or chunked', () => {
    expect(tableOfKey('incoming/ds1/olist_orders_dataset.csv')).toEqual({ role: 'orders', file: TABLE_FILES.orders });
    expect(tableOfKey('incoming/ds1/olist_orders_dataset/part-0003.csv').role).toBe('orders');
    expect(tableOfKey('incoming/ds1/olist_order_reviews_dataset.part2.csv').role).toBe('reviews');
    expect(tableOfKey('incoming/ds1/olist_products_dataset.csv').role).toBe('dimension');
    expect(tableOfKey('incoming/ds1/olist_geolocation_dataset.csv').role).toBe('ignored');
  });
});

describe('two-pass shuffle', () => {
  const shape = { partitions: 4, buckets: 3 };

  test('every person lands in one partition with all their rows; features equal the single-process ones', async () => {
    // scatter: each table in 3 chunks
    const parts = new Map<number, Record<string, string[]>>();
    const put = (p: number, file: string, text: string) => {
      const t = parts.get(p) ?? {};
      (t[file] ??= []).push(text);
      parts.set(p, t);
    };
    const routesA = new Map<number, string[]>();
    const ordersA = new Map<number, string[]>();
    const childB = new Map<string, Map<number, string[]>>();
    const push = <K>(m: Map<K, string[]>, k: K, v: string) => m.set(k, [...(m.get(k) ?? []), v]);
    for (const c of chunks(texts[TABLE_FILES.customers], 3)) {
      const s = scatterCustomers(c, shape, 'customers');
      s.partitions.forEach((t, p) => put(p, TABLE_FILES.customers, t));
      s.routes.forEach((t, q) => push(routesA, q, t));
    }
    for (const c of chunks(texts[TABLE_FILES.orders], 3)) scatterByKey(c, 'customer_id', shape, 'orders').forEach((t, q) => push(ordersA, q, t));
    for (const file of [TABLE_FILES.items, TABLE_FILES.payments, TABLE_FILES.reviews]) {
      const m = new Map<number, string[]>();
      for (const c of chunks(texts[file], 3)) scatterByKey(c, 'order_id', shape, file).forEach((t, q) => push(m, q, t));
      childB.set(file, m);
    }
    // pass A
    const routesB = new Map<number, string[]>();
    let last = -Infinity;
    let orders = 0;
    for (let q = 0; q < shape.buckets; q++) {
      const j = joinOrders(routesA.get(q) ?? [], ordersA.get(q) ?? [], shape, `bucket ${q}`);
      j.partitions.forEach((t, p) => put(p, TABLE_FILES.orders, t));
      j.routes.forEach((t, q2) => push(routesB, q2, t));
      last = Math.max(last, j.lastPurchase);
      orders += j.orders;
    }
    // pass B
    for (let q = 0; q < shape.buckets; q++) {
      for (const [file, m] of childB) {
        const j = joinChildren(routesB.get(q) ?? [], m.get(q) ?? [], `${file} bucket ${q}`);
        expect(j.orphans).toBe(0);
        j.partitions.forEach((t, p) => put(p, file, t));
      }
    }

    const whole = await loadOlist(directorySource(dir));
    expect(orders).toBe(whole.orders.count);
    expect(last).toBe(lastPurchase(whole));
    const expected = computeFeatures(whole, last);

    const got = new Map<string, number[]>();
    let notCounted = 0;
    for (const [p, tables] of parts) {
      for (const file of [TABLE_FILES.products, TABLE_FILES.categoryTranslation]) tables[file] = [texts[file]];
      const { table } = await featuresOfPartition(`partition ${p}`, tables, last, 9);
      notCounted += table.notCounted;
      table.customerIds.forEach((id, i) => {
        expect(partitionOf(id, shape.partitions)).toBe(p);
        expect(got.has(id)).toBe(false);
        got.set(id, Array.from(table.values.data.subarray(i * 9, (i + 1) * 9)));
      });
    }
    expect(parts.size).toBe(4);
    expect(got.size).toBe(expected.customerIds.length);
    expect(notCounted).toBe(expected.notCounted);
    expected.customerIds.forEach((id, i) => {
      expect(got.get(id)).toEqual(Array.from(expected.values.data.subarray(i * 9, (i + 1) * 9)));
    });
  });

  test('an order whose customer_id has no route names the object, record and column', () => {
    const header = '"order_id","customer_id","order_status","order_purchase_timestamp"';
    expect(() => joinOrders(['key,partition\nc1,0\n'], [`${header}\no1,c1,delivered,2018-01-01 00:00:00\no2,c9,delivered,2018-01-01 00:00:00\n`], shape, 'bucket 2')).toThrow(
      'bucket 2 orders[0]: record 2, column customer_id: expected a customer_id present in olist_customers_dataset.csv, got "c9"',
    );
  });

  test('multi-line quoted review comments are copied verbatim', () => {
    const text = '"review_id","order_id","review_score","review_comment_message"\r\nr1,o1,5,"line one\r\nline, two"\r\n';
    const out = scatterByKey(text, 'order_id', { partitions: 1, buckets: 1 }, 'reviews').get(0)!;
    expect(parseCsvText(out, 'out').records[0].fields).toEqual(['r1', 'o1', '5', 'line one\r\nline, two']);
  });
});
