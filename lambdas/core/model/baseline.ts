/**
 * The classic baseline of this case, for comparison on the same customers: k-means on RFM + satisfaction
 * (recency, log1p orders, log1p spend and review score, each standardised to mean 0 and standard deviation 1, as
 * most public analyses of the Olist export do), at the chosen k, with production's 10 initialisations.
 *
 * Both partitions are scored in both spaces (a silhouette only means something in the space it is measured in),
 * with the coverage figures (coverage.ts) and the agreement of fits with different seeds, so a reader can see what
 * the richer, bounded feature space buys.
 */
import { adjustedRandIndex, pairwiseAdjustedRandIndex } from '../cluster/ari';
import { kmeans } from '../cluster/kmeans';
import { silhouette } from '../cluster/metrics';
import { FEATURE_INDEX } from '../features/customerFeatures';
import { membersOf } from '../segments/profile';
import { TraitThresholds, traitSupport, traitsOfSupport } from '../segments/traits';
import { createMatrix, Matrix } from '../util/matrix';
import { Coverage, coverageOf } from './coverage';

export interface PartitionScore {
  /** Silhouette of the partition in the product's space and in the RFM + satisfaction space (same sample). */
  silhouetteProductSpace: number;
  silhouetteRfmSpace: number;
  coverage: Coverage;
  /** Median pairwise ARI of best-of-10 fits with different seeds (each in its own space). */
  modelStability: number;
  sizes: number[];
}

export interface BaselineComparison {
  k: number;
  customers: number;
  features: string;
  product: PartitionScore;
  rfm: PartitionScore;
  /** Agreement of the two partitions. */
  ari: number;
}

const { log1p, sqrt } = Math;

/** Standardised recency, log1p orders, log1p spend, review (imputed values). */
export function rfmSpace(imputed: Matrix): Matrix {
  const F = FEATURE_INDEX;
  const cols: [number, boolean][] = [
    [F.recencyDays, false],
    [F.frequency, true],
    [F.monetary, true],
    [F.reviewScore, false],
  ];
  const n = imputed.rows;
  const out = createMatrix(n, cols.length);
  cols.forEach(([j, log], c) => {
    let mean = 0;
    for (let i = 0; i < n; i++) {
      const x = imputed.data[i * imputed.cols + j];
      const v = log ? log1p(x > 0 ? x : 0) : x;
      out.data[i * cols.length + c] = v;
      mean += v;
    }
    mean /= n || 1;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += (out.data[i * cols.length + c] - mean) ** 2;
    const sd = sqrt(ss / (n || 1)) || 1;
    for (let i = 0; i < n; i++) out.data[i * cols.length + c] = (out.data[i * cols.length + c] - mean) / sd;
  });
  return out;
}

export interface BaselineInput {
  /** Product's model coordinates, raw and imputed features of the same customers. */
  X: Matrix;
  raw: Matrix;
  imputed: Matrix;
  labels: Int32Array;
  k: number;
  thresholds: TraitThresholds;
  /** Median pairwise ARI of the product's best-of-10 fits (already measured by training). */
  productStability: number;
  seed: number;
  sampleSize: number;
  threads?: number | 'auto';
}

function segmentFacts(imputed: Matrix, labels: Int32Array, k: number, thresholds: TraitThresholds) {
  const members = membersOf(labels, k);
  const support = traitSupport(imputed, members, thresholds);
  const traits = support.map(traitsOfSupport);
  const meanReview = members.map((rows) => {
    let s = 0;
    for (const r of rows) s += imputed.data[r * imputed.cols + FEATURE_INDEX.reviewScore];
    return rows.length ? s / rows.length : NaN;
  });
  return { unsatisfied: traits.map((t) => t.includes('unsatisfied')), repeat: traits.map((t) => t.includes('repeat')), meanReview, sizes: members.map((m) => m.length) };
}

export function compareWithBaseline(input: BaselineInput): BaselineComparison {
  const { X, raw, imputed, labels, k, thresholds, seed } = input;
  const R = rfmSpace(imputed);
  const fits = [0, 1, 2].map((s) => kmeans(R, k, { seed: seed + 7919 * (s + 1), nInit: 10, threads: input.threads }));
  const rfmLabels = fits[0].labels;
  const aris = pairwiseAdjustedRandIndex(fits.map((f) => f.labels)).sort((a, b) => a - b);
  const sil = (M: Matrix, l: Int32Array) => silhouette(M, l, k, { sampleSize: input.sampleSize, seed });
  const score = (l: Int32Array, stability: number): PartitionScore => {
    const facts = segmentFacts(imputed, l, k, thresholds);
    return {
      silhouetteProductSpace: sil(X, l),
      silhouetteRfmSpace: sil(R, l),
      coverage: coverageOf(raw, imputed, l, k, facts),
      modelStability: stability,
      sizes: facts.sizes.slice().sort((a, b) => b - a),
    };
  };
  return {
    k,
    customers: X.rows,
    features: 'standardised recency, log1p orders, log1p spend, review score',
    product: score(labels, input.productStability),
    rfm: score(rfmLabels, aris[aris.length >> 1]),
    ari: adjustedRandIndex(labels, rfmLabels),
  };
}
