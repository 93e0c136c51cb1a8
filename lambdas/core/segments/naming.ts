/**
 * Plain-language names, descriptions and marketing actions, derived by explicit rules from the traits a segment's
 * members have (traits.ts: a segment has a trait when at least 70% of its members have it individually), so that a
 * name is true of the people it names. The same rules for every run and data set; nothing is written for one run.
 *
 * 1. Head: the first entry of HEADS whose traits the segment has gives the name and action. Satisfaction problems
 *    come first (a promotion sent to an unhappy customer backfires), then value (repeat, spend), then satisfaction
 *    level and basket; plain one-time buyers last.
 * 2. Recency: "(recent)" or "(lapsed)" is appended when the segment has that trait, and the action adapts.
 * 3. Two segments that would share a name are told apart by the first further trait that one has and the other not.
 * Each segment's `fidelity` lists the support of every trait its name rests on.
 */
import { Profile } from './profile';
import { Trait, traitsOfSupport } from './traits';

interface Head {
  /** Traits the name and the description assert: all must be held. */
  rests: Trait[];
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
    rests: ['unsatisfied', 'late-deliveries'],
    name: 'Let down by late delivery',
    description: 'Customers whose orders arrived after the promised day and who rated the purchase 3 stars or less.',
    action:
      'Service recovery first: apologise for the delay, offer a voucher with free shipping on the next order, and keep them out of promotional pushes until a positive contact; escalate the carriers and sellers behind the delays.',
  },
  {
    rests: ['unsatisfied'],
    name: 'Unhappy with their purchase',
    description: 'Customers who rated their purchase 3 stars or less.',
    action:
      'Reach out through customer care to understand and fix the problem, then a goodwill voucher; review the products and sellers behind the low scores, and keep them out of cross-selling until a positive contact.',
  },
  {
    rests: ['repeat', 'high-spend'],
    name: 'Loyal high spenders',
    description: 'Customers who came back and ordered more than once, with a spend in the top third: the most valuable group.',
    action: 'VIP treatment: loyalty programme, early access to sales, personalised recommendations and referral rewards; protect them with priority delivery and fast support.',
  },
  {
    rests: ['repeat'],
    name: 'Repeat buyers',
    description: 'Customers who came back and ordered more than once.',
    action: 'Enrol them in the loyalty programme, send replenishment reminders and cross-sell the categories they have not bought yet.',
    lapsedAction: 'Win them back with what they bought before: a reminder of their categories, a loyalty-points bonus on the next order, then stop after two unanswered contacts.',
  },
  {
    rests: ['high-spend', 'installments'],
    name: 'Big-ticket buyers paying in installments',
    description: 'Customers with a single order whose basket was in the top third, spread over 4 or more card installments.',
    action: 'Premium cross-sell with interest-free installment offers (accessories, warranties, complementary products); a second-purchase incentive to turn them into repeat customers.',
  },
  {
    rests: ['high-spend'],
    name: 'Big spenders',
    description: 'Customers whose spend is in the top third.',
    action: 'Premium recommendations and bundles based on their first purchase; invite them to the loyalty programme to earn a second order.',
    lapsedAction: 'Premium win-back: new arrivals in the category of their big purchase and a loyalty invitation; one or two contacts, not a discount spiral.',
  },
  {
    rests: ['lukewarm'],
    name: 'Satisfied, not delighted',
    description: 'Customers who rated their purchase about 4 stars (above 3, below 4.5): content, with something short of perfect.',
    action: 'Ask what would have made it a 5 (a one-question survey), fix the friction they name, then a second-purchase offer in the same category.',
  },
  {
    rests: ['multi-item'],
    name: 'Basket builders',
    description: 'Customers who buy several items at once.',
    action: 'Bundles, "frequently bought together" suggestions and free-shipping thresholds just above their usual basket.',
  },
  {
    rests: ['low-spend'],
    name: 'Low-spend one-time buyers',
    description: 'Customers with a small basket, in the bottom third of spend.',
    action: 'Low-cost channels only (email, app push) with entry-level products and free-shipping offers; avoid deep discounts that erode margin.',
    lapsedAction: 'Low-cost win-back only: one email or push with entry-level products and a free-shipping offer, then stop; not worth paid media.',
  },
  {
    rests: ['delighted'],
    name: 'Delighted one-time buyers',
    description: 'Customers who gave their purchase 5 stars.',
    action: 'Turn delight into advocacy and a second order: ask for a public review and a referral, with a referral reward and recommendations based on the first purchase.',
    lapsedAction: 'They loved their purchase but have not come back: a win-back with new arrivals in that category and a referral reward.',
  },
  {
    rests: [],
    name: 'One-time buyers',
    description: 'Customers with a typical single order.',
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
  ['lukewarm', '4 stars'],
  ['high-spend', 'high spend'],
  ['low-spend', 'low spend'],
  ['installments', 'installments'],
  ['upfront', 'pays upfront'],
  ['multi-item', 'several items'],
  ['repeat', 'repeat'],
];

