import { hungarian } from '../../../lambdas/core/cluster/hungarian';
import { createRng } from '../../../lambdas/core/util/random';

function total(cost: number[][], assignment: number[]): number {
  return assignment.reduce((s, j, i) => s + (j >= 0 ? cost[i][j] : 0), 0);
}

/** Minimum cost over all injective maps of the smaller side into the larger, by enumeration. */
function bruteForce(cost: number[][]): number {
  const rows = cost.length;
  const cols = cost[0].length;
  let best = Infinity;
  const usedCol = new Array(cols).fill(false);
  const usedRow = new Array(rows).fill(false);
  if (rows <= cols) {
    const go = (i: number, acc: number): void => {
      if (i === rows) return void (best = Math.min(best, acc));
      for (let j = 0; j < cols; j++) if (!usedCol[j]) {
        usedCol[j] = true;
        go(i + 1, acc + cost[i][j]);
        usedCol[j] = false;
      }
    };
    go(0, 0);
  } else {
    const go = (j: number, acc: number): void => {
      if (j === cols) return void (best = Math.min(best, acc));
      for (let i = 0; i < rows; i++) if (!usedRow[i]) {
        usedRow[i] = true;
        go(j + 1, acc + cost[i][j]);
        usedRow[i] = false;
      }
    };
    go(0, 0);
  }
  return best;
}

describe('hungarian (optimal assignment)', () => {
  test('hand example', () => {
    // Rows are workers, columns jobs. Row minima 1, 2, 1 all in column 1: greedy fails.
    // Optimal: row 0 -> col 1 (1), row 1 -> col 0 (2), row 2 -> col 2 (3) = 6; any other permutation costs more:
    // (0,1,2) = 4+5+3 = 12, (0,2,1) = 4+7+1 = 12, (1,2,0) = 1+7+3 = 11, (2,0,1) = 8+2+1 = 11, (2,1,0) = 8+5+3 = 16.
    const cost = [
      [4, 1, 8],
      [2, 5, 7],
      [3, 1, 3],
    ];
    expect(hungarian(cost)).toEqual([1, 0, 2]);
  });

  test('rectangular: more columns than rows, and more rows than columns (extra rows get -1)', () => {
    // Both rows are cheapest in column 1 (1); row 1 also has column 2 at 1: 1 + 1 = 2 is optimal.
    expect(hungarian([[5, 1, 9, 2], [6, 1, 1, 7]])).toEqual([1, 2]);
    // Three rows, two columns: rows 0 and 2 want column 0 (costs 1 and 2); row 1 takes column 1 at 3.
    // Options: (0->0, 1->1) = 4, (0->0, 2->1) = 1 + 9 = 10, (2->0, 1->1) = 5, (0->1, 2->0) = 8 + 2 = 10, ... -> 4
    expect(hungarian([[1, 8], [6, 3], [2, 9]])).toEqual([0, 1, -1]);
  });

  test('matches brute force on random square and rectangular matrices', () => {
    const rng = createRng(17);
    for (let trial = 0; trial < 300; trial++) {
      const rows = 1 + rng.int(6);
      const cols = 1 + rng.int(6);
      // Integer costs make ties frequent, which exercises the tie handling.
      const cost = Array.from({ length: rows }, () => Array.from({ length: cols }, () => (trial % 2 ? rng.int(10) : rng.next() * 100 - 50)));
      const assignment = hungarian(cost);
      expect(assignment).toHaveLength(rows);
      const assigned = assignment.filter((j) => j >= 0);
      expect(assigned).toHaveLength(Math.min(rows, cols));
      expect(new Set(assigned).size).toBe(assigned.length);
      expect(total(cost, assignment)).toBeCloseTo(bruteForce(cost), 9);
    }
  });

  test('forbidden pairs (+Infinity) are avoided, and reported as -1 when unavoidable', () => {
    expect(hungarian([[Infinity, 1], [1, Infinity]])).toEqual([1, 0]);
    expect(hungarian([[Infinity, Infinity], [1, 2]])).toEqual([-1, 0]);
  });

  test('degenerate and invalid input', () => {
    expect(hungarian([])).toEqual([]);
    expect(hungarian([[], []])).toEqual([-1, -1]);
    expect(hungarian([[7]])).toEqual([0]);
    expect(() => hungarian([[1, 2], [3]])).toThrow(/ragged/);
    expect(() => hungarian([[NaN]])).toThrow(/costs must be numbers/);
  });
});
