/**
 * Retention of model versions: which versions of the segment table to delete, and why (pure; the use case in
 * lambdas/pipeline/retention.ts lists, decides with this, and deletes).
 *
 * Every version costs one item per customer (~93k on the Olist export), so without a policy the table grows by a
 * full copy per retraining. Kept, always:
 *  - the version the ACTIVE pointer names (readers resolve it first) and the pointer's previousVersion (the
 *    rollback target);
 *  - any version whose META says 'active' (an activation in flight flips META before the pointer);
 *  - the `keepVersions` most recent complete versions (status active or superseded, by createdAt);
 *  - drafts ('writing') younger than the grace period, or whose run still holds its lease on this draft.
 * Deleted: older superseded versions, drafts past the grace period that no live run owns, and versions left
 * 'deleting' by an interrupted deletion (activation already refuses them; deleting again finishes the job).
 * Unknown statuses are kept (a newer writer may know better).
 */

export interface VersionInfo {
  version: string;
  status: string;
  /** The model's creation time (ISO): orders complete versions, newest first. */
  createdAt: string;
  draftedAt?: string;
  writeStartedAt?: string;
  writtenAt?: string;
  /** The pipeline run (dataset id) that drafted the version, when recorded. */
  runId?: string;
}

export interface RunInfo {
  status: string;
  leaseUntil?: string;
  modelVersion?: string;
}

export interface RetentionPolicy {
  /** Complete versions to keep besides the active one and the rollback target (newest first). */
  keepVersions: number;
  /** A 'writing' draft younger than this (since its last write) is never deleted. */
  draftGraceMs: number;
}

/** 3 complete versions; drafts get 24 h, far beyond a run's hand-off lease (6.5 h) and a train timeout (15 min). */
export const DEFAULT_RETENTION_POLICY: RetentionPolicy = { keepVersions: 3, draftGraceMs: 24 * 3600_000 };

export interface RetentionInput {
  /** The listing (any order). */
  versions: readonly VersionInfo[];
  /** The ACTIVE pointer read after the listing (undefined: nothing activated yet). */
  pointer?: { version: string; previousVersion?: string };
  /** Run records of the drafts' runIds: null = looked up, no record; a runId absent from the map = not looked up (kept). */
  runs?: ReadonlyMap<string, RunInfo | null>;
  /** Epoch ms. */
  now: number;
  policy?: Partial<RetentionPolicy>;
}

export type KeepCode = 'active' | 'rollback-target' | 'marked-active' | 'recent' | 'draft-in-grace' | 'run-in-progress' | 'run-not-checked' | 'unknown-status';
export type DeleteCode = 'superseded-beyond-keep' | 'abandoned-draft' | 'interrupted-delete';

export interface Decision<C extends string> {
  version: string;
  status: string;
  code: C;
  /** One sentence for logs and the CLI. */
  reason: string;
}

export interface RetentionPlan {
  keep: Decision<KeepCode>[];
  delete: Decision<DeleteCode>[];
  policy: RetentionPolicy;
}

const IN_PROGRESS = new Set(['claimed', 'ingesting', 'training']);

