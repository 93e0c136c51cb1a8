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
 * Cost: the work is organised horizon by horizon over every origin; a date's fresh fits (one per seed and k) are
 * computed once and shared by every origin that reaches that date, and the simulation stops once the agreement has
 * crossed the threshold and been followed to twice that horizon (at least 8 weeks past it): beyond, a model is long
 * overdue, and every step costs fresh fits. `stopAfterCrossing: false` measures the whole horizon.
 */
import { assignToCentroids, kmeans } from '../cluster/kmeans';
import { adjustedRandIndex } from '../cluster/ari';
import { assignFeatures, modelCoordinates } from '../model/assign';
import { ACTIONABLE_K } from '../model/selectK';
import { DEFAULT_SEED, trainSegmentation } from '../model/train';
import { FEATURE_NAMES, FeatureName, SegmentModel } from '../model/types';
import { DAY_MS, FeatureTable, computeFeatures, effectiveEnd } from '../features/customerFeatures';
import { applyTransforms, fitReviewImputation, fitTransforms, imputeReviews } from '../features/transforms';
import { OlistData } from '../olist/load';
import { ariByCustomerIndex } from './compare';
import { AGING_FEATURES, TrainingDistribution, featureDrift, summarizeDistribution } from './drift';
import { defaultStart, rollingOrigins } from './grid';
import { Recommendation, cadenceFromCurve, recommend } from './recommend';
import { round, spreadOf } from './stats';

export { effectiveEnd, defaultStart };

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

