/**
 * The customer features in words: labels with units, how to format a value, which statistic stands for
 * the "typical" customer, and a plain sentence comparing a segment with everybody (for the segment cards,
 * meant for readers who have never heard of k-means).
 */
import { FEATURE_NAMES, FeatureName } from '../domain/types';
import { fmt } from '../util/format';

export interface FeatureInfo {
  /** Short label for axes and table headers, with its unit. */
  label: string;
  /** A label for people outside the data team. */
  plain: string;
  /** What the feature measures, one sentence. */
  definition: string;
  /** Which statistic of summary.json compares a segment with all customers on the cards. */
  stat: 'mean' | 'median';
  format: (v: number) => string;
  /** A plain comparison sentence; ratio is segment / all when both are positive. */
  sentence: (seg: number, all: number) => string;
  /** Digits that are meaningful when a value is shown compactly (chart labels). */
  digits: number;
}

const ratioOf = (a: number, b: number) => (b > 0 && a >= 0 ? a / b : NaN);

function compareRatio(seg: number, all: number, more: (r: string) => string, less: (p: string) => string, same: string): string {
  const r = ratioOf(seg, all);
  if (!Number.isFinite(r)) return same;
  if (r >= 1.15) return more(fmt.times(r));
  if (r <= 0.87) return less(`${Math.round((1 - r) * 100)}%`);
  return same;
}

