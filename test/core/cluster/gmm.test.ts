import { adjustedRandIndex } from '../../../lambdas/core/cluster/ari';
import { gaussianMixture, gmmPredict } from '../../../lambdas/core/cluster/gmm';
import { fromRows } from '../../../lambdas/core/util/matrix';
import { anisotropicBlobs, blobs, randomCentres } from './helpers';

describe('Gaussian mixture (diagonal covariances, EM)', () => {
  const { X, truth } = anisotropicBlobs(600, [[0, 0], [5, 1], [1, 6]], [[0.5, 2], [1.5, 0.4], [1, 1]], 31);

  test('same fit as scikit-learn from the same initial partition', () => {
    // python (X, lab = the data above, written to CSV; k = 3):
    //   w = [mean(lab == c)], mu = [X[lab == c].mean(0)], var = [((X[lab == c] - mu[c]) ** 2).mean(0) + 1e-6]
    //   gm = GaussianMixture(3, covariance_type='diag', weights_init=w, means_init=mu, precisions_init=1 / var).fit(X)
    //   gm.score(X) * n, gm.bic(X), gm.n_iter_, gm.weights_, gm.means_, gm.covariances_
    const r = gaussianMixture(X, 3, truth);
    expect(r.logLikelihood).toBeCloseTo(-2178.729011433214, 8);
    expect(r.bic).toBeCloseTo(4447.015038039454, 8);
    expect(r.iterations).toBe(2);
    expect(r.converged).toBe(true);
    const close = (a: ArrayLike<number>, b: number[]) => expect(Array.from(a)).toEqual(b.map((v) => expect.closeTo(v, 10)));
    close(r.weights, [0.33521172994307064, 0.3261313481472271, 0.33865692190970226]);
    close(r.means, [-0.027076854485533697, -0.18618897061778727, 4.990652717833689, 1.0030616185212613, 0.8682573806659916, 5.957523202505266]);
    close(r.variances, [0.2080496335744341, 4.034410239620473, 1.996994177606395, 0.15754790341698252, 0.8255316176608669, 0.883876519268841]);
    expect(r.meanLogLikelihood).toBeCloseTo(r.logLikelihood / 600, 12);
    // BIC by hand: p = 2 k d + k - 1 = 12 + 2 = 14 free parameters
    expect(r.bic).toBeCloseTo(-2 * r.logLikelihood + 14 * Math.log(600), 9);
  });

  test('recovers well separated blobs from a seeded k-means start, deterministically', () => {
    const data = blobs(2000, randomCentres(4, 5, 15, 2), 1, 3);
    const r = gaussianMixture(data.X, 4, { seed: 5 });
    expect(adjustedRandIndex(r.labels, data.truth)).toBeGreaterThan(0.99);
    expect(r.converged).toBe(true);
    const again = gaussianMixture(data.X, 4, { seed: 5 });
    expect(again.logLikelihood).toBe(r.logLikelihood);
    expect(Array.from(again.labels)).toEqual(Array.from(r.labels));
    let w = 0;
    for (const v of r.weights) w += v;
    expect(w).toBeCloseTo(1, 12);
  });

  test('a point mass gets a variance of reg_covar instead of 0, and the likelihood stays finite', () => {
    const Y = fromRows([[0], [0], [0], [10], [11], [12]]);
    const r = gaussianMixture(Y, 2, [0, 0, 0, 1, 1, 1]);
    expect(r.variances[0]).toBeCloseTo(1e-6, 12);
    expect(Number.isFinite(r.logLikelihood)).toBe(true);
    expect(Array.from(r.labels)).toEqual([0, 0, 0, 1, 1, 1]);
  });

  test('gmmPredict labels rows by the fitted parameters: the final E step labels on the fitted rows, and new rows too', () => {
    const r = gaussianMixture(X, 3, truth);
    expect(Array.from(gmmPredict(X, r))).toEqual(Array.from(r.labels));
    // A point at a component's mean goes to that component.
    const at = fromRows([0, 1, 2].map((c) => [r.means[2 * c], r.means[2 * c + 1]]));
    expect(Array.from(gmmPredict(at, r))).toEqual([0, 1, 2]);
    expect(() => gmmPredict(fromRows([[0, 0, 0]]), r)).toThrow(/do not match k=3 and 3 columns/);
  });

  test('rejects bad input', () => {
    expect(() => gaussianMixture(X, 0, truth)).toThrow(/k must be/);
    expect(() => gaussianMixture(X, 3, [0, 1])).toThrow(/initial partition/);
    expect(() => gaussianMixture(fromRows([[0], [1]]), 2, [0, 2])).toThrow(/initial label 2/);
  });
});
