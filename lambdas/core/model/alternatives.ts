/**
 * Other algorithms on the same features, scored like k-means, so that the choice of k-means is a
 * measured one: a Gaussian mixture (diagonal covariances), and agglomerative Ward on a seeded sample (it
 * needs O(n^2) memory). Each is scored on the same silhouette sample as k-means, and compared with the
 * k-means partition by adjusted Rand index on the same customers.
 *
 * The mixture is fitted by EM on every customer up to GMM_SAMPLE customers; above, on a seeded uniform
 * sample of GMM_SAMPLE (EM costs O(n k d) per iteration, up to 100 iterations, and 200,000 customers pin
 * down k means and variances of 9 features far more tightly than the comparison needs), and every
 * customer is then labelled by the fitted mixture (gmmPredict), so its scores are still over all customers.
 */
import { adjustedRandIndex } from '../cluster/ari';
import { gaussianMixture, gmmPredict } from '../cluster/gmm';
import { calinskiHarabasz, daviesBouldin, silhouette } from '../cluster/metrics';
import { wardClusters } from '../cluster/ward';
import { Matrix, selectRows } from '../util/matrix';
import { createRng, sampleIndices } from '../util/random';

export interface AlternativeScore {
  algorithm: string;
  k: number;
  customers: number;
  silhouette: number;
  daviesBouldin: number;
  calinskiHarabasz: number;
  /** Agreement with the k-means partition on the same customers. */
  ariVsKmeans: number;
  /** Segment sizes, largest first. */
  sizes: number[];
  seconds: number;
  note: string;
}

export const WARD_SAMPLE = 4000;
/** Above this many customers the mixture is fitted on a seeded sample of this many (see above). */
export const GMM_SAMPLE = 200_000;

function score(algorithm: string, X: Matrix, labels: Int32Array, k: number, kmeansLabels: Int32Array, started: number, note: string, opts: { seed: number; sampleSize: number }): AlternativeScore {
  const sizes = new Array<number>(k).fill(0);
  for (const l of labels) sizes[l]++;
  return {
    algorithm,
    k,
    customers: X.rows,
    silhouette: silhouette(X, labels, k, { sampleSize: opts.sampleSize, seed: opts.seed }),
    daviesBouldin: daviesBouldin(X, labels, k),
    calinskiHarabasz: calinskiHarabasz(X, labels, k),
    ariVsKmeans: adjustedRandIndex(labels, kmeansLabels),
    sizes: sizes.sort((a, b) => b - a),
    seconds: (performance.now() - started) / 1000,
    note,
  };
}

export function compareAlternatives(X: Matrix, kmeansLabels: Int32Array, k: number, opts: { seed: number; sampleSize: number; gmmSample?: number }): AlternativeScore[] {
  const out: AlternativeScore[] = [];
  out.push(score('k-means (chosen)', X, kmeansLabels, k, kmeansLabels, performance.now(), 'k-means++ initialisation, best inertia of 10 seeded runs', opts));
  // An alternative that degenerates (a mixture collapsing to one component, say) cannot be scored; it is
  // left out of the comparison rather than failing the training.
  const attempt = (run: () => AlternativeScore) => {
    try {
      out.push(run());
    } catch {
      /* not scorable on this data */
    }
  };
  attempt(() => {
    const t0 = performance.now();
    const fitSize = opts.gmmSample ?? GMM_SAMPLE;
    if (X.rows <= fitSize) {
      const gmm = gaussianMixture(X, k, kmeansLabels);
      return score('Gaussian mixture (diagonal)', X, gmm.labels, k, kmeansLabels, t0, `EM from the k-means partition, ${gmm.iterations} iterations, BIC ${Math.round(gmm.bic)}`, opts);
    }
    const idx = sampleIndices(X.rows, fitSize, createRng(opts.seed + 3));
    const gmm = gaussianMixture(selectRows(X, idx), k, Int32Array.from(idx, (i) => kmeansLabels[i]));
    const note = `EM from the k-means partition on a seeded sample of ${idx.length} customers (${gmm.iterations} iterations, BIC ${Math.round(gmm.bic)} on the sample), then every customer labelled by the fitted mixture`;
    return score('Gaussian mixture (diagonal)', X, gmmPredict(X, gmm), k, kmeansLabels, t0, note, opts);
  });
  attempt(() => {
    const t0 = performance.now();
    const idx = sampleIndices(X.rows, Math.min(WARD_SAMPLE, X.rows), createRng(opts.seed + 1));
    const sample = selectRows(X, idx);
    const ward = wardClusters(sample, k);
    const kmSample = Int32Array.from(idx, (i) => kmeansLabels[i]);
    return score('Agglomerative Ward', sample, ward, k, kmSample, t0, `on a seeded sample of ${idx.length} customers (O(n^2) memory)`, { ...opts, sampleSize: Infinity });
  });
  return out;
}
