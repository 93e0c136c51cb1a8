/**
 * From loaded tables to a segmentation model: features as of a date, fitted transforms, the k-means sweep
 * with its metrics, the choice of k, alternative algorithms on the same features, PCA, and the named,
 * profiled segments. Pure computation: no file or network I/O here (the CLI and the handlers do that).
 */
import { createHash } from 'node:crypto';
import { adjustedRandIndex } from '../cluster/ari';
import { kmeans } from '../cluster/kmeans';
import { calinskiHarabasz, daviesBouldin, silhouette } from '../cluster/metrics';
import { FeatureTable, computeFeatures, lastPurchase } from '../features/customerFeatures';
import { applyTransforms, fitReviewImputation, fitTransforms, imputeReviews } from '../features/transforms';
import { OlistData } from '../olist/load';
import { Profile, populationStats, profileSegments } from '../segments/profile';
import { labelSegments } from '../segments/naming';
import { Matrix, selectRows } from '../util/matrix';
import { createRng, sampleIndices } from '../util/random';
import { Candidate, KChoice, chooseK } from './selectK';
import { compareAlternatives, AlternativeScore } from './alternatives';
import { ClusterMetrics, FEATURE_NAMES, SegmentDescription, SegmentModel, SweepPoint } from './types';

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
  /** Run the other algorithms (Gaussian mixture, Ward) for comparison. */
  compare?: boolean;
  /** Compute the sweep over k (true by default; false with a fixed k trains that k only). */
  sweep?: boolean;
  now?: Date;
  onProgress?: (stage: string, done: number, total: number) => void;
}

export interface TrainResult {
  model: SegmentModel;
  features: FeatureTable;
  /** Raw features with missing reviews imputed (what profiles and assignments.csv show). */
  imputed: Matrix;
  /** Model coordinates. */
  X: Matrix;
  labels: Int32Array;
  sweep: SweepPoint[];
  choice?: KChoice;
  alternatives: AlternativeScore[];
  initStability: { k: number; median: number; min: number; pairs: number };
  /** Set when the sweep ran on a sample: its size and the number of customers it was drawn from. */
  sweepSample?: { customers: number; of: number };
  timings: Record<string, number>;
}

export const DEFAULT_SEED = 20181017;

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
  const features = computeFeatures(data, opts.asOf ?? lastPurchase(data));
  const seconds = (performance.now() - started) / 1000;
  const result = trainOnFeatures(features, data.fingerprint, opts);
  result.timings = { features: seconds, ...result.timings };
  return result;
}

