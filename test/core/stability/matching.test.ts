import { FEATURE_NAMES, FeatureTransform, SegmentDescription, SegmentModel } from '../../../lambdas/core/domain/types';
import { centroidsToRaw, matchSegments, movers, rawToSpace, relabel, transitionMatrix, withPreviousSegment } from '../../../lambdas/core/stability/matching';

const nf = FEATURE_NAMES.length;

/** Raw centroids of four well-apart groups (FEATURE_NAMES order). */
const RAW = [
  [30, 1, 60, 5, -12, 0, 1, 1, 1], // cheap, happy, recent
  [200, 1, 900, 4.2, -8, 0.05, 3, 2, 8], // big-ticket, installments
  [150, 1, 120, 1.5, 12, 0.9, 1, 1, 2], // let down by late delivery
  [100, 2.5, 400, 4.8, -10, 0, 4, 3, 3], // loyal
];
const NAMES = ['Recent bargain hunters', 'Big-ticket buyers', 'Let down by late delivery', 'Loyal high spenders'];

function transforms(scale: number): FeatureTransform[] {
  // Different data give different fitted ranges: here widened by `scale` around the spread of the groups (log1p on
  // the money and count features), so that every centroid lies inside its range.
  return FEATURE_NAMES.map((name, j) => {
    const log = name === 'monetary' || name === 'items';
    const col = RAW.map((r) => (log ? Math.log1p(r[j]) : r[j]));
    const min = Math.min(...col);
    const max = Math.max(...col);
    const span = max - min || 1;
    return { name, log, lo: min - 0.2 * scale * span, hi: max + 0.5 * scale * span, weight: j === 0 ? 1.5 : 1 };
  });
}

function model(raw: number[][], tf: FeatureTransform[], ids: number[], names: string[]): SegmentModel {
  const centroids = rawToSpace(raw, tf);
  const segments = [
    ...raw.map((_, i) => ({ id: ids[i], kind: 'cluster', name: names[i], description: '', action: '', traits: [], size: 10, share: 0.25, profile: {}, fidelity: {} }) as unknown as SegmentDescription),
    { id: 100, kind: 'rule', name: 'Order overdue, never delivered', description: '', action: '', traits: [], size: 3, share: 0.05, profile: {}, fidelity: {} } as unknown as SegmentDescription,
  ];
  return {
    schemaVersion: 2,
    version: `v-${ids.join('')}`,
    createdAt: '2018-01-01T00:00:00.000Z',
    asOf: '2018-01-01T00:00:00.000Z',
    dataFingerprint: 'x',
    algorithm: 'kmeans',
    k: raw.length,
    seed: 1,
    features: tf,
    reviewImputation: { rule: '', onTime: 4.3, late: 2.4 },
    centroids,
    metrics: { silhouette: 0, daviesBouldin: 0, calinskiHarabasz: 0, inertia: 0 },
    segments,
    customers: 40,
    people: 43,
  };
}

