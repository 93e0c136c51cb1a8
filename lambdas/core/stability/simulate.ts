/**
 * The update-frequency simulation: how long a segmentation model stays valid on the data's own time axis.
 *
 * For an origin T0, a model M0 is fitted on the features as of T0 exactly as in production
 * (trainSegmentation with the same k). Then, at each later date T0 + d on a regular grid:
 * - the features are recomputed as of that date (computeFeatures: only orders delivered and reviews known
 *   by then, recency measured from that date, customers who first bought after T0 included): snapshots are
 *   never cut from a full-history feature table;
 * - every customer is labelled by M0 with M0's own stored imputation and transforms (assignFeatures: nothing
 *   is refitted on the new data) and by a fresh fit of the same method and k on that date's data;
 * - the two labellings are compared by the adjusted Rand index, joined by customer_unique_id (never by row
 *   position): over all customers at that date, and over the customers that already had a row at T0.
 * This is repeated for several seeds (M0 seed s against a fresh fit with another seed) and several origins
 * (rolling origins), and every point reports the median and quartiles over origins x seeds.
 *
 * k-means initialisation noise is not drift: at d = 0, M0 and the fresh fit see the same data and differ
 * only by their initialisations, so the d = 0 point is the noise floor of the curve; the pairwise ARI between
 * the seeds' models at each origin is reported as `initStability`.
 *
 * Cost: the work is organised date by date, so a date's features and its fresh fits (one per seed) are
 * computed once and shared by every origin that covers the date. Defaults (SIMULATION_DEFAULTS): origins every
 * 8 weeks from the first day with 5% of the final customers while 26 weeks of data follow, a 52-week horizon,
 * 5 seeds, models with 10 initialisations (as production) and fresh fits with 3. The default step is 14 days,
 * not 7: on the Olist export (93k customers) a 7-day step doubles the fresh fits (about 370 instead of 185)
 * for a curve that changes slowly; `--step 7d` gives the weekly curve.
 *
 * Each point also carries the PSI of the features at that date against the training distribution of the
 * origin (recency separately: it shifts with time by construction), i.e. what the scheduled check would read.
 *
 * The recommendation (recommend) is the longest interval over which both medians stay at or above the
 * threshold, within the range every origin is required to cover (longestStableInterval).
 */
import { kmeans } from '../cluster/kmeans';
import { adjustedRandIndex } from '../cluster/ari';
import { assignFeatures, modelCoordinates } from '../model/assign';
import { DEFAULT_SEED, trainSegmentation } from '../model/train';
import { FEATURE_NAMES, FeatureName, SegmentModel } from '../model/types';
import { DAY_MS, FeatureTable, computeFeatures } from '../features/customerFeatures';
import { ORDER_STATUSES } from '../olist/tables';
import { applyTransforms, fitReviewImputation, fitTransforms, imputeReviews } from '../features/transforms';
import { OlistData } from '../olist/load';
import { ariByCustomerIndex } from './compare';
import { AGING_FEATURES, TrainingDistribution, featureDrift, summarizeDistribution } from './drift';
import { round, spreadOf } from './stats';

export interface SimulationOptions {
  /** Number of segments; when absent it is chosen once by the production rule (k sweep) on the last date. */
  k?: number;
  /** First origin (ms); default: the first day on which START_SHARE of the final customers have a row. */
  start?: number;
  /** Last date of the data used (ms); default effectiveEnd(data). */
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
  /** Initialisations of the deployed model (production default 10). */
  modelNInit?: number;
  /** Initialisations of each fresh reference fit (the spread over seeds shows the noise this leaves). */
  freshNInit?: number;
  /** Seconds it took to load the export (quoted in the retraining cost when given). */
  loadSeconds?: number;
  /** Skip the timed production retraining on the last date (tests). */
  skipRetrainTiming?: boolean;
  onProgress?: (stage: string, done: number, total: number) => void;
}

