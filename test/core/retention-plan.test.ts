import { planRetention, RunInfo, VersionInfo } from '../../lambdas/core/retention/plan';

const H = 3600_000;
const NOW = Date.parse('2026-06-01T12:00:00.000Z');
const iso = (msAgo: number) => new Date(NOW - msAgo).toISOString();

/** A complete version created `daysAgo` days ago. */
const v = (version: string, status: string, daysAgo: number, extra: Partial<VersionInfo> = {}): VersionInfo => ({
  version,
  status,
  createdAt: iso(daysAgo * 24 * H),
  draftedAt: iso(daysAgo * 24 * H),
  ...extra,
});
const versions = (plan: ReturnType<typeof planRetention>) => ({
  keep: Object.fromEntries(plan.keep.map((d) => [d.version, d.code])),
  delete: Object.fromEntries(plan.delete.map((d) => [d.version, d.code])),
});

describe('planRetention', () => {
  test('keeps active, rollback target and the N most recent complete versions; deletes older superseded ones', () => {
    const list = [v('v1', 'superseded', 60), v('v2', 'superseded', 50), v('v3', 'superseded', 40), v('v4', 'superseded', 30), v('v5', 'superseded', 20), v('v6', 'active', 10)];
    const plan = planRetention({ versions: list, pointer: { version: 'v6', previousVersion: 'v5' }, now: NOW, policy: { keepVersions: 3 } });
    expect(versions(plan)).toEqual({
      keep: { v6: 'active', v5: 'rollback-target', v4: 'recent' },
      delete: { v3: 'superseded-beyond-keep', v2: 'superseded-beyond-keep', v1: 'superseded-beyond-keep' },
    });
    // Newest first, with a reason a person can read.
    expect(plan.delete.map((d) => d.version)).toEqual(['v3', 'v2', 'v1']);
    expect(plan.delete[0].reason).toMatch(/older than the 3 most recent complete versions/);
  });

  test('a rollback target older than the N most recent is still kept (after a rollback the pointer names an old version)', () => {
    // Rolled back from v5 to v2: the pointer is v2 (active), previousVersion v5.
    const list = [v('v1', 'superseded', 60), v('v2', 'active', 50), v('v3', 'superseded', 40), v('v4', 'superseded', 30), v('v5', 'superseded', 20)];
    const plan = planRetention({ versions: list, pointer: { version: 'v2', previousVersion: 'v5' }, now: NOW, policy: { keepVersions: 1 } });
    expect(versions(plan)).toEqual({ keep: { v5: 'rollback-target', v2: 'active' }, delete: { v4: 'superseded-beyond-keep', v3: 'superseded-beyond-keep', v1: 'superseded-beyond-keep' } });
  });

  test('keepVersions counts complete versions only: drafts and deleting versions do not take a slot', () => {
    const list = [v('d1', 'writing', 0.5), v('x1', 'deleting', 40), v('v1', 'superseded', 30), v('v2', 'superseded', 20), v('v3', 'active', 10)];
    const plan = planRetention({ versions: list, pointer: { version: 'v3', previousVersion: 'v2' }, now: NOW, policy: { keepVersions: 3 } });
    expect(versions(plan)).toEqual({
      keep: { d1: 'draft-in-grace', v3: 'active', v2: 'rollback-target', v1: 'recent' },
      delete: { x1: 'interrupted-delete' },
    });
  });

  test('META says active but the pointer names another version: kept (an activation may be in flight)', () => {
    const list = [v('v1', 'active', 30), v('v2', 'active', 20), v('v3', 'superseded', 10), v('v0', 'superseded', 40)];
    const plan = planRetention({ versions: list, pointer: { version: 'v3' }, now: NOW, policy: { keepVersions: 1 } });
    expect(versions(plan).keep).toEqual({ v3: 'active', v2: 'marked-active', v1: 'marked-active' });
    expect(versions(plan).delete).toEqual({ v0: 'superseded-beyond-keep' });
  });

  test('drafts: the grace period counts from the latest write, not from the draft', () => {
    const grace = 24 * H;
    const list = [
      v('old-idle', 'writing', 3),
      // Drafted 3 days ago but its assignments were (re)written 2 h ago.
      v('old-busy', 'writing', 3, { writeStartedAt: iso(2 * H) }),
      v('young', 'writing', 0, { draftedAt: iso(23 * H), createdAt: iso(23.5 * H) }),
      { version: 'no-times', status: 'writing', createdAt: 'not a date' },
    ];
    const plan = planRetention({ versions: list, now: NOW, policy: { draftGraceMs: grace } });
    expect(versions(plan)).toEqual({ keep: { 'old-busy': 'draft-in-grace', young: 'draft-in-grace', 'no-times': 'draft-in-grace' }, delete: { 'old-idle': 'abandoned-draft' } });
    expect(plan.delete[0].reason).toMatch(/72 h ago \(grace 24 h\)/);
    // Exactly at the grace boundary the draft goes; 1 ms before, it stays.
    const edge = (ago: number) => planRetention({ versions: [v('d', 'writing', 0, { draftedAt: iso(ago), createdAt: iso(ago) })], now: NOW, policy: { draftGraceMs: grace } }).delete.length;
    expect([edge(grace - 1), edge(grace)]).toEqual([0, 1]);
  });

  test('drafts past the grace period: kept while their run holds a live lease on them, deleted otherwise', () => {
    const draft = (version: string, runId: string) => v(version, 'writing', 2, { runId });
    const runs = new Map<string, RunInfo | null>([
      ['live', { status: 'training', leaseUntil: iso(-60_000), modelVersion: 'd-live' }],
      ['expired', { status: 'training', leaseUntil: iso(60_000), modelVersion: 'd-expired' }],
      ['moved-on', { status: 'training', leaseUntil: iso(-60_000), modelVersion: 'another-draft' }],
      ['failed', { status: 'failed', modelVersion: 'd-failed' }],
      ['gone', null],
    ]);
    const list = [draft('d-live', 'live'), draft('d-expired', 'expired'), draft('d-moved', 'moved-on'), draft('d-failed', 'failed'), draft('d-gone', 'gone'), draft('d-unchecked', 'never-looked-up')];
    const plan = planRetention({ versions: list, runs, now: NOW });
    expect(versions(plan)).toEqual({
      keep: { 'd-live': 'run-in-progress', 'd-unchecked': 'run-not-checked' },
      delete: { 'd-expired': 'abandoned-draft', 'd-moved': 'abandoned-draft', 'd-failed': 'abandoned-draft', 'd-gone': 'abandoned-draft' },
    });
  });

  test('no active version yet: the N most recent complete versions are kept; unknown statuses are never deleted', () => {
    const list = [v('v1', 'superseded', 30), v('v2', 'superseded', 20), v('odd', 'archived', 90)];
    const plan = planRetention({ versions: list, now: NOW, policy: { keepVersions: 1 } });
    expect(versions(plan)).toEqual({ keep: { v2: 'recent', odd: 'unknown-status' }, delete: { v1: 'superseded-beyond-keep' } });
  });

  test('the plan does not depend on the listing order (ties broken by version id)', () => {
    const list = [v('b', 'superseded', 20), v('a', 'superseded', 20), v('c', 'superseded', 20), v('z', 'active', 10)];
    const a = planRetention({ versions: list, pointer: { version: 'z' }, now: NOW, policy: { keepVersions: 2 } });
    const b = planRetention({ versions: [...list].reverse(), pointer: { version: 'z' }, now: NOW, policy: { keepVersions: 2 } });
    expect(a).toEqual(b);
    expect(versions(a)).toEqual({ keep: { z: 'active', c: 'recent' }, delete: { b: 'superseded-beyond-keep', a: 'superseded-beyond-keep' } });
  });

  test('defaults: keep 3, grace 24 h; invalid policies are refused', () => {
    expect(planRetention({ versions: [], now: NOW }).policy).toEqual({ keepVersions: 3, draftGraceMs: 24 * H });
    expect(() => planRetention({ versions: [], now: NOW, policy: { keepVersions: -1 } })).toThrow(/keepVersions must be an integer >= 0, got -1/);
    expect(() => planRetention({ versions: [], now: NOW, policy: { keepVersions: 1.5 } })).toThrow(/keepVersions/);
    expect(() => planRetention({ versions: [], now: NaN })).toThrow(/now must be/);
  });
});
