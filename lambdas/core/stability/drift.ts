/**
 * Per-feature drift of new data against the distribution a model was trained on.
 *
 * The training distribution is kept as a compact summary that can be persisted beside the model (a few
 * kilobytes: no customer rows): per feature, the bins of the population stability index (edges at the
 * training deciles, de-duplicated so that discrete features such as `frequency` keep a bin per mass point,
 * plus one bin below the training minimum and one above the maximum, with the training share of each bin)
 * and the training cumulative distribution at the percentiles (for the Kolmogorov-Smirnov statistic).
 *
 * - PSI = sum over bins of (new share - training share) * ln(new share / training share), with shares floored
 *   at 0.5% (common practice): an empty bin gives a large but finite value, and a bin empty in training that
 *   receives a handful of new customers (e.g. the oldest customers aging past the training maximum of
 *   recency within a week) does not dominate the index. Conventional reading: below 0.1 stable,
 *   0.1 to 0.25 moderate shift, above 0.25 major shift (DRIFT_LEVELS). PSI depends only on the ranks, so it is
 *   the same on raw values and on the model's log/standardised coordinates.
 * - KS = the largest gap between the training and new cumulative distributions. From the summary it is
 *   evaluated at the stored percentiles (exact there; it can miss at most 1% of training mass between two
 *   of them); `ksTwoSample` gives the exact statistic when both samples are at hand. With tens of thousands
 *   of customers any visible gap is "significant", so decisions rest on PSI and the KS value is reported as
 *   an effect size, with its asymptotic p-value for completeness.
 *
 * Values are the raw features with missing reviews imputed by the model's own rule (what the model sees
 * before its log/standardisation), in FEATURE_NAMES order.
 */
import { FEATURE_NAMES, FeatureName } from '../domain/types';
import { Matrix } from '../util/matrix';
import { countAtMost, quantileLowerSorted, quantileSorted, round } from './stats';

export const DRIFT_LEVELS = { moderate: 0.1, major: 0.25 } as const;

/**
 * Features that shift with time by construction: every customer's recency grows by the model's age, so its
 * PSI passes 0.25 after 15 to 23 weeks on Olist while the segmentation itself still agrees with a fresh fit
 * (ARI above 0.9). Their drift is reported as aging; whether it matters for the segments is what the ARI
 * measures.
 */
export const AGING_FEATURES: readonly FeatureName[] = ['recencyDays'];
const PSI_FLOOR = 0.005;

export interface FeatureDistribution {
  name: FeatureName;
  /** Bin edges; bin 0 is x <= edges[0] (below the training minimum), bin i is edges[i-1] < x <= edges[i], the last is x > the training maximum. */
  edges: number[];
  /** Training share of each bin (edges.length + 1 values, summing to 1). */
  proportions: number[];
  /** Training cumulative distribution at the percentiles: F[i] = share of training values <= x[i]. */
  cdf: { x: number[]; F: number[] };
  mean: number;
  median: number;
}

/** What is persisted beside a model (e.g. `distribution.json` next to `model.json`). */
export interface TrainingDistribution {
  schemaVersion: 1;
  /** Date the training features were computed as of (ISO). */
  asOf: string;
  modelVersion?: string;
  customers: number;
  features: FeatureDistribution[];
}

export type DriftLevel = 'stable' | 'moderate' | 'major';

export interface FeatureDrift {
  name: FeatureName;
  psi: number;
  ks: number;
  ksPValue: number;
  level: DriftLevel;
  trainingMedian: number;
  currentMedian: number;
}

export function sortedColumn(values: Matrix, j: number): Float64Array {
  const out = new Float64Array(values.rows);
  for (let i = 0; i < values.rows; i++) out[i] = values.data[i * values.cols + j];
  return out.sort();
}

/** Shares of sorted values in the bins defined by interior edges (right-closed). */
export function binShares(sorted: ArrayLike<number>, edges: readonly number[]): number[] {
  const n = sorted.length;
  const out: number[] = [];
  let prev = 0;
  for (const e of edges) {
    const c = countAtMost(sorted, e);
    out.push((c - prev) / Math.max(1, n));
    prev = c;
  }
  out.push((n - prev) / Math.max(1, n));
  return out;
}

