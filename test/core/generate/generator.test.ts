/**
 * The synthetic Olist generator: determinism, exact export format, parseability, referential integrity,
 * internal consistency and calibration against the real export (../shared/olist beside the project root;
 * when it is absent the format checks use the constants and the statistics use calibration.ts's reference).
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, createReadStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse';
import { generateDataset, type GenerateResult } from '../../../lambdas/core/generate/generator';
import { COLUMNS, FILES, HEADERS, LINE_ENDINGS, type TableName } from '../../../lambdas/core/generate/exportFormat';
import { poolSizes } from '../../../lambdas/core/generate/calibrated';
import * as CAL from '../../../lambdas/core/generate/calibration';
import { type OlistStats } from './olistStats';
import { runInChild } from '../../helpers/child';

const REAL_DIR = path.resolve(__dirname, '../../../../shared/olist');
const HAS_REAL = existsSync(path.join(REAL_DIR, FILES.orders));
if (!HAS_REAL) {
  console.log(
    `[generator.test] real Olist export not found at ${REAL_DIR}: headers are checked against the constants ` +
      'and statistics against the reference figures in calibration.ts',
  );
}

const TABLES = Object.keys(FILES) as TableName[];
/** Generous hook timeout: the real-export statistics parse ~500k CSV records, and the machine may be shared. */
const SLOW = 600_000;
jest.setTimeout(SLOW);
const N = 20_000;
const SEED = 20240611;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'olist-gen-test-'));
const mainDir = path.join(tmp, 'main');
let result: GenerateResult;
let progress: [number, number][] = [];
const WORK = path.join(__dirname, 'generatorWork.ts');

beforeAll(() => {
  // In a child process (generatorWork.ts): the generator's loops run many times slower in Jest's sandbox.
  ({ result, progress } = runInChild<{ result: GenerateResult; progress: [number, number][] }>(WORK, { task: 'generate', customers: N, seed: SEED, outDir: mainDir }));
}, SLOW);

let realStatsMemo: OlistStats | undefined;
/** Statistics of the real export, computed once (only when it is present), in a child process. */
const realStats = async () => (realStatsMemo ??= runInChild<OlistStats>(WORK, { task: 'stats', dir: REAL_DIR }));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const fileOf = (dir: string, t: TableName) => path.join(dir, FILES[t]);
const bytes = (dir: string, t: TableName) => readFileSync(fileOf(dir, t));
/** The first line of a file including its terminator (the whole file when it has a single line). */
function firstLine(buf: Buffer): Buffer {
  const i = buf.indexOf(0x0a);
  return i < 0 ? buf : buf.subarray(0, i + 1);
}

async function records(file: string): Promise<string[][]> {
  const out: string[][] = [];
  for await (const r of createReadStream(file).pipe(parse({ bom: true, relax_column_count: true }))) out.push(r as string[]);
  return out;
}

describe('determinism', () => {
  it('gives byte-identical files for the same seed and different files for another seed', async () => {
    const a = path.join(tmp, 'a');
    const b = path.join(tmp, 'b');
    const c = path.join(tmp, 'c');
    const ra = await generateDataset({ customers: 1500, seed: 7, outDir: a });
    const rb = await generateDataset({ customers: 1500, seed: 7, outDir: b });
    await generateDataset({ customers: 1500, seed: 8, outDir: c });
    expect(rb).toEqual(ra);
    for (const t of TABLES) expect(bytes(b, t).equals(bytes(a, t))).toBe(true);
    for (const t of TABLES) {
      if (t === 'translation') expect(bytes(c, t).equals(bytes(a, t))).toBe(true); // a fixed vocabulary
      else expect(bytes(c, t).equals(bytes(a, t))).toBe(false);
    }
  });
});

