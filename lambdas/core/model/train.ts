/**
 * From loaded tables to a segmentation model: features as of a date, the bounded feature space
 * (features/transforms.ts), the k-means sweep with its metrics, coverage and stability, the choice of k, alternative
 * algorithms and the RFM + satisfaction baseline on the same customers, and the named, profiled segments, clustered
 * and rule-based. Pure computation: no file or network I/O here (the CLI and the handlers do that).
 */
import { pairwiseAdjustedRandIndex } from '../cluster/ari';
import { kmeans } from '../cluster/kmeans';
import { calinskiHarabasz, daviesBouldin, silhouetteStats } from '../cluster/metrics';
import { FeatureTable, computeFeatures, effectiveEnd } from '../features/customerFeatures';
import { featureSpace } from '../features/transforms';
import { DataFormatError } from '../csv/errors';
import { OlistData } from '../olist/load';
import { ORDERS } from '../olist/tables';
import { Profile, membersOf, populationStats, profileSegments } from '../segments/profile';
import { Trait, TraitThresholds, fitTraitThresholds, traitSupport, traitsOfSupport } from '../segments/traits';
import { Matrix, selectRows } from '../util/matrix';
import { createRng, sampleIndices } from '../util/random';
import { BaselineComparison, compareWithBaseline } from './baseline';
import { Coverage, coverageOf } from './coverage';
import { Candidate, KChoice, chooseK } from './selectK';
import { compareAlternatives, AlternativeScore } from './alternatives';
import { describeFit } from './describe';
import { meanCoordinates } from './explain';
import { ClusterMetrics, FeatureTransform, SegmentModel, SweepPoint } from '../domain/types';

export interface TrainOptions {
  /** Fixed k (skips the choice but still runs the sweep for the report unless sweep is false). */
  k?: number;
  asOf?: number;
  seed?: number;
  nInit?: number;
  kMin?: number;
  kMax?: number;
  /** Silhouette sample size (exact silhouette over this many seeded customers); Infinity for all. */
  silhouetteSample?: number;
  /**
   * Above this many customers, the sweep over k (and so the choice of k) runs on a seeded uniform sample of this
   * many, and the model is then fitted at the chosen k on every customer (default SWEEP_SAMPLE; Infinity: never).
   */
  sweepSample?: number;
  /** Threads for k-means (see KMeansOptions.threads; default 'auto'). Results do not depend on it. */
  threads?: number | 'auto';
  /** Run the other algorithms (Gaussian mixture, Ward) and the RFM + satisfaction baseline for comparison. */
  compare?: boolean;
  /** Compute the sweep over k (true by default; false with a fixed k trains that k only). */
  sweep?: boolean;
  /** Best-of-nInit fits with different seeds behind modelStability (default MODEL_STABILITY_FITS; 1 skips it). */
  stabilityFits?: number;
  /**
   * Measure modelStability at every candidate that meets the other conditions, not only where it decides (the same
   * choice, more fits; the benchmark's unoptimised reference).
   */
  stabilityAtEveryCandidate?: boolean;
  now?: Date;
  /**
   * The feature space fitted elsewhere (the distributed path fits it exactly over every partition and trains on a
   * sample); default: fitted on these customers.
   */
  space?: { reviewImputation: SegmentModel['reviewImputation']; transforms: FeatureTransform[] };
  onProgress?: (stage: string, done: number, total: number) => void;
}

export interface ModelStability {
  /** Median and minimum pairwise ARI between best-of-nInit fits with different seeds at the chosen k. */
  ariMedian: number;
  ariMin: number;
  fits: number;
}

export interface SweepCandidate extends SweepPoint {
  silhouetteSE: number;
  smallestShare: number;
  coverage: Coverage;
  modelStability?: number;
  traits: Trait[][];
}

export interface TrainResult {
  model: SegmentModel;
  features: FeatureTable;
  /** Raw features with missing reviews imputed (what profiles and assignments.csv show). */
  imputed: Matrix;
  /** Model coordinates. */
  X: Matrix;
  /** Segment id of each clustered customer (feature row order). */
  labels: Int32Array;
  /** Segment id of each person without a counted order (features.uncounted row order). */
  ruleLabels: Int32Array;
  sweep: SweepCandidate[];
  choice?: KChoice;
  alternatives: AlternativeScore[];
  baseline?: BaselineComparison;
  initStability: { k: number; median: number; min: number; pairs: number };
  modelStability: ModelStability;
  coverage: Coverage;
  thresholds: TraitThresholds;
  /** Set when the sweep ran on a sample: its size and the number of customers it was drawn from. */
  sweepSample?: { customers: number; of: number };
  timings: Record<string, number>;
}