export const SIMULATION_DEFAULTS = {
  stepDays: 14,
  horizonDays: 364,
  threshold: 0.8,
  seeds: 5,
  originEveryDays: 56,
  minHorizonDays: 182,
  modelNInit: 10,
  freshNInit: 3,
} as const;
/** The default first origin: when this share of the final customer base already has a delivered order. */
export const START_SHARE = 0.05;

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
  customers: number;
  points: { days: number; date: string; customers: number; newCustomers: number; ari: number[]; ariKnown: number[]; psi: Partial<Record<FeatureName, number>> }[];
  /** Pairwise ARI between the models of the different seeds at this origin. */
  initStability: number[];
  /** Median pairwise ARI between the single initialisations inside one model fit (trainSegmentation). */
  singleInitStability: number;
}

export interface Recommendation {
  everyDays: number;
  everyWeeks: number;
  rationale: string;
  /** The figures the text quotes, for the handler and the reports. */
  ariAtCadence: number;
  ariKnownAtCadence: number;
  /** Whether the cadence is where the median crosses the threshold, or the end of the range every origin covers. */
  limitedBy: 'threshold' | 'evidence';
  /** Longest horizon measured on every origin. */
  evidenceDays: number;
  /** First horizon whose median is below the threshold (null when none within the evidence range). */
  firstBelowDays: number | null;
  /** When the evidence range limits: first horizon below the threshold on the origins reaching beyond it. */
  firstBelowBeyondEvidence: number | null;
  newCustomersPerPeriod: number;
  newCustomersPerWeek: number;
  retrainSeconds: number;
  checks: string[];
  triggers: string[];
}

export interface StabilityReport {
  threshold: number;
  k: number;
  kChosenBy: 'option' | 'rule';
  stepDays: number;
  horizonDays: number;
  seeds: number;
  dataEnd: string;
  origins: string[];
  points: StabilityPoint[];
  initStability: { median: number; q1: number; q3: number; min: number; pairs: number; singleInitMedian: number };
  recommendation: Recommendation;
  perOrigin: OriginCurve[];
  retraining: { customers: number; seconds: number; sweepSeconds?: number; asOf: string };
  settings: { modelNInit: number; freshNInit: number; originEveryDays: number; minHorizonDays: number; baseSeed: number };
  timings: { seconds: number; modelFits: number; freshFits: number; snapshots: number };
}

/**
 * The last date the data covers in full: the last purchase p such that the 7 days up to p hold at least
 * 10% of the median weekly purchase count (the Olist export has a few dozen stray orders in Sept.-Oct. 2018
 * after its last full week, 2018-08-29).
 */
export function effectiveEnd(data: OlistData): number {
  const p = Float64Array.from(data.orders.purchase).sort();
  if (!p.length) throw new Error('no orders');
  const week = 7 * DAY_MS;
  const weeks = new Map<number, number>();
  for (const t of p) weeks.set(Math.floor((t - p[0]) / week), (weeks.get(Math.floor((t - p[0]) / week)) ?? 0) + 1);
  const med = spreadOf(weeks.values()).median;
  const need = Math.max(1, 0.1 * med);
  let lo = 0;
  let end = p[0];
  for (let hi = 0; hi < p.length; hi++) {
    while (p[lo] <= p[hi] - week) lo++;
    if (hi - lo + 1 >= need) end = p[hi];
  }
  return end;
}

/**
 * Default first origin: the first midnight (UTC) by which START_SHARE of the customers present at `end` have
 * a row, i.e. a delivered order (counted from its delivery date, as computeFeatures counts it).
 */