export function planRetention(input: RetentionInput): RetentionPlan {
  const policy: RetentionPolicy = { ...DEFAULT_RETENTION_POLICY, ...stripUndefined(input.policy ?? {}) };
  if (!Number.isInteger(policy.keepVersions) || policy.keepVersions < 0) throw new RangeError(`retention: keepVersions must be an integer >= 0, got ${policy.keepVersions}`);
  if (!(policy.draftGraceMs >= 0)) throw new RangeError(`retention: draftGraceMs must be >= 0, got ${policy.draftGraceMs}`);
  if (!Number.isFinite(input.now)) throw new RangeError(`retention: now must be an epoch time in ms, got ${input.now}`);

  const keep: Decision<KeepCode>[] = [];
  const del: Decision<DeleteCode>[] = [];
  const k = (v: VersionInfo, code: KeepCode, reason: string) => keep.push({ version: v.version, status: v.status, code, reason });
  const d = (v: VersionInfo, code: DeleteCode, reason: string) => del.push({ version: v.version, status: v.status, code, reason });

  // Complete versions, newest first (ties by version id, so the plan does not depend on the listing order).
  const complete = input.versions
    .filter((v) => v.status === 'active' || v.status === 'superseded')
    .sort((a, b) => cmp(b.createdAt, a.createdAt) || cmp(b.version, a.version));
  const recent = new Set(complete.slice(0, policy.keepVersions).map((v) => v.version));
  const grace = policy.draftGraceMs;

  for (const v of sortNewestFirst(input.versions)) {
    if (v.version === input.pointer?.version) k(v, 'active', 'the ACTIVE pointer names it');
    else if (v.version === input.pointer?.previousVersion) k(v, 'rollback-target', "the ACTIVE pointer's previous version (rollback target)");
    else if (v.status === 'active') k(v, 'marked-active', "META says 'active' but the pointer names another version (activation in flight, or bookkeeping to repair)");
    else if (v.status === 'superseded') {
      if (recent.has(v.version)) k(v, 'recent', `one of the ${policy.keepVersions} most recent complete versions`);
      else d(v, 'superseded-beyond-keep', `superseded and older than the ${policy.keepVersions} most recent complete versions`);
    } else if (v.status === 'deleting') d(v, 'interrupted-delete', 'a deletion was started and not finished');
    else if (v.status === 'writing') decideDraft(v, input, grace, k, d);
    else k(v, 'unknown-status', `unknown status '${v.status}'`);
  }
  return { keep, delete: del, policy };
}

function decideDraft(
  v: VersionInfo,
  input: RetentionInput,
  grace: number,
  k: (v: VersionInfo, code: KeepCode, reason: string) => void,
  d: (v: VersionInfo, code: DeleteCode, reason: string) => void,
): void {
  const last = lastWrite(v);
  if (last === undefined) return k(v, 'draft-in-grace', 'a draft without any parseable timestamp (kept: its age is unknown)');
  const age = input.now - last;
  if (age < grace) return k(v, 'draft-in-grace', `a draft last written ${hours(age)} h ago (grace ${hours(grace)} h)`);
  if (v.runId !== undefined) {
    if (!input.runs?.has(v.runId)) return k(v, 'run-not-checked', `the run ${v.runId} was not looked up`);
    const run = input.runs.get(v.runId);
    // A run that still works on this very draft (its lease not expired) may be writing it right now: deleting under a
    // live writer would leave orphan assignment items. A run that moved on (another draft, a final status) does not.
    if (run && IN_PROGRESS.has(run.status) && run.modelVersion === v.version && (run.leaseUntil === undefined || Date.parse(run.leaseUntil) > input.now)) {
      return k(v, 'run-in-progress', `the run ${v.runId} is '${run.status}' on this draft${run.leaseUntil ? ` (lease until ${run.leaseUntil})` : ''}`);
    }
  }
  d(v, 'abandoned-draft', `a draft last written ${hours(age)} h ago (grace ${hours(grace)} h)${v.runId ? ` whose run ${v.runId} no longer works on it` : ''}`);
}

/** The latest of the draft's write times (epoch ms), undefined when none parses. */
function lastWrite(v: VersionInfo): number | undefined {
  let last: number | undefined;
  for (const t of [v.draftedAt, v.writeStartedAt, v.writtenAt, v.createdAt]) {
    const ms = t === undefined ? NaN : Date.parse(t);
    if (Number.isFinite(ms) && (last === undefined || ms > last)) last = ms;
  }
  return last;
}

function sortNewestFirst(versions: readonly VersionInfo[]): VersionInfo[] {
  return [...versions].sort((a, b) => cmp(b.createdAt, a.createdAt) || cmp(b.version, a.version));
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const hours = (ms: number) => Math.round((ms / 3600_000) * 10) / 10;

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