export interface OriginCurve {
  start: string;
  /** k of the models at this origin (chosen there by the production rule, or fixed). */
  k: number;
  customers: number;
  /** Seconds of the production training at this origin (features, k chosen by the rule, model). */
  trainSeconds: number;
  points: { days: number; date: string; customers: number; newCustomers: number; ari: number[]; ariKnown: number[]; psi: Partial<Record<FeatureName, number>> }[];
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

/** A fresh fit of the production method (imputation, bounded feature space, k-means) on a feature table. */
export function freshFit(features: FeatureTable, k: number, seed: number, nInit: number): Int32Array {
  const imputed = imputeReviews(features.values, fitReviewImputation(features.values));
  const X = applyTransforms(imputed, fitTransforms(imputed));
  return kmeans(X, k, { seed, nInit }).labels;
}

/** Labels of a feature table under a stored model: its own imputation and transforms, nearest centroid. */
export function modelLabels(model: SegmentModel, features: FeatureTable): Int32Array {
  return assignFeatures(model, features).labels;
}

function pairwiseAri(partitions: Int32Array[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < partitions.length; i++) for (let j = i + 1; j < partitions.length; j++) out.push(adjustedRandIndex(partitions[i], partitions[j]));
  return out;
}

interface OriginState {
  t0: number;
  k: number;
  models: SegmentModel[];
  /** Training distribution of the first seed's model (the features as of T0 are the same for every seed). */
  training: TrainingDistribution;
  known: Uint8Array;
  curve: OriginCurve;
}

/** The models of an origin, one per seed, as production trains them (k chosen by the rule unless fixed). */
function trainOrigin(data: OlistData, t0: number, o: { k?: number; seeds: number; baseSeed: number; nInit: number; unoptimised?: boolean }): { fits: ReturnType<typeof trainSegmentation>[]; seconds: number } {
  const started = performance.now();
  // The first seed's model is production's training at T0: k chosen by the rule over the actionable range.
  const first = trainSegmentation(data, {
    asOf: t0,
    seed: o.baseSeed,
    nInit: o.nInit,
    compare: false,
    stabilityAtEveryCandidate: o.unoptimised,
    ...(o.k === undefined ? { kMin: ACTIONABLE_K.min, kMax: ACTIONABLE_K.max } : { k: o.k, sweep: false, stabilityFits: 1 }),
  });
  const seconds = (performance.now() - started) / 1000;
  const k = first.model.k;
  const fits = [first];
  for (let s = 1; s < o.seeds; s++) fits.push(trainSegmentation(data, { k, asOf: t0, seed: o.baseSeed + s, nInit: o.nInit, sweep: false, compare: false, stabilityFits: 1 }));
  return { fits, seconds };
}

export function simulateStability(data: OlistData, opts: SimulationOptions = {}): StabilityReport {
  const started = performance.now();
  const D = SIMULATION_DEFAULTS;
  const stepDays = opts.stepDays ?? D.stepDays;
  const horizonDays = opts.horizonDays ?? D.horizonDays;
  const threshold = opts.threshold ?? D.threshold;
  const nSeeds = opts.seeds ?? D.seeds;
  const nInit = opts.nInit ?? D.nInit;
  const baseSeed = opts.baseSeed ?? DEFAULT_SEED;
  if (!(stepDays >= 1) || !(horizonDays >= stepDays)) throw new Error(`need 1 <= step (${stepDays} d) <= horizon (${horizonDays} d)`);
  if (!(nSeeds >= 1)) throw new Error('need at least one seed');
  const end = opts.end ?? effectiveEnd(data);
  const progress = opts.onProgress ?? (() => {});

  const start = opts.start ?? defaultStart(data, end);
  const originEvery = Math.max(1, Math.round((opts.originEveryDays ?? D.originEveryDays) / stepDays)) * stepDays;
  const minHorizon = Math.min(horizonDays, opts.minHorizonDays ?? D.minHorizonDays);
  const origins = (opts.origins ?? rollingOrigins(start, end, originEvery, minHorizon)).slice().sort((a, b) => a - b);
  if (!origins.length) throw new Error(`no origin from ${iso(start)} leaves ${minHorizon} days of data before ${iso(end)}: use an earlier start or a shorter horizon`);

  // With stopAfterCrossing (the default), the curve is followed to twice the crossing horizon and at least 8 weeks
  // past it, then the simulation stops: further out the model is long overdue, and every step costs fresh fits.
  const followUntil = opts.stopAfterCrossing === false || opts.unoptimised ? undefined : (crossing: number) => crossing + Math.max(crossing, FOLLOW_PAST_CROSSING_DAYS);
  const nCustomers = data.customerIds.length;
  const states: OriginState[] = [];
  let modelFits = 0;
  let freshFits = 0;
  // Seconds per stage, so that the benchmark can say where the time goes.
  const stages: Record<string, number> = { features: 0, origins: 0, freshFits: 0, compare: 0 };
  let clock = performance.now();
  const lap = (stage: string) => {
    const now = performance.now();
    stages[stage] += (now - clock) / 1000;
    clock = now;
  };

  // The deployed models M0 of every origin (one per seed), exactly as production trains them.
  origins.forEach((t0, i) => {
    progress(`training the models of origin ${iso(t0).slice(0, 10)} as production does (k chosen by the rule from the data up to it)`, i, origins.length);
    const { fits, seconds } = trainOrigin(data, t0, { k: opts.k, seeds: nSeeds, baseSeed, nInit, unoptimised: opts.unoptimised });
    modelFits += fits.length;
    const known = new Uint8Array(nCustomers);
    for (const c of fits[0].features.customerIndex) known[c] = 1;
    states.push({
      t0,
      k: fits[0].model.k,
      models: fits.map((f) => f.model),
      training: summarizeDistribution(fits[0].imputed, { asOf: t0 }),
      known,
      curve: {
        start: iso(t0),
        k: fits[0].model.k,
        customers: fits[0].features.values.rows,
        trainSeconds: round(seconds, 2),
        points: [],
        initStability: pairwiseAri(fits.map((f) => f.labels)).map((x) => round(x, 4)),
      },
    });
  });
  lap('origins');

  // Horizon by horizon, every origin at once, so that the curve is known at each horizon and the simulation can stop
  // once the agreement has crossed the threshold and been followed past it. A date's fresh fits are shared by every
  // origin that reaches it (origins are a whole number of steps apart).
  const fresh = new Map<string, Int32Array>();
  const freshLabels = (features: FeatureTable, t: number, k: number, s: number) => {
    const key = `${t}|${k}|${s}`;
    let labels = fresh.get(key);
    if (!labels) {
      if (features.values.rows <= k * 2) throw new Error(`only ${features.values.rows} customers as of ${iso(t)}: too few for k = ${k}`);
      freshFits++;
      labels = freshFit(features, k, baseSeed + 1000 + s, nInit);
      fresh.set(key, labels);
    }
    return labels;
  };
  let horizonReached = 0;
  for (let d = 0; d <= horizonDays; d += stepDays) {
    const reaching = states.filter((st) => st.t0 + d * DAY_MS <= end);
    if (!reaching.length) break;
    progress(`agreement after ${d} days (${reaching.length} origins x ${nSeeds} seeds)`, d, horizonDays);
    for (const st of reaching) {
      const t = st.t0 + d * DAY_MS;
      lap('compare');
      const features = computeFeatures(data, t);
      lap('features');
      const refs = Array.from({ length: nSeeds }, (_, s) => freshLabels(features, t, st.k, s));
      lap('freshFits');
      // The seeds' models share the origin's imputation and transforms (fitted on the same data): one set of
      // coordinates, each model's nearest centroids.
      const { imputed, X } = modelCoordinates(st.models[0], features);
      const ids = features.customerIndex;
      const ari: number[] = [];
      const ariKnown: number[] = [];
      st.models.forEach((m, s) => {
        const mine = { ids, labels: assignToCentroids(X, Float64Array.from(m.centroids.flat()), m.k) };
        const ref = { ids, labels: refs[s] };
        ari.push(round(ariByCustomerIndex(mine, ref, nCustomers).ari, 4));
        ariKnown.push(round(ariByCustomerIndex(mine, ref, nCustomers, st.known).ari, 4));
      });
      let known = 0;
      for (const c of ids) known += st.known[c];
      const psi = Object.fromEntries(featureDrift(st.training, imputed).map((x) => [x.name, x.psi]));
      st.curve.points.push({ days: d, date: iso(t), customers: ids.length, newCustomers: ids.length - known, ari, ariKnown, psi });
    }
    horizonReached = d;
    if (followUntil !== undefined) {
      const decision = cadenceFromCurve(aggregate(states.map((st) => st.curve)), threshold, states.length);
      if (decision.crossingDays !== null && d >= followUntil(decision.crossingDays)) break;
    }
  }
  lap('compare');
  progress('simulating', horizonDays, horizonDays);

  const points = aggregate(states.map((s) => s.curve));
  const init = spreadOf(states.flatMap((s) => s.curve.initStability));
  const initStability = { median: round(init.median, 4), q1: round(init.q1, 4), q3: round(init.q3, 4), min: round(init.min, 4), pairs: init.n };
  const endFeatures = computeFeatures(data, end);
  const lastOrigin = states[states.length - 1];
  const recommendation = recommend(points, {
    threshold,
    stepDays,
    originK: states.map((s) => s.k),
    kChosenBy: opts.k === undefined ? 'rule-per-origin' : 'option',
    seeds: nSeeds,
    origins: states.map((s) => iso(s.t0)),
    end: iso(end),
    nInit,
    newPerWeek: newCustomersPerWeek(endFeatures, end),
    totalCustomers: endFeatures.values.rows,
    retrainSeconds: lastOrigin.curve.trainSeconds,
    retrainCustomers: lastOrigin.curve.customers,
    loadSeconds: opts.loadSeconds,
    initStability,
  });

  return {
    threshold,
    k: lastOrigin.k,
    kChosenBy: opts.k === undefined ? 'rule-per-origin' : 'option',
    stepDays,
    horizonDays,
    measuredDays: horizonReached,
    seeds: nSeeds,
    dataEnd: iso(end),
    origins: states.map((s) => iso(s.t0)),
    points,
    initStability,
    recommendation,
    perOrigin: states.map((s) => s.curve),
    settings: { nInit, originEveryDays: originEvery, minHorizonDays: minHorizon, baseSeed },
    timings: { seconds: round((performance.now() - started) / 1000, 1), modelFits, freshFits, snapshots: fresh.size / nSeeds, stages: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, round(v, 1)])) },
  };
}