export function defaultStart(data: OlistData, end: number): number {
  const ord = data.orders;
  const delivered = ORDER_STATUSES.indexOf('delivered');
  const from = new Float64Array(data.customerIds.length).fill(Infinity);
  for (let o = 0; o < ord.count; o++) {
    if (ord.status[o] !== delivered) continue;
    const d = ord.delivered[o];
    const t = Number.isNaN(d) ? ord.purchase[o] : Math.max(ord.purchase[o], d);
    if (t <= end && t < from[ord.customer[o]]) from[ord.customer[o]] = t;
  }
  const times = from.filter((t) => Number.isFinite(t)).sort();
  if (!times.length) throw new Error('no delivered order before the end of the data');
  const need = Math.max(50, Math.ceil(START_SHARE * times.length));
  return Math.ceil(times[Math.min(times.length, need) - 1] / DAY_MS) * DAY_MS;
}

/** A fresh fit of the production method (train.ts: imputation, log/standardisation, k-means) on a feature table. */
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
  models: SegmentModel[];
  /** Training distribution of the first seed's model (the features as of T0 are the same for every seed). */
  training: TrainingDistribution;
  known: Uint8Array;
  curve: OriginCurve;
}

export function simulateStability(data: OlistData, opts: SimulationOptions = {}): StabilityReport {
  const started = performance.now();
  const D = SIMULATION_DEFAULTS;
  const stepDays = opts.stepDays ?? D.stepDays;
  const horizonDays = opts.horizonDays ?? D.horizonDays;
  const threshold = opts.threshold ?? D.threshold;
  const nSeeds = opts.seeds ?? D.seeds;
  const modelNInit = opts.modelNInit ?? D.modelNInit;
  const freshNInit = opts.freshNInit ?? D.freshNInit;
  const baseSeed = opts.baseSeed ?? DEFAULT_SEED;
  if (!(stepDays >= 1) || !(horizonDays >= stepDays)) throw new Error(`need 1 <= step (${stepDays} d) <= horizon (${horizonDays} d)`);
  if (!(nSeeds >= 1)) throw new Error('need at least one seed');
  const end = opts.end ?? effectiveEnd(data);
  const progress = opts.onProgress ?? (() => {});

  // k: given, or the production rule once on the last date (its wall time is the cost of a full retraining).
  let k = opts.k;
  let sweepSeconds: number | undefined;
  if (k === undefined) {
    progress('choosing k on the last date (production rule)', 0, 1);
    const t = performance.now();
    const r = trainSegmentation(data, { asOf: end, seed: baseSeed, compare: false });
    sweepSeconds = (performance.now() - t) / 1000;
    k = r.model.k;
  }

  const start = opts.start ?? defaultStart(data, end);
  const originEvery = Math.max(1, Math.round((opts.originEveryDays ?? D.originEveryDays) / stepDays)) * stepDays;
  const minHorizon = Math.min(horizonDays, opts.minHorizonDays ?? D.minHorizonDays);
  const origins = (opts.origins ?? rollingOrigins(start, end, originEvery, minHorizon)).slice().sort((a, b) => a - b);
  if (!origins.length) throw new Error(`no origin from ${iso(start)} leaves ${minHorizon} days of data before ${iso(end)}: use an earlier start or a shorter horizon`);

  // The date grid: every origin plus its steps up to the horizon or the end of the data.
  const dates = new Set<number>();
  for (const t0 of origins) for (let d = 0; d <= horizonDays && t0 + d * DAY_MS <= end; d += stepDays) dates.add(t0 + d * DAY_MS);
  const grid = [...dates].sort((a, b) => a - b);
  const nCustomers = data.customerIds.length;
  const states: OriginState[] = [];
  let modelFits = 0;
  let freshFits = 0;

  grid.forEach((t, gi) => {
    progress(`simulating ${iso(t).slice(0, 10)} (${origins.length} origins x ${nSeeds} seeds, k = ${k})`, gi, grid.length);
    const features = computeFeatures(data, t);
    if (features.values.rows <= k! * 2) throw new Error(`only ${features.values.rows} customers as of ${iso(t)}: too few for k = ${k}`);
    // New origins at this date: the deployed models M0 (one per seed), exactly as production trains them.
    for (const t0 of origins.filter((o) => o === t)) {
      const fits = Array.from({ length: nSeeds }, (_, s) => {
        modelFits++;
        return trainSegmentation(data, { k, asOf: t0, seed: baseSeed + s, nInit: modelNInit, sweep: false, compare: false, silhouetteSample: 1000 });
      });
      const known = new Uint8Array(nCustomers);
      for (const c of fits[0].features.customerIndex) known[c] = 1;
      states.push({
        t0,
        models: fits.map((f) => f.model),
        training: summarizeDistribution(fits[0].imputed, { asOf: t0 }),
        known,
        curve: {
          start: iso(t0),
          customers: fits[0].features.values.rows,
          points: [],
          initStability: pairwiseAri(fits.map((f) => f.labels)).map((x) => round(x, 4)),
          singleInitStability: round(spreadOf(fits.map((f) => f.initStability.median)).median, 4),
        },
      });
    }
    const active = states.filter((s) => t >= s.t0 && t <= s.t0 + horizonDays * DAY_MS);
    if (!active.length) return;
    // Fresh fits of this date, shared by every active origin; seeds distinct from the models' seeds.
    const fresh = Array.from({ length: nSeeds }, (_, s) => {
      freshFits++;
      return freshFit(features, k!, baseSeed + 1000 + s, freshNInit);
    });
    const ids = features.customerIndex;
    for (const st of active) {
      const ari: number[] = [];
      const ariKnown: number[] = [];
      st.models.forEach((m, s) => {
        const mine = { ids, labels: modelLabels(m, features) };
        const ref = { ids, labels: fresh[s] };
        ari.push(round(ariByCustomerIndex(mine, ref, nCustomers).ari, 4));
        ariKnown.push(round(ariByCustomerIndex(mine, ref, nCustomers, st.known).ari, 4));
      });
      let known = 0;
      for (const c of ids) known += st.known[c];
      const psi = Object.fromEntries(featureDrift(st.training, modelCoordinates(st.models[0], features).imputed).map((d) => [d.name, d.psi]));
      st.curve.points.push({ days: Math.round((t - st.t0) / DAY_MS), date: iso(t), customers: ids.length, newCustomers: ids.length - known, ari, ariKnown, psi });
    }
  });
  progress('simulating', grid.length, grid.length);

  const points = aggregate(states.map((s) => s.curve));
  const init = spreadOf(states.flatMap((s) => s.curve.initStability));
  const initStability = {
    median: round(init.median, 4),
    q1: round(init.q1, 4),
    q3: round(init.q3, 4),
    min: round(init.min, 4),
    pairs: init.n,
    singleInitMedian: round(spreadOf(states.map((s) => s.curve.singleInitStability)).median, 4),
  };

  // The cost of one retraining as production runs it (fixed k, production initialisations) on the last date.
  let retraining: StabilityReport['retraining'];
  const endFeatures = computeFeatures(data, end);
  if (opts.skipRetrainTiming) retraining = { customers: endFeatures.values.rows, seconds: NaN, sweepSeconds, asOf: iso(end) };
  else {
    progress('timing one retraining on the last date', 0, 1);
    const t = performance.now();
    trainSegmentation(data, { k, asOf: end, seed: baseSeed, nInit: modelNInit, sweep: false, compare: false });
    retraining = { customers: endFeatures.values.rows, seconds: round((performance.now() - t) / 1000, 2), sweepSeconds: sweepSeconds === undefined ? undefined : round(sweepSeconds, 2), asOf: iso(end) };
  }

  const perWeek = newCustomersPerWeek(endFeatures, end);
  const recommendation = recommend(points, {
    threshold,
    stepDays,
    k,
    seeds: nSeeds,
    origins: states.map((s) => s.t0),
    end,
    initStability,
    newPerWeek: perWeek,
    retraining,
    loadSeconds: opts.loadSeconds,
    totalCustomers: endFeatures.values.rows,
    modelNInit,
    maxCadenceDays: minHorizon,
  });

  return {
    threshold,
    k,
    kChosenBy: opts.k === undefined ? 'rule' : 'option',
    stepDays,
    horizonDays,
    seeds: nSeeds,
    dataEnd: iso(end),
    origins: states.map((s) => iso(s.t0)),
    points,
    initStability,
    recommendation,
    perOrigin: states.map((s) => s.curve),
    retraining,
    settings: { modelNInit, freshNInit, originEveryDays: originEvery, minHorizonDays: minHorizon, baseSeed },
    timings: { seconds: round((performance.now() - started) / 1000, 1), modelFits, freshFits, snapshots: grid.length },
  };
}