export function summarizeDistribution(values: Matrix, opts: { asOf: number | string; modelVersion?: string; bins?: number } = { asOf: 0 }): TrainingDistribution {
  if (values.cols !== FEATURE_NAMES.length) throw new Error(`expected ${FEATURE_NAMES.length} feature columns, got ${values.cols}`);
  const bins = opts.bins ?? 10;
  const features = FEATURE_NAMES.map((name, j): FeatureDistribution => {
    const s = sortedColumn(values, j);
    // Edges: just below the training minimum, the de-duplicated deciles, the training maximum. The two outer
    // bins hold no training value: new values outside the training range (a new kind of customer, or a
    // feature that was constant in training) show up there instead of vanishing into the first or last decile.
    const edges: number[] = s.length ? [prevFloat(s[0])] : [];
    for (let b = 1; b < bins; b++) {
      const q = quantileLowerSorted(s, b / bins);
      if (Number.isFinite(q) && q < s[s.length - 1] && q > edges[edges.length - 1]) edges.push(q);
    }
    if (s.length) edges.push(s[s.length - 1]);
    const x: number[] = [];
    const F: number[] = [];
    for (let p = 0; p <= 100; p++) {
      const q = quantileLowerSorted(s, p / 100);
      if (!Number.isFinite(q) || (x.length && q <= x[x.length - 1])) continue;
      x.push(q);
      F.push(countAtMost(s, q) / s.length);
    }
    let sum = 0;
    for (const v of s) sum += v;
    return { name, edges, proportions: binShares(s, edges), cdf: { x, F }, mean: sum / Math.max(1, s.length), median: quantileSorted(s, 0.5) };
  });
  const asOf = typeof opts.asOf === 'number' ? new Date(opts.asOf).toISOString() : opts.asOf;
  return { schemaVersion: 1, asOf, modelVersion: opts.modelVersion, customers: values.rows, features };
}

/** Population stability index between training shares (expected) and new shares (actual). */
export function psi(expected: readonly number[], actual: readonly number[]): number {
  if (expected.length !== actual.length) throw new Error(`psi: ${expected.length} vs ${actual.length} bins`);
  let total = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(expected[i], PSI_FLOOR);
    const a = Math.max(actual[i], PSI_FLOOR);
    total += (a - e) * Math.log(a / e);
  }
  return total;
}

/** Exact two-sample Kolmogorov-Smirnov statistic of two sorted samples. */
export function ksTwoSample(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  const m = b.length;
  if (!n || !m) return NaN;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n && j < m) {
    const x = Math.min(a[i], b[j]);
    while (i < n && a[i] <= x) i++;
    while (j < m && b[j] <= x) j++;
    d = Math.max(d, Math.abs(i / n - j / m));
  }
  return d;
}

/** KS statistic of a sorted sample against a stored training CDF, evaluated at the stored points. */
export function ksAgainstSummary(cdf: FeatureDistribution['cdf'], sorted: ArrayLike<number>): number {
  if (!sorted.length) return NaN;
  let d = 0;
  for (let i = 0; i < cdf.x.length; i++) {
    const fNew = countAtMost(sorted, cdf.x[i]) / sorted.length;
    d = Math.max(d, Math.abs(fNew - cdf.F[i]));
    // Just below the point: the training CDF there is at least the previous stored value.
    const below = countAtMost(sorted, prevFloat(cdf.x[i])) / sorted.length;
    d = Math.max(d, Math.abs(below - (i ? cdf.F[i - 1] : 0)));
  }
  return d;
}

function prevFloat(x: number): number {
  if (x === 0) return -Number.MIN_VALUE;
  const buf = new Float64Array([x]);
  const bits = new BigInt64Array(buf.buffer);
  bits[0] += x > 0 ? -1n : 1n;
  return buf[0];
}

/** Asymptotic p-value of a two-sample KS statistic (Kolmogorov distribution, Stephens' correction). */
export function ksPValue(d: number, n1: number, n2: number): number {
  if (!(d > 0) || !n1 || !n2) return 1;
  const ne = (n1 * n2) / (n1 + n2);
  const sq = Math.sqrt(ne);
  const lambda = (sq + 0.12 + 0.11 / sq) * d;
  let sum = 0;
  for (let j = 1; j <= 100; j++) {
    const term = (j % 2 ? 2 : -2) * Math.exp(-2 * j * j * lambda * lambda);
    sum += term;
    if (Math.abs(term) < 1e-12) break;
  }
  return Math.min(1, Math.max(0, sum));
}

export function driftLevel(psiValue: number): DriftLevel {
  return psiValue > DRIFT_LEVELS.major ? 'major' : psiValue > DRIFT_LEVELS.moderate ? 'moderate' : 'stable';
}

/** PSI and KS of every feature of `values` (imputed raw features) against a training summary. */
export function featureDrift(training: TrainingDistribution, values: Matrix): FeatureDrift[] {
  if (values.cols !== training.features.length) throw new Error(`expected ${training.features.length} feature columns, got ${values.cols}`);
  return featureDriftOfSorted(training, training.features.map((_, j) => sortedColumn(values, j)));
}

/** The same from columns already sorted (a caller comparing one date with several trainings sorts them once). */
export function featureDriftOfSorted(training: TrainingDistribution, sortedColumns: readonly Float64Array[]): FeatureDrift[] {
  return training.features.map((f, j) => {
    const s = sortedColumns[j];
    const p = psi(f.proportions, binShares(s, f.edges));
    const ks = ksAgainstSummary(f.cdf, s);
    return {
      name: f.name,
      psi: round(p, 4),
      ks: round(ks, 4),
      ksPValue: ksPValue(ks, training.customers, s.length),
      level: driftLevel(p),
      trainingMedian: f.median,
      currentMedian: quantileSorted(s, 0.5),
    };
  });
}
