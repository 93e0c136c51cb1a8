/**
 * Why each person is in their segment, in the model's own space (the one k-means placed them in):
 *
 * - runner-up: the segment of the second-nearest centroid (the nearest other than their own);
 * - margin = 1 - d(own centroid) / d(runner-up centroid), Euclidean distances in model coordinates, in [0, 1]:
 *   0 = as close to the runner-up as to their own segment (halfway), 1 = on their own centroid. Relative, so it reads
 *   the same in dense and sparse regions: 0.1 says the runner-up's centroid is only 11% further away than their own.
 *   (A label that is not the nearest centroid, possible when k-means stopped before converging, gets 0.)
 * - reasons: the features whose model coordinate sits furthest from the clustered population's mean coordinate
 *   (coordinates carry the feature weights, so a feature weighted 0 never is one): the strongest two, and a third when
 *   it is at least half as strong as the second; a feature closer than REASON_MIN_DEVIATION to the mean is never one
 *   (a customer typical on everything has none). Readers word them with the person's own value and the population's
 *   median (explainText.ts).
 * - people in rule segments were placed by rule, not by distance: their reason is their service group, runner-up and
 *   margin are null, and promiseDays says how far past (or before) the promised delivery date their order is.
 *
 * Everyone's "why" comes from one pass over the feature rows (explainPeople), shared by the stored assignments, the
 * campaign lists and the summary's per-segment borderline counts.
 */
import { SERVICE_GROUPS, type FeatureTable } from '../features/customerFeatures';
import { toCoordinate } from '../features/transforms';
import { clusterSegments } from './assign';
import { BORDERLINE_MARGIN, MARGIN_DECIMALS, MARGIN_RULE } from './margin';
import { FEATURE_NAMES, type AssignmentWhy, type ReasonCode, type SegmentModel } from '../domain/types';

export { BORDERLINE_MARGIN, MARGIN_DECIMALS, MARGIN_RULE } from './margin';

/** Module-scope aliases for the per-row loop (global lookups are slow in sandboxes such as Jest's vm). */
const { sqrt, abs, round } = Math;

/** A feature whose coordinate is closer than this to the population's mean is never a reason (5% of a unit weight). */
export const REASON_MIN_DEVIATION = 0.05;
/** The third reason is given only when it deviates at least this share of the second. */
export const THIRD_REASON_SHARE = 0.5;
const MARGIN_SCALE = 10 ** MARGIN_DECIMALS;

/** The why of every person of a feature table (typed arrays, clustered rows then uncounted rows as in the table). */
export interface PeopleWhy {
  /** Per clustered row: runner-up segment id. */
  runnerUp: Int32Array;
  /** Per clustered row: margin, rounded to MARGIN_DECIMALS. */
  margin: Float64Array;
  /** Per clustered row, 3 slots: feature indices of the reasons, strongest first, -1 = none. */
  reasons: Int8Array;
}

/** The clustered customers' mean model coordinate per feature (stored at training, or the size-weighted centroids). */
export function populationMeanCoordinates(model: SegmentModel): Float64Array {
  if (model.populationMeanCoordinates?.length === FEATURE_NAMES.length) return Float64Array.from(model.populationMeanCoordinates);
  const clusters = clusterSegments(model);
  const out = new Float64Array(FEATURE_NAMES.length);
  let total = 0;
  clusters.forEach((s, c) => {
    total += s.size;
    for (let j = 0; j < out.length; j++) out[j] += s.size * model.centroids[c][j];
  });
  for (let j = 0; j < out.length; j++) out[j] /= total || 1;
  return out;
}

/** Column means of model coordinates (what training stores as populationMeanCoordinates). */
export function meanCoordinates(X: { rows: number; cols: number; data: Float64Array }): number[] {
  const out = new Float64Array(X.cols);
  for (let i = 0; i < X.rows; i++) for (let j = 0; j < X.cols; j++) out[j] += X.data[i * X.cols + j];
  return Array.from(out, (s) => s / (X.rows || 1));
}

/**
 * The why of every clustered customer in one pass: model coordinates from the raw features with the model's own
 * imputation and transforms (nothing refitted), distances to every centroid, deviations from the population's mean.
 */
