/**
 * The vocabulary of the update-frequency simulation (simulate.ts): its options and defaults, the curve of one
 * origin, the aggregated points and the report. No computation here.
 */
import type { FeatureName } from '../domain/types';
import type { Recommendation } from './recommend';

export interface SimulationOptions {
  /** Fixed number of segments for every origin; when absent, k is chosen at each origin by the production rule. */
  k?: number;
  /** First origin (ms); default: the first day on which START_SHARE of the final customers have a row. */
  start?: number;
  /** Last date of the data used (ms); default effectiveEnd(data), the as-of date production uses. */
  end?: number;
  stepDays?: number;
  horizonDays?: number;
  threshold?: number;
  /** Number of seeds (models and fresh fits per origin and date). */
  seeds?: number;
  /** Spacing of the rolling origins (rounded to a multiple of the step). */
  originEveryDays?: number;
  /** An origin needs at least this much data after it (default: min(horizon, 26 weeks)). */
  minHorizonDays?: number;
  /** Explicit origins (ms), instead of the rolling rule. */
  origins?: number[];
  baseSeed?: number;
  /** Initialisations of every k-means fit, models and fresh fits alike (production: 10). */
  nInit?: number;
  /** Seconds it took to load the export (quoted in the retraining cost when given). */
  loadSeconds?: number;
  /** Stop once the agreement has crossed the threshold and been followed past it (default true); false: the whole horizon. */
  stopAfterCrossing?: boolean;
  /**
   * The unoptimised method, for the benchmark's check that the optimisations change no point: the whole horizon, and
   * the origins' model stability measured at every candidate k (the same choice of k, more fits).
   */
  unoptimised?: boolean;
  onProgress?: (stage: string, done: number, total: number) => void;
}

/** How far past the crossing the curve is followed at least (and to twice the crossing horizon). */
export const FOLLOW_PAST_CROSSING_DAYS = 56;

export const SIMULATION_DEFAULTS = {
  stepDays: 14,
  horizonDays: 364,
  threshold: 0.8,
  seeds: 3,
  originEveryDays: 56,
  minHorizonDays: 182,
  nInit: 10,
} as const;

export interface StabilityPoint {
  days: number;
  /** ARI between the model of T0 and a fresh fit, over all customers at T0 + days: median and quartiles. */
  ariMedian: number;
  ariQ1: number;
  ariQ3: number;
  ariMin: number;
  /** The same over the customers already present at T0. */
  ariKnownMedian: number;
  ariKnownQ1: number;
  ariKnownQ3: number;
  /** Customers at T0 + days, and those among them without a row at T0 (medians over origins). */
  customers: number;
  newCustomers: number;
  /** Origins reaching this horizon, and ARI values (origins x seeds) behind the point. */
  origins: number;
  samples: number;
  /** Population stability index of recency against the training distribution (median over origins): aging. */
  psiRecency: number;
  /** Largest PSI over the other features (median over origins): what the scheduled check triggers on. */
  psiOtherMax: number;
  /** Population stability index of every feature against the training distribution (median over origins). */
  drift: Record<FeatureName, number>;
}

/** One origin's measurement at one date: the ARI of each seed's model against its fresh fit, and the drift. */
export interface OriginPoint {
  days: number;
  date: string;
  customers: number;
  newCustomers: number;
  ari: number[];
  ariKnown: number[];
  psi: Partial<Record<FeatureName, number>>;
}

export interface OriginCurve {
  start: string;
  /** k of the models at this origin (chosen there by the production rule, or fixed). */
  k: number;
  customers: number;
  /** Seconds of the production training at this origin (features, k chosen by the rule, model). */
  trainSeconds: number;
  points: OriginPoint[];
  /** Pairwise ARI between the models of the different seeds at this origin. */
  initStability: number[];
}

export interface StabilityReport {
  threshold: number;
  /** The k of the last origin (the one closest to the data's end), for display. */
  k: number;
  kChosenBy: 'rule-per-origin' | 'option';
  stepDays: number;
  /** The longest horizon allowed, and the one measured (shorter when the simulation stopped after the crossing). */
  horizonDays: number;
  measuredDays: number;
  seeds: number;
  dataEnd: string;
  origins: string[];
  points: StabilityPoint[];
  initStability: { median: number; q1: number; q3: number; min: number; pairs: number };
  recommendation: Recommendation;
  perOrigin: OriginCurve[];
  settings: { nInit: number; originEveryDays: number; minHorizonDays: number; baseSeed: number };
  timings: { seconds: number; modelFits: number; freshFits: number; snapshots: number; stages: Record<string, number> };
}
