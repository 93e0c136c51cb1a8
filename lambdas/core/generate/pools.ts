/**
 * The product and seller pools of a generated export: sellers and products drawn once (and written to their tables),
 * sized sub-linearly with the number of customers (calibrated.ts, poolSizes), with each product's price, weight,
 * seller and popularity kept in typed arrays for the per-order draws.
 */
import type { Rng } from '../util/random';
import * as CALIBRATED from './calibrated';
import { CsvOut, hexId, q, qId, zip } from './exportFormat';
import * as SAMPLERS from './samplers';
import { Discrete } from './samplers';

// Module-scope aliases: a global (Math) or module-namespace lookup in the per-row code is slow in sandboxed contexts
// (Jest's vm), where it cannot be cached.
const { exp, floor, max, min, round, sqrt } = Math;
const { CAL, MAX_PRICE_CENTS, MIN_PRICE_CENTS, T, drawZip, poolSizes } = { ...CALIBRATED };
const { fromQuantiles, inverseNormal, phi } = { ...SAMPLERS };

export interface Pools {
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

export function buildPools(customers: number, rng: Rng, sellersOut: CsvOut, productsOut: CsvOut): Pools {
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
