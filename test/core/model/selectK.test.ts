import { chooseK, Candidate, marketingScore } from '../../../lambdas/core/model/selectK';
import { Coverage } from '../../../lambdas/core/model/coverage';

const COVERED: Coverage = { unhappyInUnsatisfied: 0.95, unhappyInLowReviewSegments: 0.95, unhappy: 1000, repeatInRepeat: 0.9, repeat: 300, eta2: { recency: 0.6, spend: 0.3, review: 0.7 } };

const cand = (k: number, silhouette: number, extra: Partial<Candidate> = {}, coverage: Partial<Coverage> = {}): Candidate => ({
  k,
  silhouette,
  silhouetteSE: 0.0015,
  daviesBouldin: 1.3,
  calinskiHarabasz: 20000,
  inertia: 0,
  initStability: 0.9,
  smallestShare: 0.05,
  coverage: { ...COVERED, ...coverage },
  modelStability: 0.99,
  hasUnsatisfied: true,
  hasHighValue: true,
  hasRecent: true,
  hasLapsed: true,
  ...extra,
});

describe('choice of k', () => {
  test('ignores k outside 4..8 and takes the best silhouette when it is clearly best', () => {
    const c = chooseK([cand(2, 0.6), cand(4, 0.2), cand(5, 0.25), cand(6, 0.21)]);
    expect(c.scores.map((s) => s.k)).toEqual([4, 5, 6]);
    expect(c.k).toBe(5);
    expect(c.why).toMatch(/best silhouette 0.250 at k = 5/);
  });

  test('a silhouette gap smaller than twice its sampling spread is a tie, decided by marketing coverage', () => {
    // 0.227 vs 0.224: gap 0.003 < 2 x sqrt(2) x 0.0015 = 0.0042: tied; k = 8 covers more.
    const c = chooseK([cand(5, 0.227, {}, { eta2: { recency: 0.5, spend: 0.2, review: 0.6 } }), cand(8, 0.224)]);
    expect(c.scores.find((s) => s.k === 8)!.tiedWithBest).toBe(true);
    expect(c.k).toBe(8);
    expect(c.why).toMatch(/tied within its noise with k = 8/);
    // A larger gap is not a tie.
    expect(chooseK([cand(5, 0.235, {}, { eta2: { recency: 0.5, spend: 0.2, review: 0.6 } }), cand(8, 0.224)]).k).toBe(5);
  });

  test('equal coverage within 0.01: the smaller k', () => {
    expect(chooseK([cand(6, 0.2), cand(7, 0.2)]).k).toBe(6);
    expect(marketingScore(COVERED)).toBeCloseTo((0.95 + 0.9 + 0.6 + 0.3 + 0.7) / 5);
  });

  test('unusable candidates are skipped with reasons: size, unhappy coverage, recency, repeat buyers, seed agreement', () => {
    const c = chooseK([
      cand(4, 0.3, { smallestShare: 0.01 }),
      cand(5, 0.3, {}, { unhappyInUnsatisfied: 0.6 }),
      cand(6, 0.3, { hasRecent: false }),
      cand(7, 0.3, {}, { repeatInRepeat: 0.2 }),
      cand(8, 0.3, { modelStability: 0.8 }),
      cand(9, 0.1),
    ]);
    const reasons = (k: number) => c.scores.find((s) => s.k === k)!.reasons.join('; ');
    expect(reasons(4)).toMatch(/smallest segment 1.0% < 2%/);
    expect(reasons(5)).toMatch(/60% of unhappy customers in an unsatisfied segment < 85%/);
    expect(reasons(6)).toMatch(/no recent segment/);
    expect(reasons(7)).toMatch(/20% of repeat buyers in a repeat segment < 50%/);
    expect(reasons(8)).toMatch(/agree at ARI 0.800 < 0.95/);
    expect(c.usableFound).toBe(false);
  });

  test('with no usable candidate, the one failing the fewest conditions, and it says so', () => {
    const c = chooseK([cand(4, 0.3, { smallestShare: 0.01, hasLapsed: false }), cand(5, 0.2, { hasLapsed: false })]);
    expect(c.k).toBe(5);
    expect(c.usableFound).toBe(false);
    expect(c.why).toMatch(/no candidate meets every condition; k = 5 fails the fewest \(no lapsed segment\)/);
  });

  test('a candidate whose stability was not measured is not refused for it', () => {
    expect(chooseK([cand(4, 0.3, { modelStability: undefined })]).scores[0].usable).toBe(true);
  });
});
