/**
 * A person's reasons (core/model/explain.ts) in words, with their own value and the typical customer's (the clustered
 * population's median, stored in every segment profile): what `segments query --customer`, the typed client and the
 * JSON give a support agent. Pure: the model (its segments and review imputation) and the stored assignment suffice.
 */
import { OVERDUE_GRACE_DAYS } from '../features/customerFeatures';
import { fmt } from '../util/format';
import { RULE_SEGMENTS } from '../segments/ruleSegments';
import { FEATURE_NAMES, type AssignmentWhy, type FeatureName, type FeatureVector, type ReasonCode, type SegmentModel } from '../domain/types';

export interface Reason {
  /** A feature name (clustered customers) or a service group (rule segments). */
  code: ReasonCode;
  /** The person's value of the feature (null when they have none, e.g. no review); absent for a service group. */
  value?: number | null;
  /** The typical customer's value (median of the clustered customers); absent for a service group. */
  typical?: number;
  /** above / below the typical customer in the model's space; absent for a service group. */
  direction?: 'above' | 'below';
  text: string;
}

/** What the wording needs from a model. */
export type ExplainModel = Pick<SegmentModel, 'segments' | 'reviewImputation'>;

/** The person as stored (features without the undefined ones) and their why. */
export interface ExplainedPerson extends Partial<AssignmentWhy> {
  features: Partial<FeatureVector>;
}

const FEATURE_SET = new Set<string>(FEATURE_NAMES);

const days = (v: number) => fmt.int(v);
const plural = (n: number, one: string, many: string) => `${fmt.num(n, Number.isInteger(n) ? 0 : 1)} ${Math.abs(n) === 1 ? one : many}`;
const delay = (v: number) => (Math.abs(v) < 0.5 ? 'on the promised day' : v > 0 ? `${days(v)} days late` : `${days(-v)} days early`);

/** The person's value and the typical customer's, each as people read them. */
const WORDS: Record<FeatureName, { say: (v: number) => string; typical: (t: number) => string }> = {
  recencyDays: { say: (v) => `last bought ${days(v)} days ago`, typical: days },
  frequency: { say: (v) => plural(v, 'order', 'orders'), typical: (t) => fmt.num(t, Number.isInteger(t) ? 0 : 1) },
  monetary: { say: (v) => `spent ${fmt.brl(v)} in total`, typical: fmt.brl },
  reviewScore: { say: (v) => `reviews ${fmt.num(v, 1)} of 5 stars on average`, typical: (t) => fmt.num(t, 1) },
  deliveryDelayDays: { say: (v) => `deliveries ${delay(v)} on average`, typical: delay },
  lateShare: { say: (v) => `${fmt.pct(v, 0)} of deliveries late`, typical: (t) => fmt.pct(t, 0) },
  items: { say: (v) => plural(v, 'item', 'items') + ' bought', typical: (t) => fmt.num(t, Number.isInteger(t) ? 0 : 1) },
  categories: { say: (v) => `bought in ${plural(v, 'product category', 'product categories')}`, typical: (t) => fmt.num(t, Number.isInteger(t) ? 0 : 1) },
  installments: { say: (v) => `pays in ${fmt.num(v, 1)} installments on average`, typical: (t) => fmt.num(t, 1) },
};

/** The typical (median) value of every feature over the clustered customers, from the model's segment profiles. */
export function typicalValues(model: ExplainModel): Partial<Record<FeatureName, number>> {
  const profile = model.segments.find((s) => s.kind === 'cluster')?.profile ?? model.segments[0]?.profile;
  const out: Partial<Record<FeatureName, number>> = {};
  if (profile) for (const f of FEATURE_NAMES) out[f] = profile[f]?.populationMedian;
  return out;
}

/** One clustered customer's feature reason. */
function featureReason(f: FeatureName, person: ExplainedPerson, model: ExplainModel, typical: Partial<Record<FeatureName, number>>): Reason {
  const t = typical[f];
  const v = person.features[f];
  const w = WORDS[f];
  const against = t === undefined || !Number.isFinite(t) ? '' : ` (typical customer: ${w.typical(t)})`;
  if (f === 'reviewScore' && (v === undefined || !Number.isFinite(v))) {
    // No review of their own: the model placed them with the imputed score of their delivery outcome.
    const late = (person.features.lateShare ?? 0) > 0;
    const imputed = late ? model.reviewImputation.late : model.reviewImputation.onTime;
    return { code: f, value: null, ...(t === undefined ? {} : { typical: t }), direction: t !== undefined && imputed < t ? 'below' : 'above', text: `no review; counted as ${fmt.num(imputed, 1)} stars, the mean of customers whose deliveries were ${late ? 'late' : 'on time'}${against}` };
  }
  const value = v ?? NaN;
  return { code: f, value, ...(t === undefined ? {} : { typical: t }), direction: t !== undefined && value < t ? 'below' : 'above', text: `${w.say(value)}${against}` };
}

/** A rule segment's person: their service situation with their own numbers. */
function ruleReason(code: ReasonCode, person: ExplainedPerson): Reason {
  const p = person.promiseDays;
  const orders = person.features.frequency;
  const ordered = person.features.recencyDays;
  const last = ordered === undefined ? '' : `; last ordered ${days(ordered)} days ago`;
  switch (code) {
    case 'never-delivered':
      return { code, text: p !== undefined ? `order ${days(p)} days past its promised delivery date, never delivered${last}` : `${RULE_SEGMENTS['never-delivered'].rule}${last}` };
    case 'in-transit':
      return {
        code,
        text:
          p === undefined
            ? `first order on its way${last}`
            : p > 0
              ? `first order ${days(p)} days past its promised date, within the ${OVERDUE_GRACE_DAYS}-day grace before it counts as overdue${last}`
              : `first order on its way, promised in ${days(-p)} days${last}`,
      };
    default:
      return { code, text: `${orders === undefined ? 'every order' : orders === 1 ? 'their order was' : `all ${fmt.int(orders)} orders were`} canceled or unavailable, nothing was delivered${last}` };
  }
}

/** The person's reasons in words, strongest first ([] when the stored assignment predates reasons). */
export function reasonsInWords(person: ExplainedPerson, model: ExplainModel): Reason[] {
  const typical = typicalValues(model);
  return (person.reasons ?? []).map((code) => (FEATURE_SET.has(code) ? featureReason(code as FeatureName, person, model, typical) : ruleReason(code, person)));
}

/** One line for people: the reasons, and the runner-up with the margin. */
export function whyLine(reasons: Reason[], runnerUp: { id: number; name: string } | null, margin: number | null, borderlineBelow: number): string {
  const because = reasons.length ? reasons.map((r) => r.text).join('; ') : 'close to the typical customer on every feature';
  if (!runnerUp || margin === null) return because;
  const close = margin < borderlineBelow ? ' (borderline: nearly as close to it as to their own segment)' : '';
  return `${because}\nnext nearest: segment ${runnerUp.id} "${runnerUp.name}", margin ${fmt.num(margin, 3)}${close}`;
}
