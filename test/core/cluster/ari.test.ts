import { adjustedRandIndex, contingencyTable, pairwiseAdjustedRandIndex } from '../../../lambdas/core/cluster/ari';
import { createRng } from '../../../lambdas/core/util/random';

describe('contingency table', () => {
  test('counts per pair of labels, with the labels of each side in increasing order', () => {
    const t = contingencyTable([7, 7, 2, 2, 2], [0, 5, 5, 5, 0]);
    expect(Array.from(t.rowLabels)).toEqual([2, 7]);
    expect(Array.from(t.colLabels)).toEqual([0, 5]);
    // rows: a = 2 -> (b = 0: 1, b = 5: 2); a = 7 -> (b = 0: 1, b = 5: 1)
    expect(Array.from(t.counts)).toEqual([1, 2, 1, 1]);
    expect(Array.from(t.rowSums)).toEqual([3, 2]);
    expect(Array.from(t.colSums)).toEqual([2, 3]);
    expect(t.n).toBe(5);
  });

  test('large, sparse label values go through the map path', () => {
    const t = contingencyTable([4_000_000_000, 3, 4_000_000_000], [1, 1, 2]);
    expect(Array.from(t.rowLabels)).toEqual([3, 4_000_000_000]);
    expect(Array.from(t.counts)).toEqual([1, 0, 1, 1]);
  });

  test('rejects negative or fractional labels and different sizes', () => {
    expect(() => contingencyTable([0, -1], [0, 0])).toThrow(/non-negative integers/);
    expect(() => contingencyTable([0, 0.5], [0, 0])).toThrow(/non-negative integers/);
    expect(() => contingencyTable([0, 1], [0])).toThrow(/different sizes/);
  });
});

describe('adjusted Rand index', () => {
  test('scikit-learn documentation examples', () => {
    expect(adjustedRandIndex([0, 0, 1, 1], [0, 0, 1, 2])).toBeCloseTo(0.5714285714285715, 15);
    expect(adjustedRandIndex([0, 0, 1, 1], [1, 1, 0, 0])).toBe(1);
    expect(adjustedRandIndex([0, 0, 0, 0], [0, 1, 2, 3])).toBe(0);
    expect(adjustedRandIndex([0, 0, 1, 2], [0, 0, 1, 1])).toBeCloseTo(0.5714285714285715, 15);
    expect(adjustedRandIndex([0, 0, 1, 1], [0, 1, 0, 1])).toBeCloseTo(-0.5, 15);
  });

  test('hand example through the pair counts', () => {
    // a = [0,0,0,1,1,1], b = [0,0,1,1,2,2]; contingency rows (2,1,0) and (0,1,2).
    // pairs together in both: C(2,2) + C(2,2) = 2; in a: 2 * C(3,2) = 6; in b: 3 * C(2,2) = 3; all pairs C(6,2) = 15
    // expected = 6 * 3 / 15 = 1.2, max = (6 + 3) / 2 = 4.5 -> ARI = (2 - 1.2) / (4.5 - 1.2) = 0.8 / 3.3
    expect(adjustedRandIndex([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2])).toBeCloseTo(0.8 / 3.3, 15);
  });

  test('1 for identical partitions, symmetric, invariant under relabelling (non-contiguous labels)', () => {
    const rng = createRng(3);
    const a = Int32Array.from({ length: 500 }, () => rng.int(6));
    const b = Int32Array.from(a, (l, i) => (i % 9 === 0 ? rng.int(6) : l));
    expect(adjustedRandIndex(a, a)).toBe(1);
    const perm = [40, 3, 17, 0, 9, 1000];
    expect(adjustedRandIndex(a, Int32Array.from(a, (l) => perm[l]))).toBe(1);
    const ab = adjustedRandIndex(a, b);
    expect(ab).toBeLessThan(1);
    expect(ab).toBeGreaterThan(0.5);
    expect(adjustedRandIndex(b, a)).toBeCloseTo(ab, 14);
    expect(adjustedRandIndex(Int32Array.from(a, (l) => perm[l]), b)).toBeCloseTo(ab, 14);
  });

  test('independent random partitions score about 0', () => {
    const rng = createRng(8);
    const a = Int32Array.from({ length: 20000 }, () => rng.int(5));
    const b = Int32Array.from({ length: 20000 }, () => rng.int(7));
    expect(Math.abs(adjustedRandIndex(a, b))).toBeLessThan(0.01);
  });

  test('degenerate cases: single cluster on both sides, all singletons, empty and one item', () => {
    expect(adjustedRandIndex([3, 3, 3], [1, 1, 1])).toBe(1);
    expect(adjustedRandIndex([0, 1, 2], [2, 0, 1])).toBe(1);
    expect(adjustedRandIndex([], [])).toBe(1);
    expect(adjustedRandIndex([5], [0])).toBe(1);
    expect(adjustedRandIndex([0, 0, 0], [0, 1, 2])).toBe(0);
  });

  test('pairwise: every pair (0,1), (0,2), ..., exactly the numbers of adjustedRandIndex pair by pair', () => {
    const rng = createRng(9);
    const base = Int32Array.from({ length: 3000 }, () => rng.int(6));
    // partitions that agree partly: a share of the labels redrawn, label ids sparse in one of them
    const partitions = [0, 0.1, 0.3, 0.6, 1].map((noise, p) => Int32Array.from(base, (l) => (rng.next() < noise ? rng.int(6) : l) * (p === 2 ? 1000 : 1)));
    const expected: number[] = [];
    for (let i = 0; i < partitions.length; i++) for (let j = i + 1; j < partitions.length; j++) expected.push(adjustedRandIndex(partitions[i], partitions[j]));
    expect(pairwiseAdjustedRandIndex(partitions)).toEqual(expected);
    expect(expected).toHaveLength(10);
    expect(pairwiseAdjustedRandIndex([base])).toEqual([]);
    expect(pairwiseAdjustedRandIndex([])).toEqual([]);
    expect(() => pairwiseAdjustedRandIndex([base, base.subarray(1)])).toThrow('partitions of different sizes: 3000 and 2999');
  });
});
