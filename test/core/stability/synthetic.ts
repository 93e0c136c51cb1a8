/**
 * Small OlistData built directly as columns, with customer groups whose arrival rate is chosen per day, so a
 * test can plant a change of the customer mix at a known date.
 *
 * Every customer places one order on arrival; it is delivered 7 days later (review known one day after the
 * delivery). Groups differ on spend, items, categories, installments, review score and delivery delay, far
 * enough apart in the model's bounded feature space (features/transforms.ts: about one unit or more, against
 * recency's weight of 1.5 spread uniformly within every group) that k-means finds them with any seed.
 */
import { OlistData } from '../../../lambdas/core/olist/load';
import { ORDER_STATUSES, PAYMENT_TYPES } from '../../../lambdas/core/olist/tables';
import { BRAZIL_STATES } from '../../../lambdas/core/olist/states';
import { createRng } from '../../../lambdas/core/util/random';

export const DAY = 86_400_000;
export const EPOCH = Date.UTC(2017, 0, 1);

export interface GroupSpec {
  name: string;
  /** Payment value: log-normal around this median. */
  value: number;
  items: number;
  categories: number;
  installments: number;
  review: number;
  /** Delivered minus estimated date, days (positive = late). */
  delayDays: number;
  /** Arrivals per day on a given day since EPOCH. */
  rate: (day: number) => number;
}

export const BUDGET: Omit<GroupSpec, 'rate'> = { name: 'budget', value: 30, items: 1, categories: 1, installments: 1, review: 5, delayDays: -18 };
export const PREMIUM: Omit<GroupSpec, 'rate'> = { name: 'premium', value: 900, items: 3, categories: 2, installments: 10, review: 5, delayDays: -4 };
export const BULK: Omit<GroupSpec, 'rate'> = { name: 'bulk', value: 180, items: 6, categories: 3, installments: 4, review: 2, delayDays: -12 };
export const UNHAPPY: Omit<GroupSpec, 'rate'> = { name: 'unhappy', value: 120, items: 1, categories: 1, installments: 2, review: 1, delayDays: 15 };

export interface Synthetic {
  data: OlistData;
  /** Group name of each customer (index into data.customerIds). */
  group: string[];
}

export function syntheticData(groups: GroupSpec[], days: number, seed = 7): Synthetic {
  const rng = createRng(seed);
  const customerIds: string[] = [];
  const group: string[] = [];
  const purchase: number[] = [];
  const delivered: number[] = [];
  const estimated: number[] = [];
  const itemCount: number[] = [];
  const payment: number[] = [];
  const installments: number[] = [];
  const revOrder: number[] = [];
  const revScore: number[] = [];
  const revKnown: number[] = [];
  const itemOrder: number[] = [];
  const itemCategory: number[] = [];
  const itemPrice: number[] = [];
  for (let day = 0; day < days; day++) {
    for (const g of groups) {
      // Poisson-free arrivals: the integer part every day plus a Bernoulli for the fraction.
      const r = g.rate(day);
      const n = Math.floor(r) + (rng.next() < r - Math.floor(r) ? 1 : 0);
      for (let c = 0; c < n; c++) {
        const o = purchase.length;
        customerIds.push(`${g.name}-${day}-${c}`);
        group.push(g.name);
        const t = EPOCH + (day + rng.next()) * DAY;
        const del = t + 7 * DAY;
        purchase.push(t);
        delivered.push(del);
        estimated.push(del - g.delayDays * DAY);
        const value = g.value * Math.exp(0.25 * rng.normal());
        payment.push(value);
        installments.push(g.installments);
        itemCount.push(g.items);
        for (let i = 0; i < g.items; i++) {
          itemOrder.push(o);
          itemCategory.push(i % g.categories);
          itemPrice.push(value / g.items);
        }
        revOrder.push(o);
        revScore.push(g.review);
        revKnown.push(del + DAY);
      }
    }
  }
  const n = purchase.length;
  const delivStatus = ORDER_STATUSES.indexOf('delivered');
  const data: OlistData = {
    customerIds,
    customerState: new Uint8Array(customerIds.length).fill(BRAZIL_STATES.indexOf('SP')),
    orders: {
      count: n,
      ids: customerIds.map((id) => `o-${id}`),
      customer: Int32Array.from({ length: n }, (_, i) => i),
      status: new Uint8Array(n).fill(delivStatus),
      purchase: Float64Array.from(purchase),
      delivered: Float64Array.from(delivered),
      estimated: Float64Array.from(estimated),
      itemCount: Int32Array.from(itemCount),
      itemValue: Float64Array.from(payment),
      payment: Float64Array.from(payment),
      installments: Float64Array.from(installments),
      paymentType: new Uint8Array(n).fill(PAYMENT_TYPES.indexOf('credit_card')),
    },
    reviews: { count: revOrder.length, order: Int32Array.from(revOrder), score: Uint8Array.from(revScore), known: Float64Array.from(revKnown) },
    itemOrder: Int32Array.from(itemOrder),
    itemCategory: Int32Array.from(itemCategory),
    itemPrice: Float64Array.from(itemPrice),
    categories: ['unknown', 'toys', 'books', 'garden'],
    tables: [],
    issues: { orphanItems: 0, orphanPayments: 0, orphanReviews: 0, itemsWithUnknownProduct: 0, ordersWithoutPayment: 0, unknownStates: 0, firstUnknownStateLine: 0 },
    fingerprint: `synthetic-${seed}-${n}`,
  };
  return { data, group };
}

export const dayToTime = (day: number) => EPOCH + day * DAY;
