/**
 * The rule that chooses k, stated once so the summary and the reports can quote it.
 *
 * Candidates are k = 4..8: fewer segments are too coarse for campaigns, more are more than a marketing team can
 * run. A candidate is usable when it is a segmentation marketing can act on and production can reproduce:
 * - every segment holds at least 2% of the customers (a campaign audience);
 * - best-of-10 k-means fits with different seeds (what production runs) agree: median ARI >= 0.95;
 * - at least 85% of the customers with a mean review of 2 or less are in a segment with the `unsatisfied` trait;
 * - recency plays a part: a `recent` and a `lapsed` segment, and a correlation ratio of recency >= 0.25;
 * - it separates good from less good customers: an unsatisfied segment, a high-value (repeat or high-spend) one,
 *   and at least half of the repeat buyers in a segment with the `repeat` trait (a loyalty programme needs them).
 * Among the usable candidates, the silhouette decides, with its noise: a candidate whose silhouette is within twice
 * the sampling spread of the difference (2 x sqrt(se_a^2 + se_b^2), the silhouette being a mean over a 10,000-point
 * sample) of the best one is tied with it. Among tied candidates, the best marketing coverage wins (the mean of the
 * unhappy and repeat coverage and of the correlation ratios of recency, spend and review: coverage.ts), and within
 * 0.01 of that, the smaller k. When no candidate is usable, the one failing the fewest conditions is taken, by the
 * same order, and the summary says so.
 */
import { Coverage } from './coverage';
import { SweepPoint } from '../domain/types';

export const ACTIONABLE_K = { min: 4, max: 8 } as const;
export const MIN_SEGMENT_SHARE = 0.02;
export const MIN_MODEL_STABILITY = 0.95;
export const MIN_REPEAT_COVERAGE = 0.5;
export const MIN_UNHAPPY_COVERAGE = 0.85;
export const MIN_RECENCY_ETA2 = 0.25;
/** Silhouette differences below this many standard errors of the difference are ties. */
export const SILHOUETTE_NOISE_Z = 2;
const COVERAGE_TIE = 0.01;

export const K_RULE =
  'k in 4..8 among the usable candidates (every segment >= 2% of customers; best-of-10 fits with different seeds agree at median ARI >= 0.95; >= 85% of customers with a mean review <= 2 in an unsatisfied segment; a recent and a lapsed segment and recency correlation ratio >= 0.25; an unsatisfied and a high-value segment; >= 50% of repeat buyers in a repeat segment): the best silhouette, candidates within 2 standard errors of the difference being tied; among ties the best marketing coverage (mean of unhappy and repeat coverage and of the correlation ratios of recency, spend and review), then the smaller k';

export interface Candidate extends SweepPoint {
  silhouetteSE: number;
  smallestShare: number;
  coverage: Coverage;
  /** Median pairwise ARI of best-of-10 fits with different seeds; undefined when not measured (already unusable). */
  modelStability?: number;
  hasUnsatisfied: boolean;
  hasHighValue: boolean;
  hasRecent: boolean;
  hasLapsed: boolean;
}

export interface KChoiceScore {
  k: number;
  usable: boolean;
  reasons: string[];
  silhouette: number;
  silhouetteSE: number;
  /** Tied with the best usable silhouette (within its noise). */
  tiedWithBest: boolean;
  marketingScore: number;
  modelStability?: number;
}

export interface KChoice {
  k: number;
  rule: string;
  scores: KChoiceScore[];
  usableFound: boolean;
  /** Why this k, in one sentence. */
  why: string;
}