export const DEFAULT_SEED = 20181017;
/** Best-of-10 fits with different seeds measured at each usable candidate k (the first is the sweep's own fit). */
export const MODEL_STABILITY_FITS = 3;

/**
 * Customers above which k is chosen on a sample. The sweep is the bulk of training (9 values of k x 10
 * initialisations, each with initialisation stability over 45 pairs, metrics and profiles), all linear in n;
 * a seeded uniform sample of 200,000 customers holds 4,000 or more customers of any segment large enough to
 * be usable (2%), which estimates segment shares, profiles and the four metrics far more tightly than the
 * differences between values of k that the rule (selectK.ts) acts on. The chosen k is then fitted on every
 * customer with the full nInit, so the model, its metrics and its segments are those of all the data. Below
 * the threshold (the real Olist export has 93,000 customers) training is unchanged.
 */
export const SWEEP_SAMPLE = 200_000;

export function trainSegmentation(data: OlistData, opts: TrainOptions = {}): TrainResult {
  const started = performance.now();
  // At the default as-of date (where the data effectively ends) everyone in the export gets a segment, including
  // the few people whose only orders are stray ones after that date; at an explicit earlier date they do not exist yet.
  const features = computeFeatures(data, opts.asOf ?? effectiveEnd(data), { uncounted: true, everyone: opts.asOf === undefined });
  const seconds = (performance.now() - started) / 1000;
  const result = trainOnFeatures(features, data.fingerprint, opts);
  result.timings = { features: seconds, ...result.timings };
  return result;
}

interface Fit {
  labels: Int32Array;
  centroids: Float64Array;
  inertia: number;
  profiles: Profile[];
  support: Record<Trait, number>[];
  stability: TrainResult['initStability'];
}

/** Fewer customers with a delivered order than this cannot be segmented: the dataset is rejected. */
export const MIN_SEGMENTABLE_CUSTOMERS = 10;

/**
 * The one check of "enough customers to segment", made by ingest (before anything is handed to training) and by every
 * training, so that the CLI and the stack reject such data with the same message.
 */
export function assertSegmentable(features: Pick<FeatureTable, 'values' | 'asOf'>): void {
  const n = features.values.rows;
  if (n >= MIN_SEGMENTABLE_CUSTOMERS) return;
  const asOf = new Date(features.asOf).toISOString().slice(0, 10);
  throw new DataFormatError(ORDERS.file, undefined, undefined, `at least ${MIN_SEGMENTABLE_CUSTOMERS} customers with an order delivered by ${asOf}, to segment`, String(n), false);
}

