/**
 * Principal components (ml-pca) of the model coordinates: how much variance each axis explains, and 2-D
 * coordinates of every customer for the segment map. The covariance method keeps it O(n d^2) with a
 * d x d eigen-decomposition, instead of an SVD of the n x d matrix.
 */
import { PCA } from 'ml-pca';
import { Matrix as MlMatrix } from 'ml-matrix';
import { Matrix } from '../util/matrix';

export interface PcaFit {
  /** Share of the total variance explained by each component, largest first. */
  explainedVariance: number[];
  /** Component loadings: components[c][j] is feature j's weight in component c. */
  components: number[][];
  /** Column means the components are centred on (with `components`, what projects new rows: projectOnto). */
  mean: number[];
  /** First two principal coordinates of each row, interleaved (x0, y0, x1, y1, ...). */
  project2d(X: Matrix): Float64Array;
}

export function fitPca(X: Matrix): PcaFit {
  const { rows, cols, data } = X;
  // Covariance matrix computed here in one pass over the typed array (ml-pca then eigen-decomposes it).
  const mean = new Float64Array(cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) mean[j] += data[i * cols + j];
  for (let j = 0; j < cols; j++) mean[j] /= rows;
  const cov = new Float64Array(cols * cols);
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    for (let a = 0; a < cols; a++) {
      const da = data[o + a] - mean[a];
      for (let b = a; b < cols; b++) cov[a * cols + b] += da * (data[o + b] - mean[b]);
    }
  }
  const covRows: number[][] = [];
  for (let a = 0; a < cols; a++) {
    covRows.push([]);
    for (let b = 0; b < cols; b++) covRows[a].push((a <= b ? cov[a * cols + b] : cov[b * cols + a]) / Math.max(1, rows - 1));
  }
  const pca = new PCA(new MlMatrix(covRows), { isCovarianceMatrix: true, center: false });
  const loadings = pca.getLoadings().to2DArray();
  // Constant data (or a single row) has no variance to explain: report zeros rather than 0/0.
  const explained = pca.getExplainedVariance().map((v) => (Number.isFinite(v) ? v : 0));
  return {
    explainedVariance: explained,
    components: loadings,
    mean: Array.from(mean),
    project2d: (Y: Matrix) => project2dOnto(Y, { mean: Array.from(mean), components: loadings }),
  };
}

/** The first two principal coordinates of rows, from a stored fit (the distributed path fits on its sample). */
export function project2dOnto(Y: Matrix, fit: Pick<PcaFit, 'mean' | 'components'>): Float64Array {
  const { cols } = Y;
  const { mean, components } = fit;
  const out = new Float64Array(Y.rows * 2);
  for (let i = 0; i < Y.rows; i++) {
    for (let c = 0; c < 2 && c < components.length; c++) {
      let s = 0;
      for (let j = 0; j < cols; j++) s += (Y.data[i * cols + j] - mean[j]) * components[c][j];
      out[2 * i + c] = s;
    }
  }
  return out;
}
