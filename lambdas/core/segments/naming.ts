/**
 * Plain-language names, descriptions and marketing actions, derived from a segment's profile by explicit
 * rules (the same rules for every run and every data set; nothing is written by hand for one run).
 *
 * 1. Traits: each rule below reads the profile and tags the segment (TRAIT_RULES, thresholds stated).
 * 2. Head: the first matching entry of HEADS (satisfaction problems first, because a campaign aimed at an
 *    unhappy customer backfires; then value, then basket; one-time buyers last) gives the name and action.
 * 3. Qualifier: recency (recent / lapsed) is appended when the segment differs from the population on it,
 *    and further traits are appended only when two segments would otherwise share a name.
 */
import { Profile } from './profile';

export type Trait =
  | 'unsatisfied'
  | 'late-deliveries'
  | 'delighted'
  | 'repeat'
  | 'high-spend'
  | 'low-spend'
  | 'installments'
  | 'upfront'
  | 'multi-item'
  | 'recent'
  | 'lapsed';

export interface TraitRule {
  trait: Trait;
  /** The rule in words, for reports and the README. */
  rule: string;
  test: (p: Profile) => boolean;
}

const ratio = (p: Profile, f: keyof Profile, stat: 'mean' | 'median'): number => {
  const base = stat === 'mean' ? p[f].populationMean : p[f].populationMedian;
  return base > 0 ? p[f][stat] / base : 1;
};

export const TRAIT_RULES: readonly TraitRule[] = [
  { trait: 'unsatisfied', rule: 'mean review score at most 3 out of 5, or 0.75 standard deviations below the population', test: (p) => p.reviewScore.mean <= 3 || p.reviewScore.zScore <= -0.75 },
  { trait: 'late-deliveries', rule: 'at least 30% of orders delivered after the estimated day', test: (p) => p.lateShare.mean >= 0.3 },
  { trait: 'delighted', rule: 'mean review score at least 4.6', test: (p) => p.reviewScore.mean >= 4.6 },
  { trait: 'repeat', rule: 'at least 1.5 orders per customer on average', test: (p) => p.frequency.mean >= 1.5 },
  { trait: 'high-spend', rule: 'median spend at least 1.6 times the population median', test: (p) => ratio(p, 'monetary', 'median') >= 1.6 },
  { trait: 'low-spend', rule: 'median spend at most 0.6 times the population median', test: (p) => ratio(p, 'monetary', 'median') <= 0.6 },
  { trait: 'installments', rule: 'mean installments 0.75 standard deviations above the population', test: (p) => p.installments.zScore >= 0.75 },
  { trait: 'upfront', rule: 'mean installments at most 1.5 (pays at once)', test: (p) => p.installments.mean <= 1.5 },
  { trait: 'multi-item', rule: 'at least 1.5 items per customer on average', test: (p) => p.items.mean >= 1.5 },
  { trait: 'recent', rule: 'mean recency 0.5 standard deviations below the population (bought more recently)', test: (p) => p.recencyDays.zScore <= -0.5 },
  { trait: 'lapsed', rule: 'mean recency 0.5 standard deviations above the population (last bought long ago)', test: (p) => p.recencyDays.zScore >= 0.5 },
];

export function traitsOf(p: Profile): Trait[] {
  return TRAIT_RULES.filter((r) => r.test(p)).map((r) => r.trait);
}

interface Head {
  when: (t: Set<Trait>) => boolean;
  name: string;
  description: string;
  action: string;
  /** Replaces the action when the segment is lapsed (a nurture message no longer fits). */
  lapsedAction?: string;
}

const WIN_BACK =
  'Win-back campaign: a reactivation coupon and new arrivals in the category of their last purchase; stop after two unanswered contacts to protect deliverability.';

