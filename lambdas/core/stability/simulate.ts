/**
 * The update-frequency simulation: how long a segmentation model stays valid on the data's own time axis.
 *
 * For an origin T0, a model M0 is trained on the data as of T0 exactly as in production: k chosen by the
 * production rule from the data up to T0 only (model/selectK.ts), or fixed by the caller (then said so), and the
 * best of production's 10 initialisations. Then, at each later date T0 + d on a regular grid (grid.ts):
 * - the features are recomputed as of that date (computeFeatures: only orders delivered and reviews known by then,
 *   recency from that date, customers who first bought after T0 included): snapshots are never cut from a
 *   full-history feature table;
 * - every customer is labelled by M0 with M0's own stored imputation and transforms (assignFeatures: nothing is
 *   refitted) and by a fresh fit of the same method and k on that date's data, with production's initialisations;
 * - the two labellings are compared by the adjusted Rand index, joined by customer: over all customers at that
 *   date, and over the customers that already had a row at T0.
 * This is repeated for several seeds (M0 of seed s against a fresh fit of another seed) and several rolling
 * origins, and every horizon reports the median and quartiles over origins x seeds. At d = 0 the model and the
 * fresh fit see the same data: that point is the noise floor of the curve.
 *
 * Each point also carries the PSI of the features at that date against the origin's training distribution,
 * i.e. what the scheduled check would read. The recommendation (recommend.ts) rests on where the medians cross
 * the threshold, or says that the longest measured horizon is only a lower bound.
 *
 * Layout: the time axis (grid.ts), the origins' models (origins.ts), one date's evaluation (evaluate.ts), the curve
 * (aggregate.ts), the cadence and its words (recommend.ts); this file runs them in order.
 *
 * Cost: the work is organised horizon by horizon over every origin; a date's fresh fits (one per seed and k) are
 * computed once and shared by every origin that reaches that date, and the simulation stops once the agreement has
 * crossed the threshold and been followed to twice that horizon (at least 8 weeks past it): beyond, a model is long
 * overdue, and every step costs fresh fits. `stopAfterCrossing: false` measures the whole horizon.
 */
import { DEFAULT_SEED } from '../model/train';
import { DAY_MS, computeFeatures, effectiveEnd } from '../features/customerFeatures';
import { OlistData } from '../olist/load';
import { aggregate, newCustomersPerWeek } from './aggregate';
import { FreshFits, evaluateOrigin } from './evaluate';
import { defaultStart, rollingOrigins } from './grid';
import { OriginState, trainOrigin } from './origins';
import { cadenceFromCurve, recommend } from './recommend';
import { FOLLOW_PAST_CROSSING_DAYS, SIMULATION_DEFAULTS, SimulationOptions, StabilityReport } from './simulationTypes';
import { round, spreadOf } from './stats';

export { effectiveEnd, defaultStart, aggregate, newCustomersPerWeek, SIMULATION_DEFAULTS, FOLLOW_PAST_CROSSING_DAYS };
export { freshFit, modelLabels } from './evaluate';
export type { SimulationOptions, StabilityReport, StabilityPoint, OriginCurve, OriginPoint } from './simulationTypes';

/** The settings of a simulation, defaults applied and checked. */
interface Settings {
  stepDays: number;
  horizonDays: number;
  threshold: number;
  seeds: number;
  nInit: number;
  baseSeed: number;
  end: number;
  origins: number[];
  originEvery: number;
  minHorizon: number;
  /** With stopAfterCrossing: the horizon up to which the curve is followed once it crossed at `crossing`. */
  followUntil?: (crossing: number) => number;
}

function settingsOf(data: OlistData, opts: SimulationOptions): Settings {
  const D = SIMULATION_DEFAULTS;
  const stepDays = opts.stepDays ?? D.stepDays;
  const horizonDays = opts.horizonDays ?? D.horizonDays;
  const seeds = opts.seeds ?? D.seeds;
  if (!(stepDays >= 1) || !(horizonDays >= stepDays)) throw new Error(`need 1 <= step (${stepDays} d) <= horizon (${horizonDays} d)`);
  if (!(seeds >= 1)) throw new Error('need at least one seed');
  const end = opts.end ?? effectiveEnd(data);
  const start = opts.start ?? defaultStart(data, end);
  const originEvery = Math.max(1, Math.round((opts.originEveryDays ?? D.originEveryDays) / stepDays)) * stepDays;
  const minHorizon = Math.min(horizonDays, opts.minHorizonDays ?? D.minHorizonDays);
  const origins = (opts.origins ?? rollingOrigins(start, end, originEvery, minHorizon)).slice().sort((a, b) => a - b);
  if (!origins.length) throw new Error(`no origin from ${iso(start)} leaves ${minHorizon} days of data before ${iso(end)}: use an earlier start or a shorter horizon`);
  return {
    stepDays,
    horizonDays,
    threshold: opts.threshold ?? D.threshold,
    seeds,
    nInit: opts.nInit ?? D.nInit,
    baseSeed: opts.baseSeed ?? DEFAULT_SEED,
    end,
    origins,
    originEvery,
    minHorizon,
    // Followed to twice the crossing horizon and at least 8 weeks past it: further out the model is long overdue,
    // and every step costs fresh fits.
    followUntil: opts.stopAfterCrossing === false || opts.unoptimised ? undefined : (crossing) => crossing + Math.max(crossing, FOLLOW_PAST_CROSSING_DAYS),
  };
}

