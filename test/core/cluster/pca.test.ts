import { fitPca } from '../../../lambdas/core/cluster/pca';
import { createMatrix, fromRows } from '../../../lambdas/core/util/matrix';
import { createRng } from '../../../lambdas/core/util/random';

describe('fitPca', () => {
  test('points on a line: the first component explains ~100% and is the line direction', () => {
    const rng = createRng(1);
    const dir = [1, 2, -2].map((v) => v / 3); // unit vector
    const X = createMatrix(500, 3);
    for (let i = 0; i < 500; i++) {
      const s = 10 * rng.normal();
      for (let t = 0; t < 3; t++) X.data[i * 3 + t] = 4 + s * dir[t] + 1e-6 * rng.normal();
    }
    const pca = fitPca(X);
    expect(pca.explainedVariance[0]).toBeGreaterThan(1 - 1e-9);
    expect(pca.explainedVariance.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    const c = pca.components[0];
    expect(Math.abs(c[0] * dir[0] + c[1] * dir[1] + c[2] * dir[2])).toBeCloseTo(1, 9);
    // The first coordinate is the signed position along the line (up to the component's sign).
    const xy = pca.project2d(X);
    expect(xy).toHaveLength(1000);
    let mean = 0;
    for (let i = 0; i < 500; i++) mean += xy[2 * i];
    expect(mean / 500).toBeCloseTo(0, 9);
    const along = (i: number) => (X.data[i * 3] - 4) / dir[0];
    let meanAlong = 0;
    for (let i = 0; i < 500; i++) meanAlong += along(i) / 500;
    expect(Math.abs(xy[0])).toBeCloseTo(Math.abs(along(0) - meanAlong), 4);
  });

  test('explained variance ratios as scikit-learn, orthonormal components, centred projection', () => {
    // python: i = np.arange(600)[:, None]; t = np.arange(3)[None, :]
    //         Y = np.sin(i * (t + 1) * 0.37) + 1.5 * ((i % 4) == t); PCA().fit(Y).explained_variance_ratio_
    //         np.abs(PCA().fit_transform(Y)[:3, :2])
    const Y = createMatrix(600, 3);
    for (let i = 0; i < 600; i++) for (let t = 0; t < 3; t++) Y.data[i * 3 + t] = Math.sin(i * (t + 1) * 0.37) + (i % 4 === t ? 1.5 : 0);
    const pca = fitPca(Y);
    expect(pca.explainedVariance).toEqual([0.3843355349307501, 0.3831517545905296, 0.2325127104787203].map((v) => expect.closeTo(v, 12)));
    for (let a = 0; a < 3; a++) {
      for (let b = 0; b < 3; b++) {
        const dot = pca.components[a].reduce((s, v, j) => s + v * pca.components[b][j], 0);
        expect(dot).toBeCloseTo(a === b ? 1 : 0, 12);
      }
    }
    const xy = pca.project2d(Y);
    const expected = [[0.986249316332268, 0.7189416452302709], [0.25102346832181266, 1.3012204495367206], [1.1903882844499387, 0.2694524435249965]];
    for (let i = 0; i < 3; i++) for (let c = 0; c < 2; c++) expect(Math.abs(xy[2 * i + c])).toBeCloseTo(expected[i][c], 10);
  });

  test('a single feature: one component, second coordinate 0', () => {
    const pca = fitPca(fromRows([[1], [2], [6]]));
    expect(pca.explainedVariance).toEqual([1]);
    expect(Array.from(pca.project2d(fromRows([[3]])))).toEqual([expect.closeTo(0, 12), 0]);
  });
});

describe('fitPca on degenerate data', () => {
  test('constant rows: no variance to explain, projections at the origin', () => {
    const pca = fitPca(fromRows([[2, 3], [2, 3], [2, 3]]));
    expect(pca.explainedVariance).toEqual([0, 0]);
    expect(Array.from(pca.project2d(fromRows([[2, 3]])))).toEqual([0, 0].map(() => expect.closeTo(0, 12)));
  });
});