describe('files and format', () => {
  it('writes the 8 export files, and provenance.json saying they are synthetic, and reports their row counts', () => {
    expect(readdirSync(mainDir).sort()).toEqual([...Object.values(FILES), 'provenance.json'].sort());
    expect(JSON.parse(readFileSync(path.join(mainDir, 'provenance.json'), 'utf8'))).toMatchObject({ synthetic: true, customers: N });
    expect(result.customers).toBe(N);
    expect(result.orders).toBeGreaterThan(N);
    expect(result.files[FILES.orders]).toBe(result.orders);
    expect(result.files[FILES.customers]).toBe(result.orders); // one customer_id per order
    expect(result.files[FILES.translation]).toBe(71);
  });

  it('has headers byte-identical to the real export', () => {
    for (const t of TABLES) {
      const generated = firstLine(bytes(mainDir, t));
      const expected = t === 'translation' ? HEADERS[t] + '\r\n' : HEADERS[t] + LINE_ENDINGS[t];
      expect(generated.toString('utf8')).toBe(expected);
      if (HAS_REAL) expect(generated.equals(firstLine(bytes(REAL_DIR, t)))).toBe(true);
    }
  });

  it('copies the category translation file exactly (BOM, CRLF, no final newline)', () => {
    const buf = bytes(mainDir, 'translation');
    expect(buf.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]))).toBe(true);
    expect(buf.subarray(-1)[0]).not.toBe(0x0a);
    expect(buf.toString('utf8').split('\r\n')).toHaveLength(72);
    if (HAS_REAL) expect(buf.equals(bytes(REAL_DIR, 'translation'))).toBe(true);
  });

  it('uses the export line endings per file', () => {
    for (const t of TABLES) {
      const text = bytes(mainDir, t).toString('utf8');
      const lf = text.split('\n').length - 1;
      const crlf = text.split('\r\n').length - 1;
      if (LINE_ENDINGS[t] === '\n') {
        expect(text.includes('\r')).toBe(false);
        expect(text.endsWith('\n')).toBe(true);
      } else {
        expect(crlf).toBe(lf);
        expect(text.split('\r').length - 1).toBe(crlf);
        if (t === 'reviews') expect(text.endsWith('\r\n')).toBe(true);
      }
    }
    // reviews carry CRLF line breaks inside quoted comments, like the export
    const physical = bytes(mainDir, 'reviews').toString('utf8').split('\r\n').length - 2;
    expect(physical).toBeGreaterThan(result.files[FILES.reviews]);
  });

  // Line patterns of the export; checked on the real files too, which validates the patterns themselves.
  const ID = '(?:"[0-9][0-9a-f]{31}"|[a-f][0-9a-f]{31})';
  const TS = '\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}';
  const MONEY = '\\d+\\.\\d{2}';
  const ZIP = '"\\d{5}"';
  const CITY = '(?:[a-z][^,"\\n]*|"(?:[^"]|"")*")';
  const LINE: Partial<Record<TableName, RegExp>> = {
    customers: new RegExp(`^${ID},${ID},${ZIP},${CITY},[A-Z]{2}$`),
    orders: new RegExp(
      `^${ID},${ID},(?:delivered|shipped|canceled|unavailable|invoiced|processing|created|approved),${TS},(?:${TS})?,(?:${TS})?,(?:${TS})?,\\d{4}-\\d{2}-\\d{2} 00:00:00$`,
    ),
    items: new RegExp(`^${ID},\\d+,${ID},${ID},${TS},${MONEY},${MONEY}$`),
    payments: new RegExp(`^${ID},\\d+,(?:credit_card|boleto|voucher|debit_card|not_defined),\\d+,${MONEY}$`),
    products: new RegExp(`^${ID},(?:[a-z][a-z0-9_]*)?,(?:\\d+)?,(?:\\d+)?,(?:\\d+)?,(?:\\d+)?,(?:\\d+)?,(?:\\d+)?,(?:\\d+)?$`),
    sellers: new RegExp(`^${ID},${ZIP},${CITY},[A-Z]{2}$`),
  };
  it.each(Object.keys(LINE) as TableName[])('formats every %s line like the export', (t) => {
    const dirs = HAS_REAL ? [mainDir, REAL_DIR] : [mainDir];
    for (const dir of dirs) {
      const lines = bytes(dir, t).toString('utf8').split('\n');
      expect(lines.pop()).toBe('');
      const bad = lines.slice(1).filter((l) => !LINE[t]!.test(l));
      expect({ dir, bad: bad.slice(0, 3) }).toEqual({ dir, bad: [] });
    }
  });

  it('formats reviews like the export (ids always quoted, text quoted only when needed)', async () => {
    const dirs = HAS_REAL ? [mainDir, REAL_DIR] : [mainDir];
    for (const dir of dirs) {
      const count = dir === mainDir ? result.files[FILES.reviews] : (await realStats()).rows.reviews;
      const text = bytes(dir, 'reviews').toString('utf8');
      const starts = text.match(/(?:^|\r\n)"[0-9a-f]{32}","[0-9a-f]{32}",[1-5],/g) ?? [];
      expect(starts.length).toBe(count);
      const ends = text.match(new RegExp(`,${TS.replace('\\d{2}:\\d{2}:\\d{2}', '0[01]:00:00')},${TS}\\r\\n`, 'g')) ?? [];
      expect(ends.length).toBe(count);
    }
    const text = bytes(mainDir, 'reviews').toString('utf8');
    expect(text).toMatch(/,"[^"\r\n]*""[^"\r\n]*""/); // some comments hold doubled quotes
    expect(text).toMatch(/,[^",\r\n]+,[^",\r\n]+,\d{4}-\d{2}-\d{2} 00:00:00,/); // plain text stays unquoted
  });
});

