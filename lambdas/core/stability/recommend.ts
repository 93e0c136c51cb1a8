/**
 * The retraining cadence from the simulated stability curve (numbers), and the maintenance contract in words
 * (text), kept apart so that reports and the CLI can quote the same figures.
 *
 * The cadence rests on where the median agreement crosses the threshold: the longest horizon d such that at every
 * horizon up to d both medians (over all customers at the date, and over the customers known at training) are at
 * or above the threshold, and the next horizon falls below (`basis: 'crossing'`). When no measured horizon falls
 * below, the longest measured one is a lower bound, not a crossing (`basis: 'horizon'`). Only horizons measured on
 * enough origins count (at least half of them, and 2): further out only the earliest origins reach, and the median
 * changes with the set of origins rather than with the horizon.
 */
import type { StabilityPoint } from './simulationTypes';

export type CadenceBasis = 'crossing' | 'horizon';

export interface CadenceDecision {
  everyDays: number;
  basis: CadenceBasis;
  /** First horizon (counted) at which either median is below the threshold; null when none. */
  crossingDays: number | null;
  /** Longest horizon measured on enough origins to count. */
  evidenceDays: number;
  /** Origins a horizon needs to count. */
  minOrigins: number;
}

export function minOriginsFor(origins: number): number {
  return origins < 2 ? origins : Math.max(2, Math.ceil(origins / 2));
}

const bothMedians = (p: StabilityPoint) => Math.min(p.ariMedian, Number.isNaN(p.ariKnownMedian) ? Infinity : p.ariKnownMedian);

export function cadenceFromCurve(points: readonly StabilityPoint[], threshold: number, origins: number): CadenceDecision {
  const minOrigins = minOriginsFor(origins);
  const counted = points.filter((p) => p.days > 0 && p.origins >= minOrigins).sort((a, b) => a.days - b.days);
  const evidenceDays = counted.length ? counted[counted.length - 1].days : 0;
  let every = 0;
  for (const p of counted) {
    if (bothMedians(p) < threshold) {
      // Below already at the first step: retraining cannot be more frequent than the grid measures.
      return { everyDays: every || p.days, basis: 'crossing', crossingDays: p.days, evidenceDays, minOrigins };
    }
    every = p.days;
  }
  return { everyDays: every, basis: 'horizon', crossingDays: null, evidenceDays, minOrigins };
}

export interface RecommendInput {
  threshold: number;
  stepDays: number;
  /** k at each origin (chosen there by the production rule, or fixed). */
  originK: number[];
  kChosenBy: 'rule-per-origin' | 'option';
  seeds: number;
  origins: string[];
  end: string;
  nInit: number;
  newPerWeek: number;
  totalCustomers: number;
  /** Seconds of one production training at the last origin (features, k chosen by the rule unless fixed, model). */
  retrainSeconds: number;
  retrainCustomers: number;
  loadSeconds?: number;
  initStability: { median: number; q1: number; q3: number; min: number };
}

export interface Recommendation extends CadenceDecision {
  everyWeeks: number;
  /** Both medians at the cadence and at the crossing. */
  ariAtCadence: number;
  ariKnownAtCadence: number;
  ariAtCrossing: number | null;
  ariKnownAtCrossing: number | null;
  newCustomersPerPeriod: number;
  newCustomersPerWeek: number;
  retrainSeconds: number;
  /** How often the scheduled check runs (at most weekly, and at least twice per cadence). */
  checkEveryDays: number;
  /** The contract in one paragraph, then the reasons (one per line). */
  contract: string;
  rationale: string;
  checks: string[];
  triggers: string[];
}

export function recommend(points: readonly StabilityPoint[], r: RecommendInput): Recommendation {
  const decision = cadenceFromCurve(points, r.threshold, r.origins.length);
  const at = points.find((p) => p.days === decision.everyDays);
  const crossing = decision.crossingDays === null ? undefined : points.find((p) => p.days === decision.crossingDays);
  const weeks = decision.everyDays / 7;
  const checkEveryDays = Math.max(1, Math.min(7, Math.floor(decision.everyDays / 2) || 1));
  const numbers = {
    ...decision,
    everyWeeks: Math.round(weeks * 10) / 10,
    ariAtCadence: at?.ariMedian ?? NaN,
    ariKnownAtCadence: at?.ariKnownMedian ?? NaN,
    ariAtCrossing: crossing?.ariMedian ?? null,
    ariKnownAtCrossing: crossing?.ariKnownMedian ?? null,
    newCustomersPerPeriod: Math.round(r.newPerWeek * weeks),
    newCustomersPerWeek: Math.round(r.newPerWeek),
    retrainSeconds: r.retrainSeconds,
    checkEveryDays,
  };
  return { ...numbers, ...recommendationText(points, r, numbers) };
}

const w = (days: number) => (days % 7 === 0 ? `${days / 7} week${days === 7 ? '' : 's'}` : `${days} days`);
const f2 = (x: number | null | undefined) => (x === undefined || x === null || Number.isNaN(x) ? 'n/a' : x.toFixed(2));
const int = (x: number) => Math.round(x).toLocaleString('en-US');

type Numbers = Omit<Recommendation, 'contract' | 'rationale' | 'checks' | 'triggers'>;

