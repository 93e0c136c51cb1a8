/**
 * The calibration (calibration.ts, summary statistics of the real export) turned into samplers and constants: the
 * tables every draw of the generator reads, the time axis, price and freight bounds, and the pool sizes.
 */
import type { Rng } from '../util/random';
import * as CALIBRATION from './calibration';
import { Discrete } from './samplers';
import * as SHARED from './shared';

// Module-scope aliases: a global (Math) or module-namespace lookup in the per-row code is slow in sandboxed contexts
// (Jest's vm), where it cannot be cached.
const { max, pow, round } = Math;
export const CAL = { ...CALIBRATION };
const { DAY, OUTCOME_BUCKETS, parseTimestamp } = { ...SHARED };

export interface Place {
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
export const drawZip = (p: Place, rng: Rng) => p.zipLo + rng.int(p.zipHi - p.zipLo + 1);

const asCounts = (x: object) => x as Record<string, number>;

export const T = {
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
export const AXIS_START = parseTimestamp(CAL.timeAxis.firstDay + ' 00:00:00');
export const AXIS_END = AXIS_START + CAL.timeAxis.daily.length * DAY - 1000;
export const CUTOFF = parseTimestamp(CAL.lastTimestamp);
export const lateByMonth = CAL.lateShareByMonth as Record<string, number>;
export const noItemsByStatus = CAL.noItemsShareByStatus as Record<string, number>;
export const estimatedMedian = CAL.estimatedDaysMedianByState as Record<string, number>;
export const OVERALL_LATE = CAL.reference.lateShare;
export const MAX_PRICE_CENTS = 673500;
export const MIN_PRICE_CENTS = 85;
export const MAX_FREIGHT_CENTS = 40968;
export const PAYMENT_TYPES: Record<string, string> = { c: 'credit_card', b: 'boleto', v: 'voucher', d: 'debit_card', n: 'not_defined' };
const REAL_PEOPLE = CAL.reference.people;

/** Pool sizes: the real ratios at the real scale, growing as N^0.7 (sub-linear) with a small floor. */
export function poolSizes(customers: number): { products: number; sellers: number } {
  const f = pow(max(customers, 1) / REAL_PEOPLE, 0.7);
  return {
    products: max(2 * CAL.categories.length, round(CAL.productsPerPerson * REAL_PEOPLE * f)),
    sellers: max(10, round(CAL.sellersPerPerson * REAL_PEOPLE * f)),
  };
}