/** Training on an already computed feature table (the stack's train function gets it from ingest). */
export function trainOnFeatures(features: FeatureTable, fingerprint: string, opts: TrainOptions = {}): TrainResult {
  const seed = opts.seed ?? DEFAULT_SEED;
  const nInit = opts.nInit ?? 10;
  const stabilityFits = Math.max(1, opts.stabilityFits ?? MODEL_STABILITY_FITS);
  const timings: Record<string, number> = {};
  let t0 = performance.now();
  const lap = (stage: string) => {
    const now = performance.now();
    timings[stage] = (timings[stage] ?? 0) + (now - t0) / 1000;
    t0 = now;
  };

  const asOf = features.asOf;
  assertSegmentable(features);
  const { reviewImputation, imputed, transforms, X } = featureSpace(features.values, opts.space);
  const pop = populationStats(imputed);
  const thresholds = fitTraitThresholds(imputed);
  lap('transforms');

  const doSweep = opts.sweep ?? true;
  const sweepLimit = opts.sweepSample ?? SWEEP_SAMPLE;
  if (!(sweepLimit >= 10)) throw new Error(`sweepSample must be at least 10, got ${sweepLimit}`);
  // With a fixed k and no sweep there is nothing to choose, hence nothing to sample.
  const sweepRows = doSweep && X.rows > sweepLimit ? sampleIndices(X.rows, Math.floor(sweepLimit), createRng(seed + 2)) : undefined;
  const sweepX = sweepRows ? selectRows(X, sweepRows) : X;
  const sweepImputed = sweepRows ? selectRows(imputed, sweepRows) : imputed;
  const sweepRaw = sweepRows ? selectRows(features.values, sweepRows) : features.values;

  const kMin = opts.kMin ?? 2;
  const kMax = Math.min(opts.kMax ?? 10, sweepX.rows - 1);
  const ks = doSweep ? range(kMin, kMax) : [opts.k!];
  if (opts.k !== undefined && !ks.includes(opts.k)) ks.push(opts.k);
  const sample = opts.silhouetteSample ?? 10_000;
  const kmeansOpts = { seed, nInit, keepInitLabels: true, threads: opts.threads };
  const sweep: SweepCandidate[] = [];
  const candidates: Candidate[] = [];
  const fits = new Map<number, Fit>();
  /** k-means at k with everything the choice of k and the model need. */
  const evaluate = (Xm: Matrix, rawM: Matrix, imputedM: Matrix, k: number): { point: SweepCandidate; candidate: Candidate; fit: Fit } => {
    const fit = kmeans(Xm, k, kmeansOpts);
    const stability = initStabilityOf(fit.inits.map((f) => f.labels!), k);
    const sil = silhouetteStats(Xm, fit.labels, k, { sampleSize: sample, seed });
    const metrics: ClusterMetrics = {
      silhouette: sil.mean,
      daviesBouldin: daviesBouldin(Xm, fit.labels, k),
      calinskiHarabasz: calinskiHarabasz(Xm, fit.labels, k),
      inertia: fit.inertia,
    };
    const members = membersOf(fit.labels, k);
    const profiles = profileSegments(imputedM, fit.labels, k, pop);
    const support = traitSupport(imputedM, members, thresholds);
    const traits = support.map(traitsOfSupport);
    const facts = { unsatisfied: traits.map((t) => t.includes('unsatisfied')), repeat: traits.map((t) => t.includes('repeat')), meanReview: profiles.map((p) => p.reviewScore.mean) };
    const coverage = coverageOf(rawM, imputedM, fit.labels, k, facts);
    const smallestShare = Math.min(...members.map((m) => m.length)) / Xm.rows;
    const point: SweepCandidate = { k, ...metrics, initStability: stability.median, silhouetteSE: sil.standardError, smallestShare, coverage, traits };
    const has = (t: Trait) => traits.some((x) => x.includes(t));
    const candidate: Candidate = {
      ...point,
      hasUnsatisfied: has('unsatisfied'),
      hasHighValue: has('repeat') || has('high-spend'),
      hasRecent: has('recent'),
      hasLapsed: has('lapsed'),
    };
    return { point, candidate, fit: { labels: fit.labels, centroids: fit.centroids, inertia: fit.inertia, profiles, support, stability } };
  };
  ks.forEach((k, i) => {
    opts.onProgress?.('sweep', i, ks.length);
    const r = evaluate(sweepX, sweepRaw, sweepImputed, k);
    sweep.push(r.point);
    candidates.push(r.candidate);
    fits.set(k, r.fit);
  });
  opts.onProgress?.('sweep', ks.length, ks.length);
  sweep.sort((a, b) => a.k - b.k);
  lap('sweep');

  // The agreement of best-of-nInit fits with different seeds (what production runs), measured only where it decides:
  // the candidates the rule would choose among (the best usable silhouette and those tied with it), again after any
  // of them turns out unstable. A candidate outside that set cannot be chosen nor move the set, so the choice is the
  // one measuring every candidate would give, at a fraction of the fits.
  const stabilityOf = (Xm: Matrix, k: number, first: Int32Array): ModelStability => modelStabilityAt(Xm, k, first, { seed, nInit, fits: stabilityFits, threads: opts.threads });
  const measured = new Map<number, ModelStability>();
  if (opts.k === undefined && stabilityFits > 1) {
    for (;;) {
      const trial = chooseK(candidates);
      const pending = trial.scores.filter((x) => (x.tiedWithBest || (opts.stabilityAtEveryCandidate && !x.reasons.length)) && x.modelStability === undefined).map((x) => x.k);
      if (!pending.length) break;
      for (const k of pending) {
        const c = candidates.find((x) => x.k === k)!;
        const s = stabilityOf(sweepX, k, fits.get(k)!.labels);
        measured.set(k, s);
        c.modelStability = s.ariMedian;
        sweep.find((p) => p.k === k)!.modelStability = s.ariMedian;
      }
    }
  }
  lap('stability');

  const choice = opts.k === undefined ? chooseK(candidates) : undefined;
  const k = opts.k ?? choice!.k;
  let fit = fits.get(k)!;
  let chosen: SweepCandidate = sweep.find((s) => s.k === k)!;
  if (sweepRows) {
    // k was chosen on the sample: the model is the fit at that k on every customer.
    const full = evaluate(X, features.values, imputed, k);
    fit = full.fit;
    chosen = full.point;
    measured.delete(k);
  }
  fits.clear();
  const modelStability = measured.get(k) ?? (stabilityFits > 1 ? stabilityOf(X, k, fit.labels) : { ariMedian: 1, ariMin: 1, fits: 1 });
  lap('final');

  const compare = opts.compare !== false;
  const alternatives = compare ? compareAlternatives(X, fit.labels, k, { seed, sampleSize: sample }) : [];
  const baseline = compare
    ? compareWithBaseline({ X, raw: features.values, imputed, labels: fit.labels, k, thresholds, productStability: modelStability.ariMedian, seed, sampleSize: sample, threads: opts.threads })
    : undefined;
  lap('alternatives');

  // The model people read: ids by value, profiles, names, rule segments (describe.ts, shared with the distributed path).
  const described = describeFit({
    fit: { k, centroids: fit.centroids, labels: fit.labels, profiles: fit.profiles, support: fit.support },
    raw: features.values,
    imputed,
    uncounted: features.uncounted,
    pop,
    thresholds,
    metrics: { silhouette: chosen.silhouette, daviesBouldin: chosen.daviesBouldin, calinskiHarabasz: chosen.calinskiHarabasz, inertia: chosen.inertia },
    transforms,
    reviewImputation,
    identity: { fingerprint, seed, nInit, asOf, createdAt: (opts.now ?? new Date()).toISOString() },
  });
  const { model, labels, coverage } = described;
  lap('describe');

  // What each customer's reasons are measured against (model/explain.ts).
  model.populationMeanCoordinates = meanCoordinates(X);
  const sweepSample = sweepRows ? { customers: sweepRows.length, of: X.rows } : undefined;
  return {
    model,
    features,
    imputed,
    X,
    labels,
    ruleLabels: described.ruleLabels,
    sweep,
    choice,
    alternatives,
    baseline,
    initStability: fit.stability,
    modelStability,
    coverage,
    thresholds,
    sweepSample,
    timings,
  };
}

