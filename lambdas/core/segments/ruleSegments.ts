/**
 * Rule-based segments for the people of the export without a delivered order (features/customerFeatures.ts:
 * SERVICE_GROUPS). They never received anything, so there is no spend, delivery or experience to cluster on, and
 * putting them in the k-means fit would distort it; yet they are the unhappiest people of the export (on Olist, 77%
 * of those who reviewed scored 1 or 2) and marketing must reach them, with service recovery, not promotion.
 *
 * Their ids are fixed (RULE_SEGMENT_IDS, from 100 up, never handed to a cluster: stability/matching.ts) so that a
 * campaign or an app can rely on them across model versions.
 */
import { SERVICE_GROUPS, ServiceGroup, UncountedPeople } from '../features/customerFeatures';
import { SegmentDescription } from '../domain/types';
import { facts } from './naming';
import { PopulationStats, membersOf, profileSegments } from './profile';
import { TraitThresholds, traitSupport, traitsOfSupport } from './traits';

/** First id of the rule segments; cluster ids stay below it. */
export const RULE_SEGMENT_ID_BASE = 100;

export const RULE_SEGMENT_IDS: Readonly<Record<ServiceGroup, number>> = {
  'never-delivered': RULE_SEGMENT_ID_BASE,
  'in-transit': RULE_SEGMENT_ID_BASE + 1,
  canceled: RULE_SEGMENT_ID_BASE + 2,
};

export const isRuleSegmentId = (id: number) => id >= RULE_SEGMENT_ID_BASE;

interface RuleSegmentText {
  name: string;
  rule: string;
  description: string;
  action: string;
}

export const RULE_SEGMENTS: Readonly<Record<ServiceGroup, RuleSegmentText>> = {
  'never-delivered': {
    name: 'Order overdue, never delivered',
    rule: 'no delivered order, and an order more than 7 days past its estimated delivery date',
    description: 'People who have not received any order, and whose order is more than a week past the promised date.',
    action:
      'Service recovery now: contact them before they contact you, locate or refund the order, apologise with a voucher valid once it is settled; no promotion until the order is resolved; escalate the carrier or seller.',
  },
  'in-transit': {
    name: 'First order on its way',
    rule: 'no delivered order, and an order not yet delivered that is still within its promise (or at most 7 days past it)',
    description: 'People waiting for their first delivery, still within the promised date.',
    action: 'Reassure, do not sell: tracking updates and the delivery date; hold promotions until the order arrives, then start the welcome series.',
  },
  canceled: {
    name: 'Order canceled or unavailable',
    rule: 'every order canceled or unavailable',
    description: 'People whose orders were all canceled or unavailable: they never received anything.',
    action:
      'Apologise and explain, then propose available alternatives to what they wanted with a first-order voucher; keep them out of generic promotions until they order again.',
  },
};

/**
 * The rule segments, described like the clusters (profile against the clustered population, traits by support),
 * with the service rule as the fidelity of the name (it holds for every member). All of them, even empty: a model
 * can then label anyone later (segments assign, the stability check) without a missing segment.
 */
export function describeRuleSegments(uncounted: UncountedPeople, pop: PopulationStats, thresholds: TraitThresholds, people: number): SegmentDescription[] {
  const groups = SERVICE_GROUPS.length;
  const labels = Int32Array.from(uncounted.group);
  const members = membersOf(labels, groups);
  const profiles = profileSegments(uncounted.values, labels, groups, pop);
  const support = traitSupport(uncounted.values, members, thresholds);
  const out: SegmentDescription[] = [];
  SERVICE_GROUPS.forEach((g, i) => {
    const size = members[i].length;
    const text = RULE_SEGMENTS[g];
    out.push({
      id: RULE_SEGMENT_IDS[g],
      kind: 'rule',
      name: text.name,
      description: size ? `${text.description} ${facts(profiles[i])}` : text.description,
      action: text.action,
      traits: traitsOfSupport(support[i]),
      size,
      share: size / Math.max(1, people),
      profile: profiles[i],
      fidelity: size ? { [g]: 1 } : {},
    });
  });
  return out;
}

/** Segment id of each uncounted person (row order). */
export function ruleLabels(uncounted: UncountedPeople): Int32Array {
  return Int32Array.from(uncounted.group, (g) => RULE_SEGMENT_IDS[SERVICE_GROUPS[g]]);
}
