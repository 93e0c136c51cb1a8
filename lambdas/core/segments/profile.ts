/**
 * Segment profiles: per segment and feature, mean and median against the whole population, and how far the
 * segment's mean sits from the population's in population standard deviations (the z-score the naming
 * rules read). Values that are NaN (no review, nothing delivered) are left out of a segment's statistics.
 */
import { FEATURE_NAMES, FeatureName, SegmentProfileEntry } from '../domain/types';
import { Matrix } from '../util/matrix';
import { selectKth } from '../util/select';

export type Profile = Record<FeatureName, SegmentProfileEntry>;

export interface PopulationStats {
  mean: Float64Array;
  median: Float64Array;
  std: Float64Array;
}

/**
 * Median of the values that are not NaN (NaN when none): the same number as sorting them and taking the middle (the
 * mean of the two middle ones for an even count), found by quickselect in linear time. A full sort per segment and
 * feature was 1.3 s of the 38 s of CPU of `segments run` on the real export (profiled).
 */
export function median(values: Float64Array): number {
  const s = new Float64Array(values.length);
  let n = 0;
  for (let i = 0; i < values.length; i++) if (values[i] === values[i]) s[n++] = values[i];
  if (!n) return NaN;
  const m = n >> 1;
  selectKth(s, 0, n - 1, m);
  let upper = s[m];
  // After the selection everything left of m is <= s[m]: the other middle value is the largest of them.
  let lower = upper;
  if (n % 2 === 0) {
    lower = s[0];
    for (let i = 1; i < m; i++) if (s[i] > lower) lower = s[i];
  }
  if (upper === 0 || lower === 0) {
    // A sort puts -0 before 0; the selection does not tell them apart: give the middle zeros the sort's signs.
    let negative = 0;
    let negativeZeros = 0;
    for (let i = 0; i < n; i++) {
      if (s[i] < 0) negative++;
      else if (s[i] === 0 && 1 / s[i] < 0) negativeZeros++;
    }
    const zeroAt = (rank: number) => (rank - negative < negativeZeros ? -0 : 0);
    if (upper === 0) upper = zeroAt(m);
    if (lower === 0) lower = zeroAt(n % 2 ? m : m - 1);
  }
  return n % 2 ? upper : (lower + upper) / 2;
}

function columnOf(values: Matrix, j: number, rows?: Int32Array): Float64Array {
  const n = rows ? rows.length : values.rows;
  const out = new Float64Array(n);
  for (let r = 0; r < n; r++) out[r] = values.data[(rows ? rows[r] : r) * values.cols + j];
  return out;
}

export function populationStats(values: Matrix): PopulationStats {
  const d = values.cols;
  const stats = { mean: new Float64Array(d), median: new Float64Array(d), std: new Float64Array(d) };
  for (let j = 0; j < d; j++) {
    const col = columnOf(values, j);
    let s = 0;
    for (const v of col) s += v;
    const mean = s / (col.length || 1);
    let ss = 0;
    for (const v of col) ss += (v - mean) ** 2;
    stats.mean[j] = mean;
    stats.std[j] = Math.sqrt(ss / (col.length || 1));
    stats.median[j] = median(col);
  }
  return stats;
}

/** Rows of each segment, from the labels. */
export function membersOf(labels: Int32Array, k: number): Int32Array[] {
  const counts = new Int32Array(k);
  for (const l of labels) counts[l]++;
  const members = Array.from(counts, (c) => new Int32Array(c));
  const fill = new Int32Array(k);
  for (let i = 0; i < labels.length; i++) members[labels[i]][fill[labels[i]]++] = i;
  return members;
}

/** Profiles of every segment; `values` are the raw (imputed) features, FEATURE_NAMES order. */
export function profileSegments(values: Matrix, labels: Int32Array, k: number, pop: PopulationStats = populationStats(values)): Profile[] {
  return membersOf(labels, k).map((rows) => {
    const profile = {} as Profile;
    FEATURE_NAMES.forEach((name, j) => {
      const col = columnOf(values, j, rows);
      // Rule segments have no delivery features and people without a review: means over the known values.
      let s = 0;
      let n = 0;
      for (const v of col) {
        if (Number.isNaN(v)) continue;
        s += v;
        n++;
      }
      const mean = n ? s / n : NaN;
      profile[name] = {
        mean,
        median: median(col),
        populationMean: pop.mean[j],
        populationMedian: pop.median[j],
        zScore: pop.std[j] > 0 ? (mean - pop.mean[j]) / pop.std[j] : 0,
      };
    });
    return profile;
  });
}
