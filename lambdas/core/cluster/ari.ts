/**
 * Adjusted Rand index between two partitions of the same items, through their contingency table
 * (Hubert & Arabie 1985), in the pair-counting form scikit-learn uses, which also covers the degenerate cases.
 * Labels may be any non-negative integers, not necessarily contiguous (k-means labels, segment ids, ...).
 */

// Module-scope aliases of globals used per element: under a vm context (Jest's sandbox) every global lookup in a
// loop goes through the context's interceptors (10-80x slower); a module binding is resolved once.
const { isSafeInteger } = Number;

export interface ContingencyTable {
  /** Distinct labels of a and of b, in increasing order: row r of the table is label rowLabels[r] of a. */
  rowLabels: Float64Array;
  colLabels: Float64Array;
  /** rows x cols counts, row-major. */
  counts: Float64Array;
  rows: number;
  cols: number;
  /** Row and column sums (cluster sizes in a and b). */
  rowSums: Float64Array;
  colSums: Float64Array;
  n: number;
}

/** A partition's labels as codes 0..m-1 in increasing label order, and the distinct labels. */
interface Encoded {
  codes: Int32Array;
  values: Float64Array;
}

/** Maps labels to 0..m-1 in increasing label order; returns the codes and the distinct labels. */
function encode(labels: ArrayLike<number>): Encoded {
  const n = labels.length;
  let max = -1;
  for (let i = 0; i < n; i++) {
    const v = labels[i];
    if (!isSafeInteger(v) || v < 0) throw new Error(`labels must be non-negative integers, got ${v} at ${i}`);
    if (v > max) max = v;
  }
  const codes = new Int32Array(n);
  // Dense lookup when the label range is small (the usual case), a Map otherwise (e.g. ids in the millions).
  if (max < 4 * n + 1024) {
    const seen = new Int32Array(max + 1).fill(-1);
    for (let i = 0; i < n; i++) seen[labels[i]] = 1;
    let m = 0;
    for (let v = 0; v <= max; v++) if (seen[v] >= 0) seen[v] = m++;
    const values = new Float64Array(m);
    for (let v = 0; v <= max; v++) if (seen[v] >= 0) values[seen[v]] = v;
    for (let i = 0; i < n; i++) codes[i] = seen[labels[i]];
    return { codes, values };
  }
  const distinct = Array.from(new Set(Array.from({ length: n }, (_, i) => labels[i]))).sort((a, b) => a - b);
  const index = new Map<number, number>();
  distinct.forEach((v, j) => index.set(v, j));
  for (let i = 0; i < n; i++) codes[i] = index.get(labels[i])!;
  return { codes, values: Float64Array.from(distinct) };
}

export function contingencyTable(a: ArrayLike<number>, b: ArrayLike<number>): ContingencyTable {
  if (a.length !== b.length) throw new Error(`partitions of different sizes: ${a.length} and ${b.length}`);
  return tableOfCodes(encode(a), encode(b));
}

function tableOfCodes(ea: Encoded, eb: Encoded): ContingencyTable {
  const rows = ea.values.length;
  const cols = eb.values.length;
  const n = ea.codes.length;
  const counts = new Float64Array(rows * cols);
  const rowSums = new Float64Array(rows);
  const colSums = new Float64Array(cols);
  for (let i = 0; i < n; i++) {
    const r = ea.codes[i];
    const c = eb.codes[i];
    counts[r * cols + c]++;
    rowSums[r]++;
    colSums[c]++;
  }
  return { rowLabels: ea.values, colLabels: eb.values, counts, rows, cols, rowSums, colSums, n };
}

/**
 * Adjusted Rand index: 1 for identical partitions (up to relabelling), about 0 for independent ones, negative when
 * worse than chance. Symmetric. Two single-cluster or two all-singleton partitions are identical: 1.
 */
export function adjustedRandIndex(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return ariOfTable(contingencyTable(a, b));
}

/**
 * The adjusted Rand index of every pair of the partitions, in the order (0,1), (0,2), ..., (1,2), ...: the same
 * numbers as adjustedRandIndex pair by pair, with each partition's labels encoded once instead of once per pair
 * (initialisation stability compares 10 partitions of every customer: 45 pairs).
 */
export function pairwiseAdjustedRandIndex(partitions: ArrayLike<number>[]): number[] {
  const n = partitions.length ? partitions[0].length : 0;
  for (const p of partitions) if (p.length !== n) throw new Error(`partitions of different sizes: ${n} and ${p.length}`);
  const encoded = partitions.map(encode);
  const out: number[] = [];
  for (let i = 0; i < encoded.length; i++) for (let j = i + 1; j < encoded.length; j++) out.push(ariOfTable(tableOfCodes(encoded[i], encoded[j])));
  return out;
}

function ariOfTable(t: ContingencyTable): number {
  const n = t.n;
  // Pair counts (each unordered pair counted twice, as in sklearn's pair_confusion_matrix; the factor cancels).
  let sumSquares = 0;
  for (let i = 0; i < t.counts.length; i++) sumSquares += t.counts[i] * t.counts[i];
  let rowSq = 0;
  for (let r = 0; r < t.rows; r++) rowSq += t.rowSums[r] * t.rowSums[r];
  let colSq = 0;
  for (let c = 0; c < t.cols; c++) colSq += t.colSums[c] * t.colSums[c];
  const tp = sumSquares - n; // pairs together in both
  const fp = colSq - sumSquares; // together in b only
  const fn = rowSq - sumSquares; // together in a only
  const tn = n * n - fp - fn - sumSquares; // apart in both
  if (fn === 0 && fp === 0) return 1;
  return (2 * (tp * tn - fn * fp)) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn));
}
