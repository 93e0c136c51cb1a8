import { buildKdTree } from '../../../lambdas/core/cluster/kdTree';
import { createMatrix } from '../../../lambdas/core/util/matrix';
import { createRng } from '../../../lambdas/core/util/random';
import { blobs, randomCentres } from './helpers';

function checkTree(data: Float64Array, n: number, d: number, leafSize: number): void {
  const tree = buildKdTree(data, n, d, leafSize);
  // A permutation, and x holds the rows in that order.
  expect(Array.from(tree.perm).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
  for (let j = 0; j < n; j++) for (let t = 0; t < d; t++) if (tree.x[j * d + t] !== data[tree.perm[j] * d + t]) throw new Error(`row ${j} not copied`);
  // Leaves tile 0..n in order, each with at most leafSize rows.
  let next = 0;
  for (const v of tree.leaves) {
    expect(tree.start[v]).toBe(next);
    expect(tree.end[v] - tree.start[v]).toBeLessThanOrEqual(leafSize);
    expect(tree.end[v]).toBeGreaterThan(tree.start[v]);
    next = tree.end[v];
  }
  expect(next).toBe(n);
  // Children split their parent's range; every row lies inside the sphere of every node that covers it.
  let outside = 0;
  for (let v = 0; v < tree.start.length; v++) {
    if (tree.left[v] >= 0) {
      expect(tree.start[tree.left[v]]).toBe(tree.start[v]);
      expect(tree.end[tree.left[v]]).toBe(tree.start[tree.right[v]]);
      expect(tree.end[tree.right[v]]).toBe(tree.end[v]);
    }
    for (let i = tree.start[v]; i < tree.end[v]; i++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += (tree.x[i * d + t] - tree.center[v * d + t]) ** 2;
      if (Math.sqrt(s) > tree.radius[v]) outside++;
    }
  }
  expect(outside).toBe(0);
}

describe('k-d tree in leaf order', () => {
  test('structure and bounding spheres on clustered data', () => {
    const { X } = blobs(3000, randomCentres(5, 4, 10, 1), 1, 2);
    checkTree(X.data, X.rows, X.cols, 32);
  });

  test('discrete data with many ties, duplicates only, tiny inputs', () => {
    const rng = createRng(4);
    const ties = createMatrix(1000, 3);
    for (let i = 0; i < ties.data.length; i++) ties.data[i] = rng.int(3);
    checkTree(ties.data, 1000, 3, 16);
    checkTree(new Float64Array(200).fill(7), 100, 2, 8);
    checkTree(Float64Array.from([1, 2, 3]), 3, 1, 32);
    checkTree(Float64Array.from([5]), 1, 1, 1);
    checkTree(Float64Array.from([3, 1, 2, 5, 4]), 5, 1, 1);
  });

  test('neighbouring rows end up in the same leaf: leaves are much tighter than the data', () => {
    const { X } = blobs(4000, randomCentres(4, 3, 10, 3), 1, 4);
    const tree = buildKdTree(X.data, X.rows, X.cols, 32);
    const mean = tree.leaves.reduce((s, v) => s + tree.radius[v], 0) / tree.leaves.length;
    expect(mean).toBeLessThan(tree.radius[0] / 4);
  });

  test('deterministic', () => {
    const { X } = blobs(500, randomCentres(3, 2, 5, 5), 1, 6);
    expect(Array.from(buildKdTree(X.data, 500, 2, 16).perm)).toEqual(Array.from(buildKdTree(X.data, 500, 2, 16).perm));
  });
});