export function explainPeople(model: SegmentModel, features: Pick<FeatureTable, 'values'>, labels: Int32Array): PeopleWhy {
  const d = FEATURE_NAMES.length;
  const k = model.k;
  const n = features.values.rows;
  const centroids = Float64Array.from(model.centroids.flat());
  const rowOf = new Map(clusterSegments(model).map((s, c) => [s.id, c]));
  const segmentIds = Int32Array.from(clusterSegments(model), (s) => s.id);
  const mean = populationMeanCoordinates(model);
  const transforms = model.features;
  const ri = FEATURE_NAMES.indexOf('reviewScore');
  const li = FEATURE_NAMES.indexOf('lateShare');
  const { onTime, late } = model.reviewImputation;
  const out: PeopleWhy = { runnerUp: new Int32Array(n), margin: new Float64Array(n), reasons: new Int8Array(3 * n).fill(-1) };
  const z = new Float64Array(d);
  const dev = new Float64Array(d);
  const data = features.values.data;
  for (let i = 0; i < n; i++) {
    const at = i * d;
    for (let j = 0; j < d; j++) {
      let raw = data[at + j];
      if (j === ri && raw !== raw) raw = data[at + li] > 0 ? late : onTime;
      z[j] = toCoordinate(raw, transforms[j]);
      dev[j] = abs(z[j] - mean[j]);
    }
    const own = rowOf.get(labels[i]);
    if (own === undefined) throw new Error(`row ${i}: segment ${labels[i]} is not a cluster of model ${model.version}`);
    let dOwn = 0;
    let best = Infinity;
    let runner = -1;
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < d; j++) {
        const diff = z[j] - centroids[c * d + j];
        s += diff * diff;
      }
      if (c === own) dOwn = s;
      else if (s < best) {
        best = s;
        runner = c;
      }
    }
    out.runnerUp[i] = runner < 0 ? -1 : segmentIds[runner];
    out.margin[i] = runner < 0 ? 1 : marginOf(sqrt(dOwn), sqrt(best));
    topReasons(dev, out.reasons, 3 * i);
  }
  return out;
}

/** 1 - dOwn / dRunnerUp in [0, 1] at MARGIN_DECIMALS (0 when the runner-up is as near or nearer). */
export function marginOf(dOwn: number, dRunnerUp: number): number {
  if (!(dRunnerUp > 0)) return 0;
  const m = 1 - dOwn / dRunnerUp;
  return m <= 0 ? 0 : round(m * MARGIN_SCALE) / MARGIN_SCALE;
}

/** The reasons rule (header) on one row's deviations, written as feature indices into out[at..at+2]. */
function topReasons(dev: Float64Array, out: Int8Array, at: number): void {
  let a = -1;
  let b = -1;
  let c = -1;
  for (let j = 0; j < dev.length; j++) {
    const v = dev[j];
    if (!(v >= REASON_MIN_DEVIATION)) continue;
    if (a < 0 || v > dev[a]) {
      c = b;
      b = a;
      a = j;
    } else if (b < 0 || v > dev[b]) {
      c = b;
      b = j;
    } else if (c < 0 || v > dev[c]) c = j;
  }
  out[at] = a;
  out[at + 1] = b;
  out[at + 2] = c >= 0 && dev[c] >= THIRD_REASON_SHARE * dev[b] ? c : -1;
}

/** One clustered customer's why, from the pass's arrays. */
export function clusterWhy(why: PeopleWhy, row: number): AssignmentWhy {
  const reasons: ReasonCode[] = [];
  for (let s = 0; s < 3; s++) {
    const j = why.reasons[3 * row + s];
    if (j >= 0) reasons.push(FEATURE_NAMES[j]);
  }
  const runnerUp = why.runnerUp[row];
  return { reasons, runnerUp: runnerUp < 0 ? null : runnerUp, margin: runnerUp < 0 ? null : why.margin[row] };
}

/** A rule segment's person: their service group is the reason; days past the promise when known. */
export function ruleWhy(group: number, promiseDays: number | undefined): AssignmentWhy {
  const out: AssignmentWhy = { reasons: [SERVICE_GROUPS[group]], runnerUp: null, margin: null };
  if (promiseDays !== undefined && Number.isFinite(promiseDays)) out.promiseDays = round(promiseDays * 10) / 10;
  return out;
}

/** Per cluster segment: members below BORDERLINE_MARGIN, and how many of them have each runner-up. */
export interface BorderlineSummary {
  threshold: number;
  /** What the margin is, in one sentence (for pages and files). */
  rule: string;
  segments: { id: number; borderline: number; runnerUps: Record<string, number> }[];
}

/** The sum of partitions' borderline summaries (the distributed path counts them where the assignments are written). */
export function mergeBorderline(parts: readonly BorderlineSummary[]): BorderlineSummary | undefined {
  if (!parts.length) return undefined;
  const byId = new Map<number, { id: number; borderline: number; runnerUps: Record<string, number> }>();
  for (const part of parts) {
    for (const s of part.segments) {
      const into = byId.get(s.id) ?? byId.set(s.id, { id: s.id, borderline: 0, runnerUps: {} }).get(s.id)!;
      into.borderline += s.borderline;
      for (const [r, n] of Object.entries(s.runnerUps)) into.runnerUps[r] = (into.runnerUps[r] ?? 0) + n;
    }
  }
  return { threshold: parts[0].threshold, rule: parts[0].rule, segments: [...byId.values()] };
}

export function borderlineSummary(model: SegmentModel, why: PeopleWhy, labels: Int32Array): BorderlineSummary {
  const segments = clusterSegments(model).map((s) => ({ id: s.id, borderline: 0, runnerUps: {} as Record<string, number> }));
  const at = new Map(segments.map((s, i) => [s.id, i]));
  for (let i = 0; i < labels.length; i++) {
    if (!(why.margin[i] < BORDERLINE_MARGIN)) continue;
    const s = segments[at.get(labels[i])!];
    s.borderline++;
    s.runnerUps[why.runnerUp[i]] = (s.runnerUps[why.runnerUp[i]] ?? 0) + 1;
  }
  return { threshold: BORDERLINE_MARGIN, rule: MARGIN_RULE, segments };
}
