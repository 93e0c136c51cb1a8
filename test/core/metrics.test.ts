import { adjustedRandIndex } from '../../lambdas/core/cluster/ari';
import { calinskiHarabasz, daviesBouldin, inertia, silhouette } from '../../lambdas/core/cluster/metrics';
import { fromRows } from '../../lambdas/core/util/matrix';

// Reference values from scikit-learn 1.2.1:
//   X = [[0,0],[0,1],[1,0],[5,5],[5,6],[6,5],[10,0],[10,1]]
//   silhouette_score / davies_bouldin_score / calinski_harabasz_score(X, labels)
const X = fromRows([[0, 0], [0, 1], [1, 0], [5, 5], [5, 6], [6, 5], [10, 0], [10, 1]]);
const good = Int32Array.from([0, 0, 0, 1, 1, 1, 2, 2]);
const bad = Int32Array.from([0, 0, 1, 1, 1, 1, 2, 0]);

describe('cluster validity metrics', () => {
  test('agree with scikit-learn on a well separated partition', () => {
    expect(silhouette(X, good, 3)).toBeCloseTo(0.8381087202020668, 12);
    expect(daviesBouldin(X, good, 3)).toBeCloseTo(0.18058310574149639, 12);
    expect(calinskiHarabasz(X, good, 3)).toBeCloseTo(126.4802631578947, 9);
  });

  test('agree with scikit-learn on a poor partition', () => {
    expect(silhouette(X, bad, 3)).toBeCloseTo(0.04636588909451947, 12);
    expect(daviesBouldin(X, bad, 3)).toBeCloseTo(1.594427732637514, 12);
    expect(calinskiHarabasz(X, bad, 3)).toBeCloseTo(1.4241393114491596, 9);
  });

  test('inertia by hand: squared distances to cluster means', () => {
    // cluster 0 mean (1/3, 1/3): 2/9*... each of the 3 points: (1/9+1/9), (1/9+4/9), (4/9+1/9) -> 12/9
    // cluster 1 mean (16/3, 16/3): same shape -> 12/9; cluster 2 mean (10, 0.5): 0.25 + 0.25
    expect(inertia(X, good, 3)).toBeCloseTo(12 / 9 + 12 / 9 + 0.5, 12);
  });

  test('silhouette of singletons is 0 and a sample of all points equals the exact value', () => {
    // 0 is alone (s = 0); 1: a = 4, b = 1 -> (1 - 4) / 4; 5: a = 4, b = 5 -> (5 - 4) / 5
    expect(silhouette(fromRows([[0], [1], [5]]), Int32Array.from([0, 1, 1]), 2)).toBeCloseTo((0 - 0.75 + 0.2) / 3, 12);
    expect(silhouette(X, good, 3, { sampleSize: 100, seed: 3 })).toBeCloseTo(0.8381087202020668, 12);
  });

  test('a seeded silhouette sample is deterministic and close to the exact value on larger data', () => {
    const rows: number[][] = [];
    for (let i = 0; i < 1500; i++) rows.push([(i % 3) * 10 + Math.sin(i) , Math.cos(i * 1.3)]);
    const m = fromRows(rows);
    const labels = Int32Array.from({ length: 1500 }, (_, i) => i % 3);
    const exact = silhouette(m, labels, 3);
    const a = silhouette(m, labels, 3, { sampleSize: 500, seed: 7 });
    expect(silhouette(m, labels, 3, { sampleSize: 500, seed: 7 })).toBe(a);
    expect(Math.abs(a - exact)).toBeLessThan(0.02);
  });
});

describe('adjusted Rand index', () => {
  test('known values (scikit-learn documentation and a computed one)', () => {
    expect(adjustedRandIndex([0, 0, 1, 1], [0, 0, 1, 2])).toBeCloseTo(0.5714285714285715, 12);
    expect(adjustedRandIndex([0, 0, 1, 1], [1, 1, 0, 0])).toBe(1);
    expect(adjustedRandIndex([0, 0, 0, 0], [0, 1, 2, 3])).toBe(0);
    expect(adjustedRandIndex([0, 0, 1, 1, 2, 2], [0, 0, 1, 2, 2, 2])).toBeCloseTo(0.4444444444444444, 12);
  });

  test('hand example: index 2, expected 6*4/15, max 5 -> (2 - 1.6) / (5 - 1.6)', () => {
    // a = [0,0,0,1,1,1] (6 same-cluster pairs), b = [0,0,1,1,2,2] (3 pairs); together: (0,0):2, (0,1):1, (1,1):1, (1,2):2 -> 2 pairs
    expect(adjustedRandIndex([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2])).toBeCloseTo((2 - (6 * 3) / 15) / ((6 + 3) / 2 - (6 * 3) / 15), 12);
  });

  test('1 for identical partitions, symmetric, invariant under label permutation and non-contiguous labels', () => {
    const a = Int32Array.from({ length: 200 }, (_, i) => (i * 7) % 5);
    const b = Int32Array.from({ length: 200 }, (_, i) => ((i * 7) % 5 === 4 ? 0 : (i * 7) % 5) + (i % 11 === 0 ? 1 : 0));
    expect(adjustedRandIndex(a, a)).toBe(1);
    expect(adjustedRandIndex(a, b)).toBeCloseTo(adjustedRandIndex(b, a), 14);
    const perm = [40, 3, 17, 0, 9];
    expect(adjustedRandIndex(a.map((l) => perm[l]), b)).toBeCloseTo(adjustedRandIndex(a, b), 14);
    expect(adjustedRandIndex(a, b)).toBeLessThan(1);
  });

  test('rejects partitions of different sizes', () => {
    expect(() => adjustedRandIndex([0, 1], [0])).toThrow(/different sizes/);
  });
});
