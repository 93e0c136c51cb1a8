/**
 * The rule that chooses k, stated once so the summary and the reports can quote it.
 *
 * Candidates are k = 4..8: fewer segments are too coarse for campaigns, more are more than a marketing
 * team can run. Each candidate gets a metric score, the mean of four min-max normalised metrics over the
 * candidates: silhouette (higher is better), Davies-Bouldin (lower), Calinski-Harabasz (higher) and
 * stability across initialisations (median ARI, higher). A candidate is usable when its smallest segment
 * holds at least 2% of the customers (a campaign audience) and it separates good from less good
 * customers: at least one unsatisfied segment and one high-value (repeat or high-spend) segment.
 * The usable candidate with the best score wins (ties: the smaller k); if none is usable, the best score.
 */
import { SweepPoint } from './types';

export const K_RULE =
  'k in 4..8 maximising the mean of min-max normalised silhouette, -Davies-Bouldin, Calinski-Harabasz and initialisation stability, among the k whose smallest segment holds at least 2% of customers and which yield both an unsatisfied and a high-value segment';

export const ACTIONABLE_K = { min: 4, max: 8 } as const;
export const MIN_SEGMENT_SHARE = 0.02;

export interface Candidate extends SweepPoint {
  smallestShare: number;
  hasUnsatisfied: boolean;
  hasHighValue: boolean;
}

export interface KChoice {
  k: number;
  rule: string;
  scores: { k: number; score: number; usable: boolean; reasons: string[] }[];
  usableFound: boolean;
}

export function chooseK(candidates: Candidate[]): KChoice {
  const inRange = candidates.filter((c) => c.k >= ACTIONABLE_K.min && c.k <= ACTIONABLE_K.max);
  const pool = inRange.length ? inRange : candidates;
  const norm = (get: (c: Candidate) => number, higherIsBetter: boolean) => {
    const vals = pool.map(get);
    const lo = Math.min(...vals);
    const hi = Math.max(...vals);
    return (c: Candidate) => (hi > lo ? (higherIsBetter ? get(c) - lo : hi - get(c)) / (hi - lo) : 1);
  };
  const parts = [
    norm((c) => c.silhouette, true),
    norm((c) => c.daviesBouldin, false),
    norm((c) => c.calinskiHarabasz, true),
    norm((c) => c.initStability ?? 1, true),
  ];
  const scores = pool.map((c) => {
    const reasons: string[] = [];
    if (c.smallestShare < MIN_SEGMENT_SHARE) reasons.push(`smallest segment ${(c.smallestShare * 100).toFixed(1)}% < ${MIN_SEGMENT_SHARE * 100}%`);
    if (!c.hasUnsatisfied) reasons.push('no unsatisfied segment');
    if (!c.hasHighValue) reasons.push('no high-value segment');
    return { k: c.k, score: parts.reduce((s, f) => s + f(c), 0) / parts.length, usable: reasons.length === 0, reasons };
  });
  const usable = scores.filter((s) => s.usable);
  const from = usable.length ? usable : scores;
  const best = from.reduce((a, b) => (b.score > a.score + 1e-12 ? b : a));
  return { k: best.k, rule: K_RULE, scores, usableFound: usable.length > 0 };
}