describe('parsing and integrity', () => {
  /** Each generated table parsed once (arrays of fields, header first). */
  const cache = new Map<TableName, Promise<string[][]>>();
  const table = (t: TableName) => {
    if (!cache.has(t)) cache.set(t, records(fileOf(mainDir, t)));
    return cache.get(t)!;
  };
  /** Rows as objects keyed by column name (header dropped). */
  const rows = async (t: TableName): Promise<Record<string, string>[]> => {
    const [header, ...body] = await table(t);
    return body.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
  };

  it('parses every file with csv-parse with the header column count', async () => {
    for (const t of TABLES) {
      const recs = await table(t);
      expect(recs[0]).toEqual(COLUMNS[t]);
      expect(recs.filter((r) => r.length !== COLUMNS[t].length)).toHaveLength(0);
      expect(recs.length - 1).toBe(result.files[FILES[t]]);
    }
  });

  it('keeps referential integrity between the tables', async () => {
    const customers = await rows('customers');
    const customerIds = new Set(customers.map((c) => c.customer_id));
    expect(customerIds.size).toBe(customers.length);
    expect(new Set(customers.map((c) => c.customer_unique_id)).size).toBe(N);
    const orders = await rows('orders');
    const orderIds = new Set(orders.map((o) => o.order_id));
    expect(orderIds.size).toBe(result.orders);
    const orderCustomers = orders.map((o) => o.customer_id);
    expect(orderCustomers.filter((c) => !customerIds.has(c))).toHaveLength(0);
    expect(new Set(orderCustomers).size).toBe(orders.length); // one customer_id per order
    expect(new Set(orderCustomers).size).toBe(customerIds.size);
    const products = await rows('products');
    const productIds = new Set(products.map((p) => p.product_id));
    const sellerIds = new Set((await rows('sellers')).map((s) => s.seller_id));
    const items = await rows('items');
    expect(items.filter((i) => !orderIds.has(i.order_id) || !productIds.has(i.product_id) || !sellerIds.has(i.seller_id))).toHaveLength(0);
    expect((await rows('payments')).filter((p) => !orderIds.has(p.order_id))).toHaveLength(0);
    expect((await rows('reviews')).filter((r) => !orderIds.has(r.order_id))).toHaveLength(0);
    // categories come from the real vocabulary (71 translated + 2 untranslated + empty), as in the export
    const categories = new Set(products.map((p) => p.product_category_name));
    const translated = new Set((await rows('translation')).map((r) => r.product_category_name));
    const untranslated = [...categories].filter((c) => c !== '' && !translated.has(c));
    expect(untranslated.filter((c) => !['pc_gamer', 'portateis_cozinha_e_preparadores_de_alimentos'].includes(c))).toEqual([]);
    expect(categories.size).toBeGreaterThan(60);
  });

  it('keeps every order internally consistent', async () => {
    const errors: string[] = [];
    const fail = (msg: string) => errors.length < 10 && errors.push(msg);
    const cents = (s: string) => Math.round(+s * 100);
    const itemTotal = new Map<string, number>();
    const itemSeq = new Map<string, number>();
    for (const i of await rows('items')) {
      const seq = (itemSeq.get(i.order_id) ?? 0) + 1;
      if (+i.order_item_id !== seq) fail(`item sequence ${i.order_id}`);
      itemSeq.set(i.order_id, seq);
      itemTotal.set(i.order_id, (itemTotal.get(i.order_id) ?? 0) + cents(i.price) + cents(i.freight_value));
    }
    const payTotal = new Map<string, number>();
    const paySeq = new Map<string, number>();
    for (const p of await rows('payments')) {
      const seq = (paySeq.get(p.order_id) ?? 0) + 1;
      if (+p.payment_sequential !== seq) fail(`payment sequence ${p.order_id}`);
      paySeq.set(p.order_id, seq);
      if (p.payment_type !== 'credit_card' ? p.payment_installments !== '1' : +p.payment_installments > 24) fail(`installments ${p.order_id}`);
      payTotal.set(p.order_id, (payTotal.get(p.order_id) ?? 0) + cents(p.payment_value));
    }
    let checked = 0;
    for (const [id, total] of itemTotal) {
      if (payTotal.get(id) === 0) continue; // not_defined payments of canceled orders
      if (payTotal.get(id) !== total) fail(`payments ${payTotal.get(id)} != items ${total} for ${id}`);
      checked++;
    }
    expect(checked).toBeGreaterThan(0.95 * result.orders);

    const purchased = new Map<string, string>();
    const patterns: Record<string, Record<string, number>> = {};
    for (const o of await rows('orders')) {
      const [P, A, K, C, E] = [
        o.order_purchase_timestamp, o.order_approved_at, o.order_delivered_carrier_date, o.order_delivered_customer_date,
        o.order_estimated_delivery_date,
      ];
      if ((A && A < P) || (K && K < (A || P)) || (C && C <= (K || A || P)) || E <= P) fail(`timestamps out of order ${o.order_id}`);
      if ((K && K > CAL.lastTimestamp) || (C && C > CAL.lastTimestamp)) fail(`after the export date ${o.order_id}`);
      const key = `${A ? 'A' : '-'}${K ? 'K' : '-'}${C ? 'C' : '-'}`;
      (patterns[o.order_status] ??= {})[key] = (patterns[o.order_status][key] ?? 0) + 1;
      purchased.set(o.order_id, P);
    }
    for (const r of await rows('reviews')) {
      if (!r.review_creation_date.endsWith(' 00:00:00')) fail(`review creation time ${r.review_id}`);
      if (r.review_answer_timestamp < r.review_creation_date) fail(`review answered before creation ${r.review_id}`);
      if (r.review_creation_date <= purchased.get(r.order_id)!) fail(`review before purchase ${r.review_id}`);
    }
    expect(errors).toEqual([]);
    // statuses carry the timestamps they carry in the export
    expect(Object.keys(patterns.shipped ?? {}).filter((k) => k !== 'AK-')).toEqual([]);
    for (const s of ['invoiced', 'processing', 'unavailable', 'approved']) expect(Object.keys(patterns[s] ?? {}).filter((k) => k !== 'A--')).toEqual([]);
    expect(Object.keys(patterns.created ?? {}).filter((k) => k !== '---')).toEqual([]);
    const delivered = Object.values(patterns.delivered).reduce((a, b) => a + b, 0);
    expect(patterns.delivered.AKC / delivered).toBeGreaterThan(0.99);
  });

  it('reports progress up to (N, N)', () => {
    expect(progress.length).toBeGreaterThan(50);
    expect(progress[progress.length - 1]).toEqual([N, N]);
    for (let i = 1; i < progress.length; i++) expect(progress[i][0]).toBeGreaterThan(progress[i - 1][0]);
  });

  it('scales the product and seller pools sub-linearly', () => {
    const small = poolSizes(100_000);
    const big = poolSizes(1_000_000);
    expect(big.products / small.products).toBeLessThan(6);
    expect(big.sellers / small.sellers).toBeLessThan(6);
    expect(poolSizes(10).products).toBeGreaterThanOrEqual(2 * CAL.categories.length);
  });
});

