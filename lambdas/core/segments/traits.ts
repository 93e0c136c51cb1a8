/**
 * Traits of a customer, and of a segment as the share of its members that have them.
 *
 * A segment's name must be true of its members, not of an average: a segment whose mean review is 3.1 may hold a
 * third of delighted customers. So every trait is first a test on ONE customer (TRAIT_RULES), and a segment has the
 * trait when at least TRAIT_SUPPORT (70%) of its members pass the test. The names (naming.ts) rest only on traits a
 * segment has, and summary.json reports each one's support as the segment's `fidelity`.
 *
 * Thresholds: satisfaction, orders, items and installments on their own scales (stars, counts); spend and recency
 * relative to the population, by tertiles (the top third of spend is "high", the most recent third is "recent"),
 * because what is a high basket or a long absence depends on the shop and on the length of its history. The
 * fitted cut points are returned with the traits so that reports can say them in reais and days.
 */
import { FEATURE_INDEX } from '../features/customerFeatures';
import { Matrix } from '../util/matrix';

export type Trait =
  | 'unsatisfied'
  | 'lukewarm'
  | 'delighted'
  | 'late-deliveries'
  | 'repeat'
  | 'one-time'
  | 'high-spend'
  | 'low-spend'
  | 'installments'
  | 'upfront'
  | 'multi-item'
  | 'recent'
  | 'lapsed';

/** A segment has a trait when at least this share of its members (with a value for it) have it. */
export const TRAIT_SUPPORT = 0.7;

/** Population cut points that make the relative traits concrete (fitted at training, quoted by the reports). */
export interface TraitThresholds {
  /** Spend at the population's 1st and 2nd tertile (R$). */
  spendLow: number;
  spendHigh: number;
  /** Days since the last purchase at the population's 1st and 2nd tertile. */
  recentDays: number;
  lapsedDays: number;
}

export interface TraitRule {
  trait: Trait;
  /** The test on one customer, in words ({spendHigh} etc. are filled from the thresholds). */
  rule: string;
  /** NaN-safe test on one row of raw features (FEATURE_NAMES order) at offset `at`; undefined = no value. */
  holds: (v: Float64Array, at: number, t: TraitThresholds) => boolean | undefined;
}

const F = FEATURE_INDEX;
const known = (x: number, test: (x: number) => boolean): boolean | undefined => (Number.isNaN(x) ? undefined : test(x));

export const TRAIT_RULES: readonly TraitRule[] = [
  { trait: 'unsatisfied', rule: 'mean review score at most 3 stars', holds: (v, i) => known(v[i + F.reviewScore], (x) => x <= 3) },
  { trait: 'lukewarm', rule: 'mean review score above 3 and below 4.5 stars (satisfied, not delighted)', holds: (v, i) => known(v[i + F.reviewScore], (x) => x > 3 && x < 4.5) },
  { trait: 'delighted', rule: 'mean review score at least 4.5 stars', holds: (v, i) => known(v[i + F.reviewScore], (x) => x >= 4.5) },
  { trait: 'late-deliveries', rule: 'at least half of the orders delivered after the promised day', holds: (v, i) => known(v[i + F.lateShare], (x) => x >= 0.5) },
  { trait: 'repeat', rule: 'two or more orders', holds: (v, i) => known(v[i + F.frequency], (x) => x >= 2) },
  { trait: 'one-time', rule: 'exactly one order', holds: (v, i) => known(v[i + F.frequency], (x) => x <= 1) },
  { trait: 'high-spend', rule: 'spend in the top third of customers (at least R$ {spendHigh})', holds: (v, i, t) => known(v[i + F.monetary], (x) => x >= t.spendHigh) },
  { trait: 'low-spend', rule: 'spend in the bottom third of customers (at most R$ {spendLow})', holds: (v, i, t) => known(v[i + F.monetary], (x) => x <= t.spendLow) },
  { trait: 'installments', rule: 'pays in 4 or more card installments on average', holds: (v, i) => known(v[i + F.installments], (x) => x >= 4) },
  { trait: 'upfront', rule: 'pays at once (one installment)', holds: (v, i) => known(v[i + F.installments], (x) => x <= 1) },
  { trait: 'multi-item', rule: 'two or more items bought', holds: (v, i) => known(v[i + F.items], (x) => x >= 2) },
  { trait: 'recent', rule: 'last purchase in the most recent third of customers (within {recentDays} days)', holds: (v, i, t) => known(v[i + F.recencyDays], (x) => x <= t.recentDays) },
  { trait: 'lapsed', rule: 'last purchase in the oldest third of customers (more than {lapsedDays} days ago)', holds: (v, i, t) => known(v[i + F.recencyDays], (x) => x >= t.lapsedDays) },
];

export const TRAIT_RULE_TEXT = `a segment has a trait when at least ${TRAIT_SUPPORT * 100}% of its members have it individually`;

/** The rule of a trait in words with the fitted cut points. */
export function describeTrait(rule: TraitRule, t: TraitThresholds): string {
  return rule.rule
    .replace('{spendHigh}', Math.round(t.spendHigh).toLocaleString('en-US'))
    .replace('{spendLow}', Math.round(t.spendLow).toLocaleString('en-US'))
    .replace('{recentDays}', String(Math.round(t.recentDays)))
    .replace('{lapsedDays}', String(Math.round(t.lapsedDays)));
}

function quantile(sorted: Float64Array, q: number): number {
  if (!sorted.length) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Tertile cut points of spend and recency over the clustered customers (raw, imputed values). */
export function fitTraitThresholds(values: Matrix): TraitThresholds {
  const col = (j: number) => {
    const out = new Float64Array(values.rows);
    for (let i = 0; i < values.rows; i++) out[i] = values.data[i * values.cols + j];
    return out.sort();
  };
  const spend = col(F.monetary);
  const recency = col(F.recencyDays);
  return { spendLow: quantile(spend, 1 / 3), spendHigh: quantile(spend, 2 / 3), recentDays: quantile(recency, 1 / 3), lapsedDays: quantile(recency, 2 / 3) };
}

/** Per segment (rows of `members`), the share of members with each trait, among those with a value for it. */
export function traitSupport(values: Matrix, members: readonly ArrayLike<number>[], t: TraitThresholds): Record<Trait, number>[] {
  const d = values.cols;
  return members.map((rows) => {
    const out = {} as Record<Trait, number>;
    for (const r of TRAIT_RULES) {
      let yes = 0;
      let n = 0;
      for (let m = 0; m < rows.length; m++) {
        const h = r.holds(values.data, rows[m] * d, t);
        if (h === undefined) continue;
        n++;
        if (h) yes++;
      }
      out[r.trait] = n ? yes / n : 0;
    }
    return out;
  });
}

/** The traits a segment has (support at least TRAIT_SUPPORT), in TRAIT_RULES order. */
export function traitsOfSupport(support: Record<Trait, number>): Trait[] {
  return TRAIT_RULES.filter((r) => support[r.trait] >= TRAIT_SUPPORT).map((r) => r.trait);
}
