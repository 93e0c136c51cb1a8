import { labelSegments } from '../../lambdas/core/segments/naming';
import { membersOf, populationStats, profileSegments } from '../../lambdas/core/segments/profile';
import { TRAIT_RULES, TRAIT_SUPPORT, TraitThresholds, describeTrait, fitTraitThresholds, traitSupport, traitsOfSupport } from '../../lambdas/core/segments/traits';
import { FEATURE_NAMES, FeatureName } from '../../lambdas/core/domain/types';
import { createMatrix } from '../../lambdas/core/util/matrix';

/** A typical one-order customer of the Olist export (raw feature values). */
const TYPICAL: Record<FeatureName, number> = {
  recencyDays: 220,
  frequency: 1,
  monetary: 105,
  reviewScore: NaN, // no review: no satisfaction trait either way
  deliveryDelayDays: -11,
  lateShare: 0,
  items: 1,
  categories: 1,
  installments: 2,
};
const THRESHOLDS: TraitThresholds = { spendLow: 75, spendHigh: 152, recentDays: 153, lapsedDays: 294 };

/** Segments given as lists of members (each a partial override of TYPICAL), labelled like a training does. */
function label(segments: Partial<Record<FeatureName, number>>[][]) {
  const rows = segments.flat();
  const m = createMatrix(rows.length, FEATURE_NAMES.length);
  rows.forEach((r, i) => FEATURE_NAMES.forEach((f, j) => (m.data[i * FEATURE_NAMES.length + j] = r[f] ?? TYPICAL[f])));
  const labels = Int32Array.from(segments.flatMap((s, id) => s.map(() => id)));
  const k = segments.length;
  const support = traitSupport(m, membersOf(labels, k), THRESHOLDS);
  return labelSegments(profileSegments(m, labels, k, populationStats(m)), support);
}

/** n members, a share of whom have `with` and the rest `without`. */
function members(n: number, share: number, withValues: Partial<Record<FeatureName, number>>, without: Partial<Record<FeatureName, number>> = {}, base: Partial<Record<FeatureName, number>> = {}) {
  return Array.from({ length: n }, (_, i) => ({ ...base, ...(i < Math.round(n * share) ? withValues : without) }));
}

describe('traits hold per customer; a segment has a trait when 70% of its members do', () => {
  test('support is the share of members passing the test, among those with a value', () => {
    const [unhappy] = label([members(10, 0.8, { reviewScore: 1 }, { reviewScore: 5 })]);
    expect(unhappy.traits).toContain('unsatisfied');
    expect(unhappy.fidelity.unsatisfied).toBeCloseTo(0.8);
    // 60% unhappy is not enough to call the segment unhappy, whatever its mean review (here 2.6).
    const [mixed] = label([members(10, 0.6, { reviewScore: 1 }, { reviewScore: 5 })]);
    expect(mixed.traits).not.toContain('unsatisfied');
    expect(mixed.name).not.toMatch(/Unhappy/);
  });

  test('a missing value (NaN) does not count for or against a trait', () => {
    const m = createMatrix(4, FEATURE_NAMES.length);
    for (let i = 0; i < 4; i++) FEATURE_NAMES.forEach((f, j) => (m.data[i * FEATURE_NAMES.length + j] = TYPICAL[f]));
    const r = FEATURE_NAMES.indexOf('reviewScore');
    m.data[r] = 1;
    m.data[FEATURE_NAMES.length + r] = NaN;
    m.data[2 * FEATURE_NAMES.length + r] = NaN;
    m.data[3 * FEATURE_NAMES.length + r] = 5;
    const [s] = traitSupport(m, [Int32Array.from([0, 1, 2, 3])], THRESHOLDS);
    expect(s.unsatisfied).toBe(0.5);
  });

  test('thresholds are the tertiles of spend and recency, and the rules quote them', () => {
    const m = createMatrix(300, FEATURE_NAMES.length);
    for (let i = 0; i < 300; i++) {
      FEATURE_NAMES.forEach((f, j) => (m.data[i * FEATURE_NAMES.length + j] = TYPICAL[f]));
      m.data[i * FEATURE_NAMES.length + FEATURE_NAMES.indexOf('monetary')] = i + 1;
      m.data[i * FEATURE_NAMES.length + FEATURE_NAMES.indexOf('recencyDays')] = 3 * i;
    }
    const t = fitTraitThresholds(m);
    expect(t.spendLow).toBeCloseTo(100.67, 1);
    expect(t.spendHigh).toBeCloseTo(200.33, 1);
    expect(t.recentDays).toBeCloseTo(299, 0);
    expect(describeTrait(TRAIT_RULES.find((r) => r.trait === 'high-spend')!, t)).toMatch(/at least R\$ 200/);
    expect(describeTrait(TRAIT_RULES.find((r) => r.trait === 'recent')!, t)).toMatch(/within 299 days/);
    for (const r of TRAIT_RULES) expect(r.rule.length).toBeGreaterThan(10);
    expect(traitsOfSupport(Object.fromEntries(TRAIT_RULES.map((r) => [r.trait, TRAIT_SUPPORT - 0.01])) as never)).toEqual([]);
  });
});