/** Training on an already computed feature table (the stack's train function gets it from ingest). */
export function trainOnFeatures(features: FeatureTable, fingerprint: string, opts: TrainOptions = {}): TrainResult {
  const seed = opts.seed ?? DEFAULT_SEED;
  const nInit = opts.nInit ?? 10;
  const timings: Record<string, number> = {};
  let t0 = performance.now();
  const lap = (stage: string) => {
    const now = performance.now();
    timings[stage] = (timings[stage] ?? 0) + (now - t0) / 1000;
    t0 = now;
  };

  const asOf = features.asOf;
  if (features.values.rows < 10) throw new Error(`only ${features.values.rows} customers have a delivered order by ${new Date(asOf).toISOString()}: too few to segment`);
  const reviewImputation = fitReviewImputation(features.values);
  const imputed = imputeReviews(features.values, reviewImputation);
  const transforms = fitTransforms(imputed);
  const X = applyTransforms(imputed, transforms);
  const pop = populationStats(imputed);
  lap('transforms');

  const doSweep = opts.sweep ?? true;
  const sweepLimit = opts.sweepSample ?? SWEEP_SAMPLE;
  if (!(sweepLimit >= 10)) throw new Error(`sweepSample must be at least 10, got ${sweepLimit}`);
  // With a fixed k and no sweep there is nothing to choose, hence nothing to sample.
  const sweepRows = doSweep && X.rows > sweepLimit ? sampleIndices(X.rows, Math.floor(sweepLimit), createRng(seed + 2)) : undefined;
  const sweepX = sweepRows ? selectRows(X, sweepRows) : X;
  const sweepImputed = sweepRows ? selectRows(imputed, sweepRows) : imputed;

  const kMin = opts.kMin ?? 2;
  const kMax = Math.min(opts.kMax ?? 10, sweepX.rows - 1);
  const ks = doSweep ? range(kMin, kMax) : [opts.k!];
  if (opts.k !== undefined && !ks.includes(opts.k)) ks.push(opts.k);
  const sample = opts.silhouetteSample ?? 10_000;
  const kmeansOpts = { seed, nInit, keepInitLabels: true, threads: opts.threads };
  const sweep: SweepPoint[] = [];
  const candidates: Candidate[] = [];
  const fits = new Map<number, Fit>();
  /** k-means at k on (Xm, imputedM) with everything the choice of k and the model need. */
  const evaluate = (Xm: Matrix, imputedM: Matrix, k: number): { point: SweepPoint; candidate: Candidate; fit: Fit } => {
    const fit = kmeans(Xm, k, kmeansOpts);
    const stability = initStabilityOf(fit.inits.map((f) => f.labels!), k);
    const metrics: ClusterMetrics = {
      silhouette: silhouette(Xm, fit.labels, k, { sampleSize: sample, seed }),
      daviesBouldin: daviesBouldin(Xm, fit.labels, k),
      calinskiHarabasz: calinskiHarabasz(Xm, fit.labels, k),
      inertia: fit.inertia,
    };
    const point: SweepPoint = { k, ...metrics, initStability: stability.median };
    const profiles = profileSegments(imputedM, fit.labels, k, pop);
    const labels = labelSegments(profiles);
    const sizes = counts(fit.labels, k);
    const candidate: Candidate = {
      ...point,
      smallestShare: Math.min(...sizes) / Xm.rows,
      hasUnsatisfied: labels.some((l) => l.traits.includes('unsatisfied')),
      hasHighValue: labels.some((l) => l.traits.includes('repeat') || l.traits.includes('high-spend')),
    };
    return { point, candidate, fit: { labels: fit.labels, centroids: fit.centroids, inertia: fit.inertia, profiles, stability } };
  };
  ks.forEach((k, i) => {
    opts.onProgress?.('sweep', i, ks.length);
    const r = evaluate(sweepX, sweepImputed, k);
    sweep.push(r.point);
    candidates.push(r.candidate);
    fits.set(k, r.fit);
  });
  opts.onProgress?.('sweep', ks.length, ks.length);
  sweep.sort((a, b) => a.k - b.k);
  lap('sweep');

  const choice = opts.k === undefined ? chooseK(candidates) : undefined;
  const k = opts.k ?? choice!.k;
  let fit = fits.get(k)!;
  let chosen: ClusterMetrics = sweep.find((s) => s.k === k)!;
  if (sweepRows) {
    // k was chosen on the sample: the model is the fit at that k on every customer.
    const full = evaluate(X, imputed, k);
    fit = full.fit;
    chosen = full.point;
  }
  fits.clear();
  lap('final');

  const alternatives = opts.compare === false ? [] : compareAlternatives(X, fit.labels, k, { seed, sampleSize: sample });
  lap('alternatives');

  // Segment ids ordered by value (spend), so that id 0 is the most valuable group in a fresh model;
  // across versions ids are then kept stable by matching (stability/matching.ts).
  const order = range(0, k - 1).sort((a, b) => fit.profiles[b].monetary.mean * fit.profiles[b].frequency.mean - fit.profiles[a].monetary.mean * fit.profiles[a].frequency.mean);
  const relabel = new Int32Array(k);
  order.forEach((old, id) => (relabel[old] = id));
  const labels = fit.labels.map((l) => relabel[l]);
  const profiles = order.map((old) => fit.profiles[old]);
  const names = labelSegments(profiles);
  const sizes = counts(labels, k);
  const segments: SegmentDescription[] = profiles.map((profile, id) => ({
    id,
    name: names[id].name,
    description: names[id].description,
    action: names[id].action,
    traits: names[id].traits,
    size: sizes[id],
    share: sizes[id] / X.rows,
    profile,
  }));
  const centroids = order.map((old) => Array.from(fit.centroids.subarray(old * X.cols, (old + 1) * X.cols)));
  lap('describe');

  const createdAt = (opts.now ?? new Date()).toISOString();
  const params = JSON.stringify({ k, seed, nInit, asOf, features: FEATURE_NAMES });
  const hash = createHash('sha256').update(fingerprint).update(params).digest('hex').slice(0, 8);
  const model: SegmentModel = {
    schemaVersion: 1,
    version: `${createdAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${hash}`,
    createdAt,
    asOf: new Date(asOf).toISOString(),
    dataFingerprint: fingerprint,
    algorithm: 'kmeans',
    k,
    seed,
    features: transforms,
    reviewImputation,
    centroids,
    metrics: { silhouette: chosen.silhouette, daviesBouldin: chosen.daviesBouldin, calinskiHarabasz: chosen.calinskiHarabasz, inertia: chosen.inertia },
    segments,
    customers: X.rows,
  };
  const sweepSample = sweepRows ? { customers: sweepRows.length, of: X.rows } : undefined;
  return { model, features, imputed, X, labels, sweep, choice, alternatives, initStability: fit.stability, sweepSample, timings };
}

interface Fit {
  labels: Int32Array;
  centroids: Float64Array;
  inertia: number;
  profiles: Profile[];
  stability: TrainResult['initStability'];
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
  const aris: number[] = [];
  for (let i = 0; i < partitions.length; i++) for (let j = i + 1; j < partitions.length; j++) aris.push(adjustedRandIndex(partitions[i], partitions[j]));
  aris.sort((a, b) => a - b);
  if (!aris.length) return { k, median: 1, min: 1, pairs: 0 };
  const m = aris.length >> 1;
  return { k, median: aris.length % 2 ? aris[m] : (aris[m - 1] + aris[m]) / 2, min: aris[0], pairs: aris.length };
}
