/**
 * The silhouette's inner loop (silhouette.ts): sums of pairwise distances over tiles of rows, and the tile runner
 * that the main thread and the worker threads (kmeansWorker.ts) share, so that a tile's sums are the same whichever
 * thread computes them.
 */
import { compile, shouldGenerate, sumOfSquares, unroll } from './codegen';

/**
 * One tile of the pairwise distance sums over the rows of `x`: for rows i in [i0, i1) and j in [j0, j1) (j > i only
 * when `diagonal`), rowAcc[i - i0] += sum_j |x_i - x_j| and colAcc[j - j0] += sum_i |x_i - x_j|.
 */
export type TileKernel = (i0: number, i1: number, j0: number, j1: number, diagonal: boolean) => void;

function genericTile(d: number, x: Float64Array, rowAcc: Float64Array, colAcc: Float64Array): TileKernel {
  return (i0, i1, j0, j1, diagonal) => {
    for (let i = i0; i < i1; i++) {
      const xo = i * d;
      let acc = 0;
      for (let j = diagonal ? i + 1 : j0; j < j1; j++) {
        const yo = j * d;
        let s = 0;
        for (let t = 0; t < d; t++) {
          const e = x[xo + t] - x[yo + t];
          s += e * e;
        }
        const dist = Math.sqrt(s);
        acc += dist;
        colAcc[j - j0] += dist;
      }
      rowAcc[i - i0] += acc;
    }
  };
}

/**
 * Same sums, generated for d features: four rows i at a time share every load of a row j (the loads, with their
 * bounds checks, cost more than the arithmetic), their coordinates held in locals, and the arrays bound in a fresh
 * closure (see kernels.ts). Rows left over and the small triangles of diagonal tiles go one at a time. The sums
 * are accumulated in a different order than the generic loop, so results agree to rounding, not bit for bit.
 */
function generatedTile(d: number, x: Float64Array, rowAcc: Float64Array, colAcc: Float64Array): TileKernel {
  const rowVars = (r: number) => unroll(d, (t) => `const x${r}_${t} = x[(o${r} + ${t}) | 0];`);
  const factory = compile<(x: Float64Array, rowAcc: Float64Array, colAcc: Float64Array) => TileKernel>(
    ['x', 'rowAcc', 'colAcc'],
    `
    function one(i, jStart, j1, j0) {
      const o0 = i * ${d};
      ${rowVars(0)}
      let acc = 0;
      for (let j = jStart, yo = jStart * ${d}; j < j1; j++, yo = (yo + ${d}) | 0) {
        ${unroll(d, (t) => `const e${t} = x0_${t} - x[(yo + ${t}) | 0];`)}
        const dist = Math.sqrt(${sumOfSquares(d)});
        acc += dist;
        colAcc[(j - j0) | 0] += dist;
      }
      return acc;
    }
    return function tile(i0, i1, j0, j1, diagonal) {
      let i = i0;
      for (; i + 4 <= i1; i += 4) {
        const o0 = i * ${d}, o1 = (o0 + ${d}) | 0, o2 = (o1 + ${d}) | 0, o3 = (o2 + ${d}) | 0;
        ${rowVars(0)}
        ${rowVars(1)}
        ${rowVars(2)}
        ${rowVars(3)}
        let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        const jStart = diagonal ? i + 4 : j0;
        for (let j = jStart, yo = jStart * ${d}; j < j1; j++, yo = (yo + ${d}) | 0) {
          ${unroll(d, (t) => `const y${t} = x[(yo + ${t}) | 0];`)}
          let s0 = 0, s1 = 0, s2 = 0, s3 = 0, e = 0;
          ${unroll(d, (t) => `e = x0_${t} - y${t}; s0 += e * e; e = x1_${t} - y${t}; s1 += e * e; e = x2_${t} - y${t}; s2 += e * e; e = x3_${t} - y${t}; s3 += e * e;`)}
          const d0 = Math.sqrt(s0), d1 = Math.sqrt(s1), d2 = Math.sqrt(s2), d3 = Math.sqrt(s3);
          a0 += d0;
          a1 += d1;
          a2 += d2;
          a3 += d3;
          colAcc[(j - j0) | 0] += d0 + d1 + d2 + d3;
        }
        if (diagonal) {
          // Pairs inside the group of four (j = i + 1 .. i + 3), one row at a time.
          a0 += one(i, i + 1, i + 4, j0);
          a1 += one(i + 1, i + 2, i + 4, j0);
          a2 += one(i + 2, i + 3, i + 4, j0);
        }
        rowAcc[(i - i0) | 0] += a0;
        rowAcc[(i + 1 - i0) | 0] += a1;
        rowAcc[(i + 2 - i0) | 0] += a2;
        rowAcc[(i + 3 - i0) | 0] += a3;
      }
      for (; i < i1; i++) rowAcc[(i - i0) | 0] += one(i, diagonal ? i + 1 : j0, j1, j0);
    };`,
  );
  return factory(x, rowAcc, colAcc);
}

