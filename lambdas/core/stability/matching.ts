/**
 * Stable segment identities across model versions, and who moved between segments.
 *
 * When a model is retrained, k-means numbers its clusters arbitrarily. `matchSegments` pairs each new segment
 * with a previous one by an optimal assignment (Hungarian algorithm) on the distances between centroids, so
 * that a segment that is the same group of customers keeps its id. Names are not carried over: a name must be
 * true of the members it names (segments/traits.ts), so each version names its segments from its own members; the
 * same group keeps the same traits and therefore, in practice, the same name.
 *
 * The two models scaled their features over different fitted ranges (each on its own data), so their centroids are
 * not in the same space. Both sets are mapped back to raw feature values (the inverse of the range scaling, then
 * expm1 where the model took log1p) and scaled again with the NEW model's transforms: distances are then measured
 * in the one space in which the new model clusters. A matched pair further apart than `maxDistance` (Euclidean, in
 * the new model's space) is not the same group: the new segment gets a fresh id (above every id used so far,
 * below the rule segments' ids). Only the clusters are matched: rule segments
 * (segments/ruleSegments.ts) have fixed ids and names.
 */
import { hungarian } from '../cluster/hungarian';
import { clusterSegments } from '../model/assign';
import { CustomerAssignment, FeatureTransform, SegmentModel } from '../domain/types';
import { fromCoordinate, toCoordinate } from '../features/transforms';
import { RULE_SEGMENT_ID_BASE, isRuleSegmentId } from '../segments/ruleSegments';

/**
 * Default distance (Euclidean in the new model's space, where each feature spans at most its weight) beyond which
 * a match is refused. Measured on the Olist export (k chosen by the rule each time): the same segments refitted
 * 2 weeks apart lie at most 0.03 apart, 2 months apart at most 0.29 (0.14 but for a segment that split in two);
 * two different segments lie at least 0.42 apart at 2 weeks, 0.22 at 6 months (when recency reshuffles the groups).
 */
export const DEFAULT_MAX_MATCH_DISTANCE = 0.3;

export interface SegmentMatch {
  /** Row of the segment in the new model (its centroid row). */
  row: number;
  /** Id the fresh fit gave it, and the id it carries from now on. */
  freshId: number;
  id: number;
  /** Its name (from its own members' traits, never carried over). */
  name: string;
  /** The previous segment it continues, when matched within maxDistance. */
  previousId?: number;
  previousName?: string;
  /** Distance to the matched previous centroid (or to the nearest one when unmatched), in new-model std units. */
  distance: number;
  status: 'kept' | 'new';
}

export interface MatchResult {
  /** The new model with ids carried over (a copy; the input is not modified). */
  model: SegmentModel;
  /** Fresh id -> stable id, to relabel labels computed with the unrenamed new model. */
  idMap: Map<number, number>;
  matches: SegmentMatch[];
  /** Previous segment ids that no new segment continues. */
  retired: { id: number; name: string }[];
  /** Centroid distances, previous rows x new rows, in new-model standard units. */
  distances: number[][];
  maxDistance: number;
}

/** Raw feature values of a model's centroids (the inverse of the range scaling and log1p). */
export function centroidsToRaw(model: Pick<SegmentModel, 'centroids' | 'features'>): number[][] {
  return model.centroids.map((c) => c.map((z, j) => fromCoordinate(z, model.features[j])));
}

/** Raw values in the space of the given transforms (same rules as applyTransforms). */
export function rawToSpace(raw: number[][], transforms: readonly FeatureTransform[]): number[][] {
  return raw.map((r) => r.map((v, j) => toCoordinate(v, transforms[j])));
}

function distance(a: number[], b: number[]): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += (a[j] - b[j]) ** 2;
  return Math.sqrt(s);
}

export interface MatchOptions {
  /** Distance beyond which a matched pair is not the same group (default DEFAULT_MAX_MATCH_DISTANCE). */
  maxDistance?: number;
  /** Ids used by any earlier version (e.g. retired ones, kept by the store), never handed out again. */
  reservedIds?: readonly number[];
}

