import { labelSegments, traitsOf, TRAIT_RULES } from '../../lambdas/core/segments/naming';
import { Profile } from '../../lambdas/core/segments/profile';
import { chooseK, Candidate } from '../../lambdas/core/model/selectK';
import { FEATURE_NAMES, FeatureName } from '../../lambdas/core/model/types';

// A population like Olist's: mean and median per feature, and the standard deviation used for z-scores.
const POP: Record<FeatureName, [number, number, number]> = {
  recencyDays: [287, 268, 153],
  frequency: [1.03, 1, 0.21],
  monetary: [165, 107, 226],
  reviewScore: [4.16, 5, 1.26],
  deliveryDelayDays: [-11, -12, 10],
  lateShare: [0.068, 0, 0.25],
  items: [1.18, 1, 0.6],
  categories: [1.03, 1, 0.18],
  installments: [2.9, 2, 2.7],
};

function profile(means: Partial<Record<FeatureName, number>>, medians: Partial<Record<FeatureName, number>> = {}): Profile {
  const p = {} as Profile;
  for (const f of FEATURE_NAMES) {
    const [pm, pmed, sd] = POP[f];
    const mean = means[f] ?? pm;
    p[f] = { mean, median: medians[f] ?? (means[f] !== undefined ? mean : pmed), populationMean: pm, populationMedian: pmed, zScore: (mean - pm) / sd };
  }
  return p;
}

describe('segment naming rules', () => {
  test('late and unsatisfied -> service recovery', () => {
    const [l] = labelSegments([profile({ reviewScore: 2.3, lateShare: 0.95 })]);
    expect(l.traits).toEqual(expect.arrayContaining(['unsatisfied', 'late-deliveries']));
    expect(l.name).toBe('Let down by late delivery');
    expect(l.action).toMatch(/apologise/);
  });

  test('unsatisfied without lateness -> product/seller problem', () => {
    expect(labelSegments([profile({ reviewScore: 1.8 })])[0].name).toBe('Unhappy with their purchase');
  });

  test('repeat + high spend -> loyal high spenders; repeat alone -> repeat buyers', () => {
    const [a, b] = labelSegments([profile({ frequency: 2.1, monetary: 320 }, { monetary: 230 }), profile({ frequency: 2.0, monetary: 150 }, { monetary: 110 })]);
    expect(a.name).toBe('Loyal high spenders');
    expect(b.name).toBe('Repeat buyers');
  });

  test('satisfaction problems outrank value: an unhappy big spender is treated as unhappy first', () => {
    const [l] = labelSegments([profile({ reviewScore: 2, monetary: 400 }, { monetary: 300 })]);
    expect(l.name).toBe('Unhappy with their purchase');
    expect(l.traits).toContain('high-spend');
  });

  test('recency qualifies the name; lapsed one-time buyers get a win-back action', () => {
    const [recent, lapsed] = labelSegments([profile({ recencyDays: 150 }), profile({ recencyDays: 480 })]);
    expect(recent.name).toBe('One-time buyers (recent)');
    expect(lapsed.name).toBe('One-time buyers (lapsed)');
    expect(lapsed.action).toMatch(/^Win-back/);
    expect(recent.action).toMatch(/Second-purchase nurture/);
  });

  test('names are unique even when two profiles trigger the same rules', () => {
    const labels = labelSegments([profile({ installments: 1.2 }), profile({ installments: 1.3 }), profile({ reviewScore: 4.8 })]);
    expect(new Set(labels.map((l) => l.name)).size).toBe(3);
  });

  test('every trait rule is stated in words', () => {
    for (const r of TRAIT_RULES) expect(r.rule.length).toBeGreaterThan(10);
    expect(traitsOf(profile({}))).toEqual([]);
  });
});

describe('choice of k', () => {
  const cand = (k: number, sil: number, db: number, ch: number, stab: number, extra: Partial<Candidate> = {}): Candidate => ({
    k, silhouette: sil, daviesBouldin: db, calinskiHarabasz: ch, inertia: 0, initStability: stab, smallestShare: 0.05, hasUnsatisfied: true, hasHighValue: true, ...extra,
  });

  test('ignores k outside 4..8 and picks the best mean normalised score', () => {
    const c = chooseK([cand(2, 0.9, 0.5, 30000, 1), cand(4, 0.25, 1.4, 24000, 0.99), cand(5, 0.24, 1.35, 23000, 0.5), cand(6, 0.3, 1.2, 25000, 0.95)]);
    expect(c.scores.map((s) => s.k)).toEqual([4, 5, 6]);
    expect(c.k).toBe(6);
  });

  test('skips unusable candidates (tiny segment, no unsatisfied or no high-value segment) with reasons', () => {
    const c = chooseK([cand(4, 0.2, 1.5, 20000, 0.9), cand(6, 0.3, 1.2, 25000, 0.95, { smallestShare: 0.01 }), cand(7, 0.3, 1.2, 25000, 0.95, { hasUnsatisfied: false })]);
    expect(c.k).toBe(4);
    expect(c.scores.find((s) => s.k === 6)!.reasons[0]).toMatch(/smallest segment 1.0%/);
    expect(c.scores.find((s) => s.k === 7)!.reasons).toEqual(['no unsatisfied segment']);
  });

  test('falls back to the best score when nothing is usable, and says so', () => {
    const c = chooseK([cand(4, 0.2, 1.5, 20000, 0.9, { hasHighValue: false }), cand(5, 0.3, 1.2, 25000, 0.95, { hasHighValue: false })]);
    expect(c.k).toBe(5);
    expect(c.usableFound).toBe(false);
  });
});