export function tileKernel(d: number, x: Float64Array, rowAcc: Float64Array, colAcc: Float64Array): TileKernel {
  if (shouldGenerate(d)) {
    try {
      return generatedTile(d, x, rowAcc, colAcc);
    } catch {
      // code generation from strings disabled: fall through
    }
  }
  return genericTile(d, x, rowAcc, colAcc);
}

/** Rows per tile: two tiles of 9 features (2 x 256 x 72 bytes) plus accumulators stay in L1/L2. */
export const TILE = 256;

/**
 * Tiles of one silhouette batch, 7 ints each: i0, i1, j0, j1, diagonal (1/0), and the clusters ca, cb of the rows
 * and of the columns (for the reduction). A tile's sums go to its own slot of `out`: TILE row sums, then TILE
 * column sums.
 */
export const TILE_FIELDS = 7;

export interface TileWork {
  /** The sampled rows sorted by cluster, m x d (shared with the workers). */
  x: Float64Array;
  d: number;
  tiles: Int32Array;
  /** Next tile to claim (Atomics.add), shared by every thread of the batch. */
  next: Int32Array;
  /** Per tile: 1 once its sums are in `out` (the main thread redoes tiles a failed worker left). */
  done: Int32Array;
  out: Float64Array;
}

/** Claims and computes tiles until none is left; `kernel` is tileKernel(d, x, rowAcc, colAcc) on scratch rows. */
export function runTiles(work: TileWork, kernel: TileKernel, rowAcc: Float64Array, colAcc: Float64Array): void {
  const count = work.tiles.length / TILE_FIELDS;
  for (;;) {
    const t = Atomics.add(work.next, 0, 1);
    if (t >= count) return;
    computeTile(work, t, kernel, rowAcc, colAcc);
  }
}

export function computeTile(work: TileWork, t: number, kernel: TileKernel, rowAcc: Float64Array, colAcc: Float64Array): void {
  const o = t * TILE_FIELDS;
  const { tiles } = work;
  rowAcc.fill(0);
  colAcc.fill(0);
  kernel(tiles[o], tiles[o + 1], tiles[o + 2], tiles[o + 3], tiles[o + 4] === 1);
  work.out.set(rowAcc, t * 2 * TILE);
  work.out.set(colAcc, t * 2 * TILE + TILE);
  Atomics.store(work.done, t, 1);
}

/** A tile kernel with its scratch rows, for the rows of `x` (built once per batch series). */
export function tileRunner(d: number, x: Float64Array): { kernel: TileKernel; rowAcc: Float64Array; colAcc: Float64Array } {
  const rowAcc = new Float64Array(TILE);
  const colAcc = new Float64Array(TILE);
  return { kernel: tileKernel(d, x, rowAcc, colAcc), rowAcc, colAcc };
}
