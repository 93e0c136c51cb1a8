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
 *
 * The parts, one concern each: exportFormat.ts (file names, columns, quoting, the CSV writer), samplers.ts (weighted
 * choice, quantiles, normal), calibrated.ts (the calibration as samplers and constants), pools.ts (products and
 * sellers), person.ts (one person's orders, items, payments and reviews); this file opens the files and runs them.
 */
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createRng } from '../util/random';
import { CATEGORY_TRANSLATION } from './categories';
import { CsvOut, FILES, HEADERS, LINE_ENDINGS, type TableName } from './exportFormat';
import { buildPools } from './pools';
import { generatePerson, type Outs } from './person';
import { generatedProvenance, PROVENANCE_FILE } from '../olist/provenance';

const { floor, max } = Math;

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