describe('segment names rest on traits their members have', () => {
  test('late and unsatisfied -> service recovery, with both traits in the fidelity', () => {
    const [l] = label([members(10, 0.9, { reviewScore: 1, lateShare: 1, deliveryDelayDays: 9 })]);
    expect(l.name).toBe('Let down by late delivery');
    expect(l.action).toMatch(/apologise/);
    expect(Object.keys(l.fidelity).sort()).toEqual(['late-deliveries', 'unsatisfied']);
  });

  test('unsatisfied without lateness -> product or seller problem', () => {
    expect(label([members(10, 1, { reviewScore: 2 })])[0].name).toBe('Unhappy with their purchase');
  });

  test('repeat + high spend -> loyal high spenders; repeat alone -> repeat buyers', () => {
    const [a, b] = label([members(10, 1, { frequency: 2, monetary: 300 }), members(10, 1, { frequency: 2, monetary: 100 })]);
    expect(a.name).toBe('Loyal high spenders');
    expect(b.name).toBe('Repeat buyers');
  });

  test('satisfaction problems outrank value: an unhappy big spender is treated as unhappy first', () => {
    const [l] = label([members(10, 1, { reviewScore: 2, monetary: 400 })]);
    expect(l.name).toBe('Unhappy with their purchase');
    expect(l.traits).toContain('high-spend');
  });

  test('recency qualifies the name when most members share it; lapsed buyers get a win-back action', () => {
    const [recent, lapsed, middle] = label([members(10, 1, { recencyDays: 30 }), members(10, 1, { recencyDays: 480 }), members(10, 0.5, { recencyDays: 30 }, { recencyDays: 480 })]);
    expect(recent.name).toBe('One-time buyers (recent)');
    expect(lapsed.name).toBe('One-time buyers (lapsed)');
    expect(lapsed.action).toMatch(/^Win-back/);
    expect(recent.action).toMatch(/Second-purchase nurture/);
    expect(middle.name).toBe('One-time buyers');
    expect(lapsed.fidelity.lapsed).toBe(1);
  });

  test('descriptions carry the typical member in figures', () => {
    const [l] = label([members(4, 1, { monetary: 80, reviewScore: 5 })]);
    expect(l.description).toMatch(/Typically: 1 order, median spend R\$ 80, mean review 5.0 stars/);
  });

  test('names are unique even when two segments have the same head traits', () => {
    const labels = label([members(10, 1, { installments: 1 }), members(10, 1, { installments: 1 }), members(10, 1, { reviewScore: 5 })]);
    expect(new Set(labels.map((l) => l.name)).size).toBe(3);
  });
});