export interface SegmentLabel {
  name: string;
  description: string;
  action: string;
  /** Every trait the segment has (support at least 70%). */
  traits: Trait[];
  /** Support of each trait the name and description rest on. */
  fidelity: Partial<Record<Trait, number>>;
}

/** Names, descriptions and actions for all segments of a model, unique names guaranteed. */
export function labelSegments(profiles: Profile[], support: Record<Trait, number>[]): SegmentLabel[] {
  const labels = profiles.map((p, i) => {
    const traits = traitsOfSupport(support[i]);
    const set = new Set(traits);
    const head = HEADS.find((h) => h.rests.every((t) => set.has(t)))!;
    const rests: Trait[] = [...head.rests];
    let name = head.name;
    let action = head.action;
    for (const t of ['recent', 'lapsed'] as const) {
      const q = RECENCY_QUALIFIER[t];
      if (set.has(t) && q) {
        name += ` (${q.name})`;
        action = t === 'lapsed' && head.lapsedAction ? head.lapsedAction : `${action} ${q.action}`;
        rests.push(t);
      }
    }
    return { name, description: `${head.description} ${facts(p)}`, action, traits, rests };
  });
  // Disambiguate equal names with the traits that differ, then by spend rank as a last resort.
  const groups = new Map<string, number[]>();
  labels.forEach((l, i) => groups.set(l.name, [...(groups.get(l.name) ?? []), i]));
  for (const [, idx] of groups) {
    if (idx.length < 2) continue;
    const extra = new Map<number, string[]>(idx.map((i) => [i, []]));
    for (const [trait, word] of TIE_BREAKERS) {
      const has = idx.filter((i) => labels[i].traits.includes(trait));
      if (has.length > 0 && has.length < idx.length)
        has.forEach((i) => {
          extra.get(i)!.push(word);
          labels[i].rests.push(trait);
        });
    }
    for (const i of idx) if (extra.get(i)!.length) labels[i].name += ` - ${extra.get(i)!.join(', ')}`;
    const again = new Map<string, number[]>();
    idx.forEach((i) => again.set(labels[i].name, [...(again.get(labels[i].name) ?? []), i]));
    for (const [, same] of again) {
      if (same.length < 2) continue;
      same.sort((a, b) => profiles[b].monetary.median - profiles[a].monetary.median);
      same.forEach((i, rank) => (labels[i].name += ` - spend tier ${rank + 1}`));
    }
  }
  return labels.map((l, i) => ({
    name: l.name,
    description: l.description,
    action: l.action,
    traits: l.traits,
    fidelity: Object.fromEntries(l.rests.map((t) => [t, round3(support[i][t])])),
  }));
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** The typical member in figures: what a marketer checks before trusting a name. */
export function facts(p: Profile): string {
  const orders = p.frequency.mean;
  const parts = [
    `${orders < 1.05 ? '1 order' : `${orders.toFixed(1)} orders on average`}`,
    `median spend R$ ${Math.round(p.monetary.median).toLocaleString('en-US')}`,
    Number.isNaN(p.reviewScore.mean) ? 'no review' : `mean review ${p.reviewScore.mean.toFixed(1)} stars`,
  ];
  if (!Number.isNaN(p.lateShare.mean)) parts.push(`${Math.round(p.lateShare.mean * 100)}% of orders late`);
  parts.push(`last purchase ${Math.round(p.recencyDays.median)} days ago (median)`);
  return `Typically: ${parts.join(', ')}.`;
}