/** The conditions a candidate fails (empty: usable). modelStability is checked only when measured. */
export function unusableReasons(c: Candidate): string[] {
  const r: string[] = [];
  if (c.smallestShare < MIN_SEGMENT_SHARE) r.push(`smallest segment ${(c.smallestShare * 100).toFixed(1)}% < ${MIN_SEGMENT_SHARE * 100}%`);
  if (c.coverage.unhappyInUnsatisfied < MIN_UNHAPPY_COVERAGE) r.push(`${pct(c.coverage.unhappyInUnsatisfied)} of unhappy customers in an unsatisfied segment < ${pct(MIN_UNHAPPY_COVERAGE)}`);
  if (!c.hasRecent || !c.hasLapsed) r.push(`no ${[c.hasRecent ? '' : 'recent', c.hasLapsed ? '' : 'lapsed'].filter(Boolean).join(' or ')} segment`);
  if (c.coverage.eta2.recency < MIN_RECENCY_ETA2) r.push(`recency correlation ratio ${c.coverage.eta2.recency.toFixed(2)} < ${MIN_RECENCY_ETA2}`);
  if (!c.hasUnsatisfied) r.push('no unsatisfied segment');
  if (!c.hasHighValue) r.push('no high-value segment');
  if (c.coverage.repeatInRepeat < MIN_REPEAT_COVERAGE) r.push(`${pct(c.coverage.repeatInRepeat)} of repeat buyers in a repeat segment < ${pct(MIN_REPEAT_COVERAGE)}`);
  if (c.modelStability !== undefined && c.modelStability < MIN_MODEL_STABILITY) r.push(`best-of-10 fits with different seeds agree at ARI ${c.modelStability.toFixed(3)} < ${MIN_MODEL_STABILITY}`);
  return r;
}

export function marketingScore(c: Coverage): number {
  return (c.unhappyInUnsatisfied + c.repeatInRepeat + c.eta2.recency + c.eta2.spend + c.eta2.review) / 5;
}

export function chooseK(candidates: Candidate[]): KChoice {
  const inRange = candidates.filter((c) => c.k >= ACTIONABLE_K.min && c.k <= ACTIONABLE_K.max);
  const pool = inRange.length ? inRange : candidates;
  const reasons = new Map(pool.map((c) => [c.k, unusableReasons(c)]));
  const usable = pool.filter((c) => !reasons.get(c.k)!.length);
  // Without a usable candidate: those failing the fewest conditions compete.
  const fewest = Math.min(...pool.map((c) => reasons.get(c.k)!.length));
  const contenders = usable.length ? usable : pool.filter((c) => reasons.get(c.k)!.length === fewest);
  const best = contenders.reduce((a, b) => (b.silhouette > a.silhouette ? b : a));
  const tied = (c: Candidate) => Math.abs(best.silhouette - c.silhouette) <= SILHOUETTE_NOISE_Z * Math.hypot(best.silhouetteSE, c.silhouetteSE);
  const ties = contenders.filter(tied);
  const topScore = Math.max(...ties.map((c) => marketingScore(c.coverage)));
  const chosen = ties.filter((c) => marketingScore(c.coverage) >= topScore - COVERAGE_TIE).reduce((a, b) => (b.k < a.k ? b : a));
  const scores: KChoiceScore[] = pool.map((c) => ({
    k: c.k,
    usable: !reasons.get(c.k)!.length,
    reasons: reasons.get(c.k)!,
    silhouette: c.silhouette,
    silhouetteSE: c.silhouetteSE,
    tiedWithBest: contenders.includes(c) && tied(c),
    marketingScore: marketingScore(c.coverage),
    modelStability: c.modelStability,
  }));
  const others = ties.filter((c) => c !== best).map((c) => c.k);
  const why = usable.length
    ? `k = ${chosen.k}: ${usable.length} of ${pool.length} candidates usable (${usable.map((c) => c.k).join(', ')}); best silhouette ${best.silhouette.toFixed(3)} at k = ${best.k}` +
      (others.length ? `, tied within its noise with k = ${others.join(', ')}; among them k = ${chosen.k} has the best marketing coverage (${marketingScore(chosen.coverage).toFixed(3)})` : '')
    : `k = ${chosen.k}: no candidate meets every condition; k = ${chosen.k} fails the fewest (${reasons.get(chosen.k)!.join('; ')})`;
  return { k: chosen.k, rule: K_RULE, scores, usableFound: usable.length > 0, why };
}

function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}
