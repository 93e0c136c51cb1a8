/**
 * Stable segment identities across model versions, and who moved between segments.
 *
 * When a model is retrained, k-means numbers its clusters arbitrarily. `matchSegments` pairs each new segment
 * with a previous one by an optimal assignment (Hungarian algorithm) on the distances between centroids, so
 * that a segment that is the same group of customers keeps its id and name.
 *
 * The two models standardised their features with different means and standard deviations (each fitted on
 * its own data), so their centroids are not in the same space. Both sets are mapped back to raw feature
 * values (inverse standardisation, then expm1 where the model took log1p) and standardised again with the
 * NEW model's transforms: distances are then measured in the one space in which the new model clusters.
 * A matched pair further apart than `maxDistance` (Euclidean, in new-model standard deviations) is not the
 * same group: the new segment gets a fresh id (above every id used so far) and keeps its rule-based name.
 */
import { hungarian } from '../cluster/hungarian';
import { CustomerAssignment, FeatureTransform, SegmentModel } from '../model/types';

/**
 * Default distance (new-model standard deviations, Euclidean over the 9 features) beyond which a match is
 * refused. On the Olist export, the same segment fitted 2 to 9 months apart (k = 4 and 6) lies 0.14 to 1.31
 * away, while two different segments are at least 2.1 apart.
 */
export const DEFAULT_MAX_MATCH_DISTANCE = 1.5;

export interface SegmentMatch {
  /** Row of the segment in the new model (its centroid row). */
  row: number;
  /** Id the fresh fit gave it, and the id it carries from now on. */
  freshId: number;
  id: number;
  name: string;
  /** The previous segment it continues, when matched within maxDistance. */
  previousId?: number;
  previousName?: string;
  /** Distance to the matched previous centroid (or to the nearest one when unmatched), in new-model std units. */
  distance: number;
  status: 'kept' | 'new';
}

export interface MatchResult {
  /** The new model with ids and names carried over (a copy; the input is not modified). */
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

/** Raw feature values of a model's centroids (inverse standardisation and log1p). */
export function centroidsToRaw(model: Pick<SegmentModel, 'centroids' | 'features'>): number[][] {
  return model.centroids.map((c) =>
    c.map((z, j) => {
      const t = model.features[j];
      const v = z * t.std + t.mean;
      return t.log ? Math.expm1(v) : v;
    }),
  );
}

/** Raw values standardised with the given transforms (same rules as applyTransforms). */
export function rawToSpace(raw: number[][], transforms: readonly FeatureTransform[]): number[][] {
  return raw.map((r) => r.map((v, j) => ((transforms[j].log ? Math.log1p(Math.max(v, 0)) : v) - transforms[j].mean) / transforms[j].std));
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

  let nextFresh = Math.max(-1, ...previous.segments.map((s) => s.id), ...(opts.reservedIds ?? [])) + 1;
  const usedNames = new Set<string>();
  const matches: SegmentMatch[] = cur.map((_, j) => {
    const seg = next.segments[j];
    const i = prevOfNew[j];
    if (i >= 0) {
      const p = previous.segments[i];
      usedNames.add(p.name);
      return { row: j, freshId: seg.id, id: p.id, name: p.name, previousId: p.id, previousName: p.name, distance: distances[i][j], status: 'kept' };
    }
    const nearest = prev.length ? Math.min(...distances.map((r) => r[j])) : Infinity;
    return { row: j, freshId: seg.id, id: nextFresh++, name: seg.name, distance: nearest, status: 'new' };
  });
  // A new segment whose rule-based name is already carried by a kept one is told apart.
  for (const m of matches) if (m.status === 'new' && usedNames.has(m.name)) m.name = `${m.name} (new)`;

  const keptPrev = new Set(matches.filter((m) => m.status === 'kept').map((m) => m.previousId));
  const retired = previous.segments.filter((s) => !keptPrev.has(s.id)).map((s) => ({ id: s.id, name: s.name }));
  const model: SegmentModel = {
    ...next,
    segments: next.segments.map((s, j) => ({ ...s, id: matches[j].id, name: matches[j].name })),
  };
  return { model, idMap: new Map(matches.map((m) => [m.freshId, m.id])), matches, retired, distances, maxDistance };
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