/**
 * Agreement of `fits` best-of-nInit k-means fits with different master seeds: the first is given (the sweep's fit
 * with `seed`), the others use seeds derived from it. Median and minimum pairwise adjusted Rand index.
 */
export function modelStabilityAt(X: Matrix, k: number, first: Int32Array, o: { seed: number; nInit: number; fits: number; threads?: number | 'auto' }): ModelStability {
  const partitions = [first];
  for (let s = 1; s < o.fits; s++) partitions.push(kmeans(X, k, { seed: o.seed + 1_000_003 * s, nInit: o.nInit, threads: o.threads }).labels);
  const s = initStabilityOf(partitions, k);
  return { ariMedian: s.median, ariMin: s.min, fits: partitions.length };
}

function range(a: number, b: number): number[] {
  const out: number[] = [];
  for (let i = a; i <= b; i++) out.push(i);
  return out;
}

export function counts(labels: Int32Array, k: number): number[] {
  const c = new Array<number>(k).fill(0);
  for (const l of labels) c[l]++;
  return c;
}

/** Median and minimum pairwise adjusted Rand index between the partitions of the initialisations. */
export function initStabilityOf(partitions: Int32Array[], k: number): TrainResult['initStability'] {
  const aris = pairwiseAdjustedRandIndex(partitions).sort((a, b) => a - b);
  if (!aris.length) return { k, median: 1, min: 1, pairs: 0 };
  const m = aris.length >> 1;
  return { k, median: aris.length % 2 ? aris[m] : (aris[m - 1] + aris[m]) / 2, min: aris[0], pairs: aris.length };
}

