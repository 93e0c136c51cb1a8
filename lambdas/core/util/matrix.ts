/**
 * A dense row-major matrix of float64: the one numeric container of the core.
 * Row i, column j is data[i * cols + j]. Typed arrays keep a million customers x 10 features at 80 MB.
 */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

export function createMatrix(rows: number, cols: number, data?: Float64Array): Matrix {
  const d = data ?? new Float64Array(rows * cols);
  if (d.length !== rows * cols) throw new Error(`matrix data has ${d.length} values, expected ${rows}x${cols}`);
  return { rows, cols, data: d };
}

export function fromRows(rows: ArrayLike<ArrayLike<number>>): Matrix {
  const n = rows.length;
  const d = n ? rows[0].length : 0;
  const m = createMatrix(n, d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) m.data[i * d + j] = rows[i][j];
  return m;
}

export function toRows(m: Matrix): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < m.rows; i++) out.push(Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
  return out;
}

/** The rows of m at the given indices, as a new matrix. */
export function selectRows(m: Matrix, idx: ArrayLike<number>): Matrix {
  const out = createMatrix(idx.length, m.cols);
  for (let r = 0; r < idx.length; r++) out.data.set(m.data.subarray(idx[r] * m.cols, (idx[r] + 1) * m.cols), r * m.cols);
  return out;
}