describe('calibration against the real export', () => {
  let real: Omit<OlistStats, 'monthly' | 'rows'>;
  let gen: OlistStats;
  beforeAll(async () => {
    real = HAS_REAL ? await realStats() : (CAL.reference as unknown as Omit<OlistStats, 'monthly' | 'rows'>);
    gen = runInChild<OlistStats>(WORK, { task: 'stats', dir: mainDir });
    const rows = (Object.keys(gen) as (keyof OlistStats)[])
      .filter((k) => k !== 'monthly' && k !== 'rows' && k in real)
      .map((k) => `  ${k.padEnd(22)} real ${JSON.stringify(real[k as keyof typeof real])}  generated ${JSON.stringify(gen[k])}`);
    console.log(`[generator.test] ${N} generated customers vs ${HAS_REAL ? 'the real export' : 'calibration.ts reference'}:\n${rows.join('\n')}`);
  }, SLOW);

  const within = (actual: number, expected: number, tol: number) => expect(Math.abs(actual - expected)).toBeLessThanOrEqual(tol);

  it('share of one-order customers (±1.5 pts)', () => within(gen.oneOrderShare, real.oneOrderShare, 0.015));
  it('delivered share (±1 pt)', () => within(gen.deliveredShare, real.deliveredShare, 0.01));
  it('late share (±2 pts)', () => within(gen.lateShare, real.lateShare, 0.02));
  it('mean review score on time and late (±0.25), not delivered (±0.4)', () => {
    within(gen.meanScoreOnTime, real.meanScoreOnTime, 0.25);
    within(gen.meanScoreLate, real.meanScoreLate, 0.25);
    within(gen.meanScoreNotDelivered, real.meanScoreNotDelivered, 0.4);
    expect(gen.meanScoreOnTime - gen.meanScoreLate).toBeGreaterThan(1.2);
  });
  it('payment type mix (±3 pts per type)', () => {
    for (const t of ['credit_card', 'boleto', 'voucher', 'debit_card']) within(gen.paymentTypeShare[t] ?? 0, real.paymentTypeShare[t], 0.03);
  });
  it('median payment value (±15%), per row and per order', () => {
    within(gen.medianPaymentValue / real.medianPaymentValue, 1, 0.15);
    within(gen.medianOrderPayment / real.medianOrderPayment, 1, 0.15);
  });
  it('growth over time: share of 2018 orders (±5 pts)', () => within(gen.share2018, real.share2018, 0.05));
  it('items per order, reviews coverage, SP share', () => {
    within(gen.itemsPerOrderMean, real.itemsPerOrderMean, 0.05);
    within(gen.noReviewShare, real.noReviewShare, 0.005);
    within(gen.spShare, real.spShare, 0.02);
  });
});