/** In priority order; the last entry matches every segment. */
export const HEADS: readonly Head[] = [
  {
    when: (t) => t.has('unsatisfied') && t.has('late-deliveries'),
    name: 'Let down by late delivery',
    description: 'Customers whose orders mostly arrived after the promised day and who rated the purchase poorly.',
    action:
      'Service recovery first: apologise for the delay, offer a voucher with free shipping on the next order, and keep them out of promotional pushes until a positive contact; escalate the carriers and sellers behind the delays.',
  },
  {
    when: (t) => t.has('unsatisfied'),
    name: 'Unhappy with their purchase',
    description: 'Customers who received their order on time but rated it poorly (product or seller problem).',
    action:
      'Reach out through customer care to understand and fix the problem, then a goodwill voucher; review the products and sellers behind the low scores before any cross-selling.',
  },
  {
    when: (t) => t.has('repeat') && t.has('high-spend'),
    name: 'Loyal high spenders',
    description: 'Repeat customers who have spent well above the typical customer: the most valuable group.',
    action: 'VIP treatment: loyalty programme, early access to sales, personalised recommendations and referral rewards; protect them with priority delivery and fast support.',
  },
  {
    when: (t) => t.has('repeat'),
    name: 'Repeat buyers',
    description: 'Customers who came back and ordered more than once.',
    action: 'Enrol them in the loyalty programme, send replenishment reminders and cross-sell the categories they have not bought yet.',
  },
  {
    when: (t) => t.has('high-spend') && t.has('installments'),
    name: 'Big-ticket buyers paying in installments',
    description: 'One-time customers with a large basket, usually spread over many credit-card installments.',
    action: 'Premium cross-sell with interest-free installment offers (accessories, warranties, complementary products); a second-purchase incentive to turn them into repeat customers.',
  },
  {
    when: (t) => t.has('high-spend'),
    name: 'Big spenders',
    description: 'One-time customers whose order was well above the typical value.',
    action: 'Premium recommendations and bundles based on their first purchase; invite them to the loyalty programme to earn a second order.',
  },
  {
    when: (t) => t.has('multi-item'),
    name: 'Basket builders',
    description: 'Customers who buy several items or categories at once.',
    action: 'Bundles, "frequently bought together" suggestions and free-shipping thresholds just above their usual basket.',
  },
  {
    when: (t) => t.has('low-spend'),
    name: 'Low-spend one-time buyers',
    description: 'Customers with a single small order.',
    action: 'Low-cost channels only (email, app push) with entry-level products and free-shipping offers; avoid deep discounts that erode margin.',
    lapsedAction: 'Low-cost win-back only: one email or push with entry-level products and a free-shipping offer, then stop; not worth paid media.',
  },
  {
    when: () => true,
    name: 'One-time buyers',
    description: 'Customers with a single order of typical value who were satisfied with it.',
    action: 'Second-purchase nurture: a welcome series, recommendations based on the first purchase and a time-limited coupon for the second order.',
    lapsedAction: WIN_BACK,
  },
];

const RECENCY_QUALIFIER: Partial<Record<Trait, { name: string; action: string }>> = {
  recent: { name: 'recent', action: 'Act within weeks, while the purchase is fresh.' },
  lapsed: { name: 'lapsed', action: 'They last bought long ago: lead with a win-back offer.' },
};

/** Qualifiers tried, in order, when two segments would share a name. */
const TIE_BREAKERS: readonly [Trait, string][] = [
  ['late-deliveries', 'late deliveries'],
  ['delighted', 'delighted'],
  ['installments', 'installments'],
  ['upfront', 'pays upfront'],
  ['multi-item', 'several items'],
  ['high-spend', 'high spend'],
  ['low-spend', 'low spend'],
];

export interface SegmentLabel {
  name: string;
  description: string;
  action: string;
  traits: Trait[];
}

/** Names, descriptions and actions for all segments of a model, unique names guaranteed. */
export function labelSegments(profiles: Profile[]): SegmentLabel[] {
  const labels = profiles.map((p) => {
    const traits = traitsOf(p);
    const set = new Set(traits);
    const head = HEADS.find((h) => h.when(set))!;
    let name = head.name;
    let action = head.action;
    for (const t of ['recent', 'lapsed'] as const) {
      const q = RECENCY_QUALIFIER[t];
      if (set.has(t) && q) {
        name += ` (${q.name})`;
        action = t === 'lapsed' && head.lapsedAction ? head.lapsedAction : `${action} ${q.action}`;
      }
    }
    return { name, description: head.description, action, traits };
  });
  // Disambiguate equal names with the first trait that differs, then by spend rank as a last resort.
  const groups = new Map<string, number[]>();
  labels.forEach((l, i) => groups.set(l.name, [...(groups.get(l.name) ?? []), i]));
  for (const [, idx] of groups) {
    if (idx.length < 2) continue;
    const extra = new Map<number, string[]>(idx.map((i) => [i, []]));
    for (const [trait, word] of TIE_BREAKERS) {
      const has = idx.filter((i) => labels[i].traits.includes(trait));
      if (has.length > 0 && has.length < idx.length) has.forEach((i) => extra.get(i)!.push(word));
    }
    for (const i of idx) if (extra.get(i)!.length) labels[i].name += ` - ${extra.get(i)!.join(', ')}`;
    const again = new Map<string, number[]>();
    idx.forEach((i) => again.set(labels[i].name, [...(again.get(labels[i].name) ?? []), i]));
    for (const [, same] of again) {
      if (same.length < 2) continue;
      same.sort((a, b) => profiles[b].monetary.mean - profiles[a].monetary.mean);
      same.forEach((i, rank) => (labels[i].name += ` - spend tier ${rank + 1}`));
    }
  }
  return labels;
}