/** The contract, its reasons, the checks and the triggers in words, from the numbers. */
export function recommendationText(points: readonly StabilityPoint[], r: RecommendInput, n: Numbers): Pick<Recommendation, 'contract' | 'rationale' | 'checks' | 'triggers'> {
  const floor = points.find((p) => p.days === 0);
  const last = points.filter((p) => p.origins >= n.minOrigins).pop();
  const ks = [...new Set(r.originK)].sort((a, b) => a - b);
  const kText = r.kChosenBy === 'option' ? `k = ${ks.join(', ')} fixed for every origin` : `k chosen at each origin by the production rule from the data up to it (${r.originK.join(', ')})`;
  const share = (x: number) => `${((x / Math.max(1, r.totalCustomers)) * 100).toFixed(0)}%`;
  const every = (days: number) => (days === 1 ? 'every day' : days === 7 ? 'every week' : `every ${w(days)}`);
  const at = points.find((p) => p.days === n.everyDays);
  const checks = [
    `adjusted Rand index of the active model against fresh fits (same method and k, ${r.nInit} initialisations, several seeds) on the latest data, over all customers and over the customers known at training (median and spread)`,
    'per-feature drift against the training distribution stored beside the model: population stability index (PSI) on the training deciles, and Kolmogorov-Smirnov statistic',
    `age of the model (days since its as-of date) against the ${w(n.everyDays)} cadence`,
  ];
  const triggers = [
    `median ARI against the fresh fits below ${r.threshold.toFixed(2)}`,
    `PSI above 0.25 on any feature other than recency (a shift of the customer mix; recency shifts with time by construction and is reported as aging${at ? `: ${f2(at.psiRecency)} at the cadence` : ''})`,
    `more than ${int(Math.max(1, n.newCustomersPerPeriod))} new customers since the last training before the cadence is due (one period's volume arriving early, e.g. a Black Friday surge)`,
  ];
  const basisText =
    n.basis === 'crossing'
      ? n.crossingDays === n.everyDays
        ? `the median agreement is below ${r.threshold.toFixed(2)} already at the first step measured (${w(n.everyDays)}: ${f2(n.ariAtCrossing)} over all customers, ${f2(n.ariKnownAtCrossing)} over known ones): retrain at every step, or simplify the segmentation`
        : `the median agreement stays at or above ${r.threshold.toFixed(2)} up to ${w(n.everyDays)} (${f2(n.ariAtCadence)} over all customers, ${f2(n.ariKnownAtCadence)} over those known at training) and crosses below it at ${w(n.crossingDays!)} (${f2(n.ariAtCrossing)} and ${f2(n.ariKnownAtCrossing)})`
      : `the median agreement never falls below ${r.threshold.toFixed(2)} within the ${w(n.evidenceDays)} the data lets every horizon be measured on at least ${n.minOrigins} origins (${f2(n.ariAtCadence)} and ${f2(n.ariKnownAtCadence)} there): ${w(n.everyDays)} is a lower bound, not a measured limit; re-run the simulation when more history exists`;
  const contract =
    `Retrain the segmentation every ${w(n.everyDays)} (${n.everyDays} days) and run the stability check ${every(n.checkEveryDays)} in between; retrain early when a trigger fires. ` +
    `Basis: ${n.basis === 'crossing' ? 'where the measured agreement crosses the threshold' : 'the longest horizon the data can measure (a lower bound)'}.`;
  const lines = [
    `Evidence: ${r.origins.length} rolling origins (${r.origins[0]?.slice(0, 10)} to ${r.origins[r.origins.length - 1]?.slice(0, 10)}) x ${r.seeds} seeds on the export up to ${r.end.slice(0, 10)}, ${kText}; each model is fitted at its origin as production fits it (${r.nInit} initialisations) and labels later customers with its own stored transforms, against a fresh fit of the same method on the day's data, joined by customer.`,
    `Why ${w(n.everyDays)}: ${basisText}.` + (last && last.days > (n.crossingDays ?? n.everyDays) ? ` Further out it reaches ${f2(last.ariMedian)} (known customers ${f2(last.ariKnownMedian)}) after ${w(last.days)}.` : ''),
    `Noise floor: at the origin (same data, other seeds) the median ARI is ${f2(floor?.ariMedian)} (quartiles ${f2(floor?.ariQ1)}-${f2(floor?.ariQ3)}), and models of different seeds agree at ${f2(r.initStability.median)} (worst pair ${f2(r.initStability.min)})` +
      ((floor?.ariMedian ?? 1) >= r.threshold ? ': the decline measures aging, not initialisation noise.' : ', already below the threshold: the segmentation is not stable across initialisations, and k should be reconsidered before any cadence.'),
    `Each check (${every(n.checkEveryDays)}): ${checks.map((c, i) => `(${i + 1}) ${c}`).join('; ')}.`,
    `Early retraining when: ${triggers.join('; or ')}. The check then raises "Segmentation drift detected" and a retraining runs without waiting for the cadence.`,
    `New customers: about ${int(r.newPerWeek)} a week over the last 26 weeks of the data, i.e. about ${int(n.newCustomersPerPeriod)} per ${w(n.everyDays)} period (${share(n.newCustomersPerPeriod)} of the ${int(r.totalCustomers)} customers); in between they get a provisional segment from the active model (nearest centroid, stored transforms).`,
    `Cost: one production training (features, ${r.kChosenBy === 'option' ? 'the model at the fixed k' : 'k chosen by the rule, the model'}) took ${Number.isNaN(r.retrainSeconds) ? 'an unmeasured time' : `${r.retrainSeconds.toFixed(1)} s`} on ${int(r.retrainCustomers)} customers in this run${r.loadSeconds !== undefined ? `, plus ${r.loadSeconds.toFixed(0)} s to read the export` : ''}; ${(365 / Math.max(1, n.everyDays)).toFixed(1)} retrainings a year at this cadence. Segment ids are carried across versions by centroid matching (names follow each version's own members), and each retraining reports who moved between segments.`,
  ];
  return { contract, rationale: [contract, ...lines].join('\n'), checks, triggers };
}
