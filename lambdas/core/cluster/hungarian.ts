/**
 * Optimal assignment (minimum total cost) on a rectangular cost matrix: the Hungarian / Kuhn-Munkres method with
 * row and column potentials and shortest augmenting paths, O(r^2 c) for r <= c (Jonker-Volgenant style; see
 * e.g. Burkard, Dell'Amico & Martello, "Assignment Problems", 4.4).
 *
 * Used to match the segments of two model versions (rows = old centroids, columns = new ones, cost = distance).
 * With more rows than columns the problem is solved on the transpose, and the rows left over get -1.
 * A cost of +Infinity means "forbidden": such a pair is never reported as assigned (the row gets -1).
 */

/** Column assigned to each row (-1 when none), minimising the total cost. */
export function hungarian(cost: ArrayLike<ArrayLike<number>>): number[] {
  const rows = cost.length;
  if (rows === 0) return [];
  const cols = cost[0].length;
  for (let i = 0; i < rows; i++) {
    if (cost[i].length !== cols) throw new Error(`cost matrix is ragged: row ${i} has ${cost[i].length} columns, row 0 has ${cols}`);
  }
  if (cols === 0) return new Array<number>(rows).fill(-1);

  // Forbidden pairs get a cost larger than any assignment of allowed pairs could reach, so they are only used
  // when unavoidable (and then reported as -1).
  let span = 0;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const c = cost[i][j];
      if (Number.isNaN(c) || c === -Infinity) throw new Error(`cost[${i}][${j}] is ${c}: costs must be numbers or +Infinity`);
      if (c !== Infinity) span = Math.max(span, Math.abs(c));
    }
  }
  const forbidden = (span + 1) * (Math.min(rows, cols) + 1) * 2;

  // Work on an r x c matrix with r <= c.
  const transpose = rows > cols;
  const r = transpose ? cols : rows;
  const c = transpose ? rows : cols;
  const a = new Float64Array(r * c);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const v = cost[i][j] === Infinity ? forbidden : cost[i][j];
      if (transpose) a[j * c + i] = v;
      else a[i * c + j] = v;
    }
  }
  const colOfRow = solve(a, r, c);

  const out = new Array<number>(rows).fill(-1);
  for (let i = 0; i < r; i++) {
    const j = colOfRow[i];
    const row = transpose ? j : i;
    const col = transpose ? i : j;
    if (cost[row][col] !== Infinity) out[row] = col;
  }
  return out;
}

/**
 * Shortest-augmenting-path Hungarian method on an r x c row-major matrix with r <= c. Rows are added one at a time;
 * each addition grows a Dijkstra-like tree over the columns with reduced costs a[i][j] - u[i] - v[j] >= 0 until it
 * reaches a free column, then flips the path. Index 0 of p/way is a virtual column holding the row being added.
 */
function solve(a: Float64Array, r: number, c: number): Int32Array {
  const u = new Float64Array(r + 1);
  const v = new Float64Array(c + 1);
  const p = new Int32Array(c + 1); // p[j] = 1-based row matched to column j, 0 if free
  const way = new Int32Array(c + 1);
  const minv = new Float64Array(c + 1);
  const used = new Uint8Array(c + 1);
  for (let i = 1; i <= r; i++) {
    p[0] = i;
    let j0 = 0;
    minv.fill(Infinity);
    used.fill(0);
    do {
      used[j0] = 1;
      const i0 = p[j0];
      const ro = (i0 - 1) * c;
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= c; j++) {
        if (used[j]) continue;
        const cur = a[ro + j - 1] - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (let j = 0; j <= c; j++) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else minv[j] -= delta;
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0 !== 0);
  }
  const colOfRow = new Int32Array(r).fill(-1);
  for (let j = 1; j <= c; j++) if (p[j] > 0) colOfRow[p[j] - 1] = j - 1;
  return colOfRow;
}