/** Median and quartiles per horizon over origins x seeds. */
export function aggregate(curves: OriginCurve[]): StabilityPoint[] {
  const byDays = new Map<number, OriginCurve['points']>();
  for (const c of curves) for (const p of c.points) byDays.set(p.days, [...(byDays.get(p.days) ?? []), p]);
  return [...byDays.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([days, ps]) => {
      const a = spreadOf(ps.flatMap((p) => p.ari));
      const kn = spreadOf(ps.flatMap((p) => p.ariKnown));
      return {
        days,
        ariMedian: round(a.median, 4),
        ariQ1: round(a.q1, 4),
        ariQ3: round(a.q3, 4),
        ariMin: round(a.min, 4),
        ariKnownMedian: round(kn.median, 4),
        ariKnownQ1: round(kn.q1, 4),
        ariKnownQ3: round(kn.q3, 4),
        customers: Math.round(spreadOf(ps.map((p) => p.customers)).median),
        newCustomers: Math.round(spreadOf(ps.map((p) => p.newCustomers)).median),
        origins: ps.length,
        samples: a.n,
        psiRecency: round(spreadOf(ps.map((p) => p.psi.recencyDays ?? NaN)).median, 3),
        psiOtherMax: round(spreadOf(ps.map((p) => Math.max(0, ...Object.entries(p.psi).filter(([name]) => !AGING_FEATURES.includes(name as FeatureName)).map(([, v]) => v ?? 0)))).median, 3),
        drift: Object.fromEntries(FEATURE_NAMES.map((f) => [f, round(spreadOf(ps.map((p) => p.psi[f] ?? NaN)).median, 3)])) as Record<FeatureName, number>,
      };
    });
}

/** New customers (first delivered purchase) per week over the last 26 weeks of the data. */
export function newCustomersPerWeek(features: FeatureTable, end: number): number {
  const window = 182 * DAY_MS;
  let n = 0;
  for (const t of features.firstPurchase) if (t > end - window && t <= end) n++;
  return n / 26;
}

function iso(t: number): string {
  return new Date(t).toISOString();
}