export function matchSegments(previous: SegmentModel, next: SegmentModel, opts: MatchOptions = {}): MatchResult {
  const maxDistance = opts.maxDistance ?? DEFAULT_MAX_MATCH_DISTANCE;
  if (previous.features.map((f) => f.name).join() !== next.features.map((f) => f.name).join()) throw new Error('the two models use different features: segments cannot be matched');
  const space = next.features;
  const prevClusters = clusterSegments(previous);
  const nextClusters = clusterSegments(next);
  const prev = rawToSpace(centroidsToRaw(previous), space);
  const cur = rawToSpace(centroidsToRaw(next), space);
  const distances = prev.map((p) => cur.map((c) => distance(p, c)));

  // Optimal assignment on the rectangular distance matrix (rows left over when k differs get -1).
  const assignment = hungarian(distances);
  const prevOfNew = new Array<number>(cur.length).fill(-1);
  for (let i = 0; i < prev.length; i++) {
    const j = assignment[i];
    if (j !== undefined && j >= 0 && j < cur.length && distances[i][j] <= maxDistance) prevOfNew[j] = i;
  }

  const used = [...prevClusters.map((s) => s.id), ...(opts.reservedIds ?? [])].filter((id) => !isRuleSegmentId(id));
  let nextFresh = Math.max(-1, ...used) + 1;
  const matches: SegmentMatch[] = cur.map((_, j) => {
    const seg = nextClusters[j];
    const i = prevOfNew[j];
    if (i >= 0) {
      const p = prevClusters[i];
      return { row: j, freshId: seg.id, id: p.id, name: seg.name, previousId: p.id, previousName: p.name, distance: distances[i][j], status: 'kept' };
    }
    const nearest = prev.length ? Math.min(...distances.map((r) => r[j])) : Infinity;
    if (nextFresh >= RULE_SEGMENT_ID_BASE) throw new Error(`no cluster id left below ${RULE_SEGMENT_ID_BASE} (the rule segments' ids)`);
    return { row: j, freshId: seg.id, id: nextFresh++, name: seg.name, distance: nearest, status: 'new' };
  });

  const keptPrev = new Set(matches.filter((m) => m.status === 'kept').map((m) => m.previousId));
  const retired = prevClusters.filter((s) => !keptPrev.has(s.id)).map((s) => ({ id: s.id, name: s.name }));
  const model: SegmentModel = {
    ...next,
    segments: [...nextClusters.map((s, j) => ({ ...s, id: matches[j].id })), ...next.segments.filter((s) => s.kind !== 'cluster')],
  };
  const idMap = new Map(matches.map((m) => [m.freshId, m.id]));
  for (const s of next.segments) if (s.kind !== 'cluster') idMap.set(s.id, s.id);
  return { model, idMap, matches, retired, distances, maxDistance };
}

/** Labels (segment ids) of a fresh model rewritten with the stable ids of a match. */
export function relabel(labels: ArrayLike<number>, idMap: Map<number, number>): Int32Array {
  return Int32Array.from(labels, (l) => {
    const id = idMap.get(l);
    if (id === undefined) throw new Error(`segment id ${l} is not in the mapping`);
    return id;
  });
}

export interface TransitionMatrix {
  /** Row labels: previous segment ids (sorted). */
  fromIds: number[];
  /** Column labels: new segment ids (sorted). */
  toIds: number[];
  /** counts[i][j]: customers in previous segment fromIds[i] now in new segment toIds[j]. */
  counts: number[][];
  /** Customers without a previous segment (new since the previous model), per new segment id. */
  entered: Record<number, number>;
  /** Customers of the previous assignment absent from the new one, per previous segment id. */
  left: Record<number, number>;
  stayed: number;
  moved: number;
}

/** How many customers moved from which segment to which (ids are the stable ids of both versions). */
export function transitionMatrix(previous: ReadonlyMap<string, number>, next: ReadonlyMap<string, number>): TransitionMatrix {
  const fromSet = new Set<number>();
  const toSet = new Set<number>(next.values());
  for (const v of previous.values()) fromSet.add(v);
  const fromIds = [...fromSet].sort((a, b) => a - b);
  const toIds = [...toSet].sort((a, b) => a - b);
  const fi = new Map(fromIds.map((id, i) => [id, i]));
  const ti = new Map(toIds.map((id, j) => [id, j]));
  const counts = fromIds.map(() => new Array<number>(toIds.length).fill(0));
  const entered: Record<number, number> = {};
  const left: Record<number, number> = {};
  let stayed = 0;
  let moved = 0;
  for (const [customer, to] of next) {
    const from = previous.get(customer);
    if (from === undefined) {
      entered[to] = (entered[to] ?? 0) + 1;
      continue;
    }
    counts[fi.get(from)!][ti.get(to)!]++;
    if (from === to) stayed++;
    else moved++;
  }
  for (const [customer, from] of previous) if (!next.has(customer)) left[from] = (left[from] ?? 0) + 1;
  return { fromIds, toIds, counts, entered, left, stayed, moved };
}

/** The assignments with each customer's previous segment recorded (undefined for new customers). */
export function withPreviousSegment(assignments: readonly CustomerAssignment[], previous: ReadonlyMap<string, number>): CustomerAssignment[] {
  return assignments.map((a) => ({ ...a, previousSegmentId: previous.get(a.customerId) }));
}

/** Customers who moved into `to` (from any other segment, or from `from` when given): e.g. those who just became "at risk". */
export function movers(previous: ReadonlyMap<string, number>, next: ReadonlyMap<string, number>, filter: { to?: number; from?: number } = {}): string[] {
  const out: string[] = [];
  for (const [customer, to] of next) {
    const from = previous.get(customer);
    if (from === undefined || from === to) continue;
    if (filter.to !== undefined && to !== filter.to) continue;
    if (filter.from !== undefined && from !== filter.from) continue;
    out.push(customer);
  }
  return out;
}