/** Origins every `everyDays` from start, as long as `minHorizonDays` of data follow. */
export function rollingOrigins(start: number, end: number, everyDays: number, minHorizonDays: number): number[] {
  const out: number[] = [];
  for (let t = start; t + minHorizonDays * DAY_MS <= end; t += everyDays * DAY_MS) out.push(t);
  return out;
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

/**
 * The longest interval whose median ARI stays at or above the threshold: the largest horizon d > 0 such that
 * every point up to d has both medians (all customers, and customers known at T0) at or above the threshold.
 *
 * Only horizons measured on every origin are eligible (`evidenceDays`: at most minHorizonDays, the range every
 * origin is required to cover, 26 weeks by default): beyond it fewer (and only the earliest) origins contribute,
 * so the median changes with the set of origins rather than with the horizon. When the threshold is never crossed within that range the result is the range itself
 * (`limitedBy: 'evidence'`). When even the first step fails, the first step is returned (retraining cannot be
 * more frequent than the grid measures) with `limitedBy: 'threshold'`.
 */
export function longestStableInterval(
  points: readonly StabilityPoint[],
  threshold: number,
  evidenceDays = Infinity,
): { everyDays: number; firstBelowDays: number | null; limitedBy: 'threshold' | 'evidence'; firstBelowBeyondEvidence: number | null } {
  const ok = (p: StabilityPoint) => Math.min(p.ariMedian, Number.isNaN(p.ariKnownMedian) ? Infinity : p.ariKnownMedian) >= threshold;
  const later = points.filter((p) => p.days > 0).sort((a, b) => a.days - b.days);
  let every = 0;
  let firstBelow: number | null = null;
  for (const p of later.filter((q) => q.days <= evidenceDays)) {
    if (ok(p)) every = p.days;
    else {
      firstBelow = p.days;
      break;
    }
  }
  if (!every && later.length) every = later[0].days;
  const beyond = firstBelow === null ? later.find((p) => p.days > evidenceDays && !ok(p)) : undefined;
  return { everyDays: every, firstBelowDays: firstBelow, limitedBy: firstBelow === null ? 'evidence' : 'threshold', firstBelowBeyondEvidence: beyond?.days ?? null };
}

/** New customers (first delivered purchase) per week over the last 26 weeks of the data. */
export function newCustomersPerWeek(features: FeatureTable, end: number): number {
  const window = 182 * DAY_MS;
  let n = 0;
  for (const t of features.firstPurchase) if (t > end - window && t <= end) n++;
  return n / 26;
}

interface RecommendInput {
  threshold: number;
  stepDays: number;
  k: number;
  seeds: number;
  origins: number[];
  end: number;
  initStability: StabilityReport['initStability'];
  newPerWeek: number;
  retraining: StabilityReport['retraining'];
  loadSeconds?: number;
  totalCustomers: number;
  modelNInit: number;
  /** The horizon every origin is required to cover (minHorizonDays): the longest cadence the evidence supports. */
  maxCadenceDays: number;
}

export function recommend(points: readonly StabilityPoint[], r: RecommendInput): Recommendation {
  const all = r.origins.length;
  const evidenceDays = Math.min(r.maxCadenceDays, Math.max(0, ...points.filter((p) => p.origins >= all).map((p) => p.days)));
  const { everyDays, firstBelowDays, limitedBy, firstBelowBeyondEvidence } = longestStableInterval(points, r.threshold, evidenceDays);
  const at = points.find((p) => p.days === everyDays);
  const below = firstBelowDays === null ? undefined : points.find((p) => p.days === firstBelowDays);
  const floor = points.find((p) => p.days === 0);
  const last = points[points.length - 1];
  const firstStep = points.find((p) => p.days > 0);
  const weeks = everyDays / 7;
  const w = (days: number) => (days % 7 === 0 ? `${days / 7} week${days === 7 ? '' : 's'}` : `${days} days`);
  const f2 = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? 'n/a' : x.toFixed(2));
  const int = (x: number) => Math.round(x).toLocaleString('en-US');
  const perPeriod = Math.round(r.newPerWeek * weeks);
  const share = (n: number) => `${((n / Math.max(1, r.totalCustomers)) * 100).toFixed(0)}%`;
  const checkEvery = Math.min(7, r.stepDays);
  const every = (days: number) => (days === 7 ? 'every week' : `every ${w(days)}`);
  const cost = Number.isNaN(r.retraining.seconds)
    ? 'not timed in this run'
    : `${r.retraining.seconds.toFixed(1)} s of computation at fixed k = ${r.k} (features as of the day, imputation and transforms, ${r.modelNInit} k-means initialisations, metrics, profiles and names) on ${int(r.retraining.customers)} customers` +
      (r.retraining.sweepSeconds !== undefined ? `, ${r.retraining.sweepSeconds.toFixed(0)} s when k is chosen again by the production rule (k sweep 2..10)` : '') +
      (r.loadSeconds !== undefined ? `, plus ${r.loadSeconds.toFixed(0)} s to read the export` : '') +
      ' (single process, measured in this run)';
  const noiseOk = (floor?.ariMedian ?? 1) >= r.threshold;
  const checks = [
    `adjusted Rand index of the active model against fresh fits (same method, k = ${r.k}, several seeds) on the latest data, over all customers and over the customers known at training (median and spread)`,
    'per-feature drift against the training distribution stored beside the model: population stability index on the training deciles, and Kolmogorov-Smirnov statistic',
    `age of the model (days since its as-of date) against the ${w(everyDays)} cadence`,
  ];
  const triggers = [
    `median ARI against the fresh fits below ${r.threshold.toFixed(2)}`,
    `population stability index above 0.25 on any feature other than recency (a major shift of the customer mix; at the cadence the largest of them is ${f2(at?.psiOtherMax)} in the median, while recency, which shifts with time by construction, reaches ${f2(at?.psiRecency)} and is reported as aging, not a trigger)`,
    `more than ${int(Math.max(1, perPeriod))} new customers since the last training before the cadence is due (one period's volume arriving early, e.g. a Black Friday surge)`,
  ];
  const origins = r.origins.map((t) => iso(t).slice(0, 10));
  const atText = at
    ? `after ${w(everyDays)} the median ARI is ${f2(at.ariMedian)} (quartiles ${f2(at.ariQ1)}-${f2(at.ariQ3)}) over all ${int(at.customers)} customers and ${f2(at.ariKnownMedian)} (${f2(at.ariKnownQ1)}-${f2(at.ariKnownQ3)}) over those already known at training`
    : 'no point could be measured';
  let limitText: string;
  if (limitedBy === 'threshold' && below && firstBelowDays !== everyDays)
    limitText = `it drops below the ${r.threshold.toFixed(2)} threshold after ${w(below.days)} (${f2(below.ariMedian)} over all customers, ${f2(below.ariKnownMedian)} over known ones), so ${w(everyDays)} is the longest interval that stays at or above it.`;
  else if (limitedBy === 'threshold')
    limitText = `it is below the ${r.threshold.toFixed(2)} threshold already at the first step measured: retrain at every step (${w(everyDays)}) or lower k.`;
  else {
    const lastText = last && last.days > everyDays ? `; further out it is ${f2(last.ariMedian)} (known customers ${f2(last.ariKnownMedian)}) after ${w(last.days)}, measured on ${last.origins} of the ${all} origins` : '';
    const beyondText = firstBelowBeyondEvidence !== null ? `, and one of the two medians first falls below the threshold after ${w(firstBelowBeyondEvidence)}` : '';
    limitText =
      `it stays at or above the ${r.threshold.toFixed(2)} threshold over the whole range every origin is required to cover (${w(evidenceDays)})${lastText}${beyondText}. ` +
      `The cadence is therefore set by the evidence, not by the threshold: a longer interval would rest on fewer, earlier origins (the agreement there no longer changes with the horizon alone but with the set of origins), and would leave more than ${share(perPeriod)} of the customer base unseen by the model.`;
  }
  const lines = [
    `Proposal (maintenance contract): retrain the segmentation every ${w(everyDays)} (${everyDays} days) and run the stability check ${every(checkEvery)} in between.`,
    `Evidence: ${all} rolling origins (${origins[0]} to ${origins[origins.length - 1]}) x ${r.seeds} seeds on the export up to ${iso(r.end).slice(0, 10)}, k = ${r.k}; each model is fitted at its origin and labels later customers with its own stored transforms, against a fresh fit of the day, joined by customer. ` +
      `The median agreement falls from ${f2(firstStep?.ariMedian)} after ${w(firstStep?.days ?? 0)} to ${f2(last?.ariMedian)} after ${w(last?.days ?? 0)} (known customers: ${f2(firstStep?.ariKnownMedian)} to ${f2(last?.ariKnownMedian)}); ${atText}; ${limitText}`,
    `Initialisation noise is not read as drift: at the origin (same data, other seeds) the median ARI is ${f2(floor?.ariMedian)} (quartiles ${f2(floor?.ariQ1)}-${f2(floor?.ariQ3)}) and models of different seeds agree at ${f2(r.initStability.median)} (quartiles ${f2(r.initStability.q1)}-${f2(r.initStability.q3)}, worst pair ${f2(r.initStability.min)})` +
      (noiseOk ? '; medians over seeds absorb the occasional bad initialisation.' : `, already below the threshold: the partition at k = ${r.k} is not stable across initialisations, and k should be reconsidered before any cadence.`),
    `Each check (${every(checkEvery)}): ${checks.map((c, i) => `(${i + 1}) ${c}`).join('; ')}.`,
    `Early retraining when: ${triggers.join('; or ')}. The check then raises "Segmentation drift detected" and a retraining runs without waiting for the cadence.`,
    `New customers: about ${int(r.newPerWeek)} a week over the last 26 weeks of the data, i.e. about ${int(perPeriod)} per ${w(everyDays)} period (${share(perPeriod)} of the ${int(r.totalCustomers)} customers); in between they get a provisional label from the active model (nearest centroid, stored transforms) and wait for the next retraining to be segmented by a model that has seen them.`,
    `Cost: one retraining takes ${cost}; ${(365 / Math.max(1, everyDays)).toFixed(1)} retrainings a year at this cadence. Segment ids and names are carried across versions by centroid matching, and each retraining reports the transition matrix and every customer's previous segment, so movers (e.g. customers who just became "at risk") can be targeted.`,
  ];
  return {
    everyDays,
    everyWeeks: round(weeks, 1),
    rationale: lines.join('\n'),
    limitedBy,
    evidenceDays,
    ariAtCadence: at?.ariMedian ?? NaN,
    ariKnownAtCadence: at?.ariKnownMedian ?? NaN,
    firstBelowDays,
    firstBelowBeyondEvidence,
    newCustomersPerPeriod: perPeriod,
    newCustomersPerWeek: Math.round(r.newPerWeek),
    retrainSeconds: r.retraining.seconds,
    checks,
    triggers,
  };
}

function iso(t: number): string {
  return new Date(t).toISOString();
}