export const FEATURE_INFO: Record<FeatureName, FeatureInfo> = {
  recencyDays: {
    label: 'Days since last purchase',
    plain: 'Days since last purchase',
    definition: 'days from the customer’s last counted purchase to the date of the data',
    stat: 'mean',
    digits: 0,
    format: (v) => fmt.days(v, 0),
    sentence: (s, a) =>
      s < a * 0.85
        ? `Bought recently: their last purchase was ${fmt.days(s, 0)} ago on average (all customers: ${fmt.days(a, 0)})`
        : s > a * 1.15
          ? `Have not bought for a while: their last purchase was ${fmt.days(s, 0)} ago on average (all customers: ${fmt.days(a, 0)})`
          : `Last purchase ${fmt.days(s, 0)} ago on average, like the average customer (${fmt.days(a, 0)})`,
  },
  frequency: {
    label: 'Orders per customer',
    plain: 'Orders per customer',
    definition: 'number of delivered orders',
    stat: 'mean',
    digits: 2,
    format: (v) => fmt.num(v, 2),
    sentence: (s, a) =>
      s >= 1.5
        ? `Come back: ${fmt.num(s, 1)} orders each on average, ${fmt.times(ratioOf(s, a))} the average customer (${fmt.num(a, 2)})`
        : s <= 1.02
          ? `Bought only once (${fmt.num(s, 2)} orders each on average; all customers: ${fmt.num(a, 2)})`
          : `${fmt.num(s, 2)} orders each on average (all customers: ${fmt.num(a, 2)})`,
  },
  monetary: {
    label: 'Total spend (R$)',
    plain: 'Typical total spend',
    definition: 'total paid over all delivered orders (the median stands for the typical customer)',
    stat: 'median',
    digits: 0,
    format: (v) => fmt.brl(v),
    sentence: (s, a) =>
      compareRatio(
        s,
        a,
        (r) => `Spend ${r} the typical customer: ${fmt.brl0(s)} in total vs ${fmt.brl0(a)}`,
        (p) => `Spend ${p} less than the typical customer: ${fmt.brl0(s)} in total vs ${fmt.brl0(a)}`,
        `Spend about as much as the typical customer: ${fmt.brl0(s)} in total vs ${fmt.brl0(a)}`,
      ),
  },
  reviewScore: {
    label: 'Review score (1-5)',
    plain: 'Average review score',
    definition: 'mean review score out of 5 (customers without a review get the documented imputation)',
    stat: 'mean',
    digits: 1,
    format: (v) => `${fmt.num(v, 1)} / 5`,
    sentence: (s, a) =>
      s <= a - 0.4
        ? `Unhappy: rate their purchases ${fmt.num(s, 1)} out of 5 on average (all customers: ${fmt.num(a, 1)})`
        : s >= a + 0.3
          ? `Delighted: rate their purchases ${fmt.num(s, 1)} out of 5 on average (all customers: ${fmt.num(a, 1)})`
          : `Rate their purchases ${fmt.num(s, 1)} out of 5 on average (all customers: ${fmt.num(a, 1)})`,
  },
  deliveryDelayDays: {
    label: 'Delivery vs promised date (days)',
    plain: 'Delivery vs promised date',
    definition: 'delivered minus promised date in days, averaged over orders (negative = early)',
    stat: 'mean',
    digits: 1,
    format: (v) => (v < 0 ? `${fmt.days(-v)} early` : v > 0 ? `${fmt.days(v)} late` : 'on the day'),
    sentence: (s, a) => {
      const when = (v: number) => (v < 0 ? `${fmt.days(-v, 0)} early` : `${fmt.days(v, 0)} late`);
      return `Orders arrived ${when(s)} on average compared with the promised date (all customers: ${when(a)})`;
    },
  },
  lateShare: {
    label: 'Late deliveries (share)',
    plain: 'Deliveries that arrived late',
    definition: 'share of the customer’s orders delivered after the promised day, averaged over customers',
    stat: 'mean',
    digits: 2,
    format: (v) => fmt.pct(v, 0),
    sentence: (s, a) => `${fmt.pct(s, 0)} of their deliveries arrived late, vs ${fmt.pct(a, 0)} for the average customer`,
  },
  items: {
    label: 'Items bought',
    plain: 'Items bought',
    definition: 'number of items over all delivered orders',
    stat: 'mean',
    digits: 1,
    format: (v) => fmt.num(v, 1),
    sentence: (s, a) =>
      compareRatio(
        s,
        a,
        (r) => `Fill bigger baskets: ${fmt.num(s, 1)} items each on average, ${r} the average customer (${fmt.num(a, 1)})`,
        () => `Buy few items: ${fmt.num(s, 1)} each on average (all customers: ${fmt.num(a, 1)})`,
        `Buy ${fmt.num(s, 1)} items each on average, like the average customer (${fmt.num(a, 1)})`,
      ),
  },
  categories: {
    label: 'Product categories',
    plain: 'Product categories bought',
    definition: 'number of distinct product categories bought',
    stat: 'mean',
    digits: 1,
    format: (v) => fmt.num(v, 1),
    sentence: (s, a) => `Shop in ${fmt.num(s, 1)} product categories on average (all customers: ${fmt.num(a, 1)})`,
  },
  installments: {
    label: 'Payment installments',
    plain: 'Payment installments',
    definition: 'number of credit-card installments, averaged over orders (1 = paid at once)',
    stat: 'mean',
    digits: 1,
    format: (v) => fmt.num(v, 1),
    sentence: (s, a) =>
      s <= 1.5
        ? `Pay at once: ${fmt.num(s, 1)} installments on average (all customers: ${fmt.num(a, 1)})`
        : compareRatio(
            s,
            a,
            (r) => `Spread payments: ${fmt.num(s, 1)} installments on average, ${r} the average customer (${fmt.num(a, 1)})`,
            () => `Pay in ${fmt.num(s, 1)} installments on average (all customers: ${fmt.num(a, 1)})`,
            `Pay in ${fmt.num(s, 1)} installments on average, like the average customer (${fmt.num(a, 1)})`,
          ),
  },
};

// A statistic over no value (NaN, or null once read back from JSON) shows as a dash, whatever the feature's format.
for (const info of Object.values(FEATURE_INFO)) {
  const format = info.format;
  info.format = (v) => (typeof v === 'number' && Number.isFinite(v) ? format(v) : '–');
}

export { FEATURE_NAMES };
export type { FeatureName };