describe('matching segments across model versions', () => {
  test('centroids go back to raw values exactly (inverse range scaling and log1p)', () => {
    const tf = transforms(0.7);
    const back = centroidsToRaw({ centroids: rawToSpace(RAW, tf), features: tf });
    back.forEach((r, i) => r.forEach((v, j) => expect(v).toBeCloseTo(RAW[i][j], 9)));
  });

  test('a permutation of the labels keeps every id, even with differently fitted transforms; names come from the new model', () => {
    const previous = model(RAW, transforms(1), [0, 1, 2, 3], NAMES);
    // The new fit found the same groups, slightly moved, in another order, with other scaler parameters and other names.
    const perm = [2, 0, 3, 1];
    const moved = perm.map((p) => RAW[p].map((v) => v * 1.03));
    const next = model(moved, transforms(2.5), [0, 1, 2, 3], ['a', 'b', 'c', 'd']);
    const m = matchSegments(previous, next);
    expect(m.model.segments.map((s) => s.id)).toEqual([...perm, 100]);
    // A name must be true of its members: the new version's own names, not the previous ones.
    expect(m.model.segments.map((s) => s.name)).toEqual(['a', 'b', 'c', 'd', 'Order overdue, never delivered']);
    expect(m.matches.map((x) => x.previousName)).toEqual(perm.map((p) => NAMES[p]));
    expect(m.matches.every((x) => x.status === 'kept' && x.distance < 0.15)).toBe(true);
    expect(m.retired).toEqual([]);
    // Labels computed with the fresh numbering are rewritten to the stable ids.
    expect(Array.from(relabel([0, 1, 2, 3, 0], m.idMap))).toEqual([2, 0, 3, 1, 2]);
    // Rule segments keep their fixed ids and are never matched.
    expect(m.idMap.get(100)).toBe(100);
    expect(m.matches).toHaveLength(4);
    // The input model is not modified; centroids stay in the new model's rows.
    expect(next.segments.map((s) => s.id)).toEqual([0, 1, 2, 3, 100]);
    expect(m.model.centroids).toBe(next.centroids);
  });

  test("comparing the stored coordinates would be biased by the two scalers: distances are taken in the new model's space", () => {
    const previous = model(RAW, transforms(1), [0, 1, 2, 3], NAMES);
    const next = model(RAW, transforms(1).map((t) => ({ ...t, lo: t.lo - 2 * (t.hi - t.lo) })), [5, 6, 7, 8], NAMES);
    // Same raw centroids under very different scalers: the stored coordinates differ a lot...
    const naive = Math.hypot(...previous.centroids[0].map((v, j) => v - next.centroids[0][j]));
    expect(naive).toBeGreaterThan(1);
    // ...but the groups are the same, at distance 0.
    const m = matchSegments(previous, next);
    for (const x of m.matches) expect(x.distance).toBeCloseTo(0, 9);
    expect(m.model.segments.map((s) => s.id)).toEqual([0, 1, 2, 3, 100]);
  });

  test('a segment far from every previous one is new: fresh id, its own name; the unmatched previous one is retired', () => {
    const previous = model(RAW, transforms(1), [0, 1, 2, 3], NAMES);
    const far = [...RAW.slice(0, 3), [5, 1, 3000, 1, 30, 1, 10, 6, 12]];
    const next = model(far, transforms(1), [0, 1, 2, 3], ['a', 'b', 'c', 'Brand-new group']);
    const m = matchSegments(previous, next, { reservedIds: [7, 100, 101] });
    expect(m.model.segments.map((s) => s.id)).toEqual([0, 1, 2, 8, 100]); // above the previous ids and the reserved 7, not the rule segments' ids
    expect(m.model.segments[3].name).toBe('Brand-new group');
    expect(m.matches[3].status).toBe('new');
    expect(m.retired).toEqual([{ id: 3, name: NAMES[3] }]);
  });

  test('different k: extra new segments get fresh ids, missing ones are retired', () => {
    const previous = model(RAW.slice(0, 3), transforms(1), [4, 5, 6], NAMES.slice(0, 3));
    const next = model([RAW[2], RAW[3], RAW[0], RAW[1]], transforms(1.2), [0, 1, 2, 3], ['c', 'Loyal high spenders', 'a', 'b']);
    const m = matchSegments(previous, next);
    expect(m.model.segments.map((s) => s.id)).toEqual([6, 7, 4, 5, 100]);
    expect(m.matches[1]).toMatchObject({ status: 'new', name: 'Loyal high spenders' });
    const fewer = matchSegments(next, previous);
    expect(fewer.retired.map((r) => r.name)).toEqual(['Loyal high spenders']);
  });
});

describe('transitions between versions', () => {
  const prev = new Map([
    ['ana', 0],
    ['bob', 0],
    ['cid', 1],
    ['dan', 2],
    ['eve', 2],
  ]);
  const next = new Map([
    ['ana', 0],
    ['bob', 2],
    ['cid', 1],
    ['eve', 2],
    ['fay', 1],
  ]);

  test('transition matrix: who moved from which segment to which, who entered and who left', () => {
    const t = transitionMatrix(prev, next);
    expect(t.fromIds).toEqual([0, 1, 2]);
    expect(t.toIds).toEqual([0, 1, 2]);
    expect(t.counts).toEqual([
      [1, 0, 1],
      [0, 1, 0],
      [0, 0, 1],
    ]);
    expect(t.entered).toEqual({ 1: 1 });
    expect(t.left).toEqual({ 2: 1 });
    expect(t.stayed).toBe(3);
    expect(t.moved).toBe(1);
  });

  test("each customer's previous segment is recorded; movers into a segment can be listed", () => {
    const assignments = [...next].map(([customerId, segmentId]) => ({ customerId, segmentId, segmentName: '', features: {} as never }));
    const withPrev = withPreviousSegment(assignments, prev);
    expect(withPrev.map((a) => [a.customerId, a.previousSegmentId])).toEqual([
      ['ana', 0],
      ['bob', 0],
      ['cid', 1],
      ['eve', 2],
      ['fay', undefined],
    ]);
    expect(movers(prev, next, { to: 2 })).toEqual(['bob']);
    expect(movers(prev, next, { from: 1 })).toEqual([]);
  });
});

test('feature count sanity', () => expect(RAW[0]).toHaveLength(nf));