/** Seconds per stage, so that the benchmark can say where the time goes. */
function stageClock() {
  const stages: Record<string, number> = { features: 0, origins: 0, freshFits: 0, compare: 0 };
  let clock = performance.now();
  return {
    stages,
    lap(stage: string) {
      const now = performance.now();
      stages[stage] += (now - clock) / 1000;
      clock = now;
    },
  };
}

export function simulateStability(data: OlistData, opts: SimulationOptions = {}): StabilityReport {
  const started = performance.now();
  const s = settingsOf(data, opts);
  const progress = opts.onProgress ?? (() => {});
  const { stages, lap } = stageClock();

  // The deployed models M0 of every origin (one per seed), exactly as production trains them.
  const states: OriginState[] = s.origins.map((t0, i) => {
    progress(`training the models of origin ${iso(t0).slice(0, 10)} as production does (k chosen by the rule from the data up to it)`, i, s.origins.length);
    return trainOrigin(data, t0, { k: opts.k, seeds: s.seeds, baseSeed: s.baseSeed, nInit: s.nInit, unoptimised: opts.unoptimised });
  });
  lap('origins');

  // Horizon by horizon, every origin at once, so that the curve is known at each horizon and the simulation can stop
  // once the agreement has crossed the threshold and been followed past it.
  const fresh = new FreshFits(s.baseSeed, s.nInit);
  let measuredDays = 0;
  for (let d = 0; d <= s.horizonDays; d += s.stepDays) {
    const reaching = states.filter((st) => st.t0 + d * DAY_MS <= s.end);
    if (!reaching.length) break;
    progress(`agreement after ${d} days (${reaching.length} origins x ${s.seeds} seeds)`, d, s.horizonDays);
    for (const st of reaching) {
      const t = st.t0 + d * DAY_MS;
      lap('compare');
      const features = computeFeatures(data, t);
      lap('features');
      const refs = Array.from({ length: s.seeds }, (_, seed) => fresh.labels(features, t, st.k, seed));
      lap('freshFits');
      st.curve.points.push(evaluateOrigin(st, features, d, t, refs));
    }
    measuredDays = d;
    if (s.followUntil) {
      const decision = cadenceFromCurve(aggregate(states.map((st) => st.curve)), s.threshold, states.length);
      if (decision.crossingDays !== null && d >= s.followUntil(decision.crossingDays)) break;
    }
  }
  lap('compare');
  progress('simulating', s.horizonDays, s.horizonDays);
  return report(data, opts, s, states, {
    measuredDays,
    timings: {
      seconds: round((performance.now() - started) / 1000, 1),
      modelFits: states.length * s.seeds,
      freshFits: fresh.count,
      snapshots: fresh.dates(s.seeds),
      stages: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, round(v, 1)])),
    },
  });
}

/** The curve, the recommendation and the report of the origins' measured points. */
function report(data: OlistData, opts: SimulationOptions, s: Settings, states: OriginState[], measured: Pick<StabilityReport, 'measuredDays' | 'timings'>): StabilityReport {
  const kChosenBy = opts.k === undefined ? 'rule-per-origin' : 'option';
  const points = aggregate(states.map((st) => st.curve));
  const init = spreadOf(states.flatMap((st) => st.curve.initStability));
  const initStability = { median: round(init.median, 4), q1: round(init.q1, 4), q3: round(init.q3, 4), min: round(init.min, 4), pairs: init.n };
  const endFeatures = computeFeatures(data, s.end);
  const lastOrigin = states[states.length - 1];
  const origins = states.map((st) => iso(st.t0));
  const recommendation = recommend(points, {
    threshold: s.threshold,
    stepDays: s.stepDays,
    originK: states.map((st) => st.k),
    kChosenBy,
    seeds: s.seeds,
    origins,
    end: iso(s.end),
    nInit: s.nInit,
    newPerWeek: newCustomersPerWeek(endFeatures, s.end),
    totalCustomers: endFeatures.values.rows,
    retrainSeconds: lastOrigin.curve.trainSeconds,
    retrainCustomers: lastOrigin.curve.customers,
    loadSeconds: opts.loadSeconds,
    initStability,
  });
  return {
    threshold: s.threshold,
    k: lastOrigin.k,
    kChosenBy,
    stepDays: s.stepDays,
    horizonDays: s.horizonDays,
    measuredDays: measured.measuredDays,
    seeds: s.seeds,
    dataEnd: iso(s.end),
    origins,
    points,
    initStability,
    recommendation,
    perOrigin: states.map((st) => st.curve),
    settings: { nInit: s.nInit, originEveryDays: s.originEvery, minHorizonDays: s.minHorizon, baseSeed: s.baseSeed },
    timings: measured.timings,
  };
}

function iso(t: number): string {
  return new Date(t).toISOString();
}
