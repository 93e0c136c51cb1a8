/**
 * Retention of model versions in the segment table (the policy: lambdas/core/retention/plan.ts). Lists the
 * versions, reads the ACTIVE pointer after the listing, looks up the runs of drafts past their grace period,
 * decides, then deletes one version at a time through ModelStore.deleteModelVersion, which itself refuses the
 * active version and marks 'deleting' under a condition (so an activation racing with the deletion loses to it
 * or wins against it, never both). Before each deletion the pointer is read again: a version that became the
 * active one or the rollback target after the listing is skipped.
 *
 * Only the table is pruned. The artifacts bucket keeps models/<version>/ and reports/<version>/ (a few hundred KB
 * of JSON/HTML plus assignments.csv): they are the audit trail of what each customer was told, and cost a fraction
 * of the table copy.
 */
import { DEFAULT_RETENTION_POLICY, planRetention, RetentionPlan, RunInfo } from '../core/retention/plan';
import { FUNCTION_ENV, METRIC_NAMES } from '../contract';
import { ModelNotFoundError, ModelStateError } from '../store/errors';
import type { DeleteResult, ModelStore, RunStore } from '../store/segment-store';
import { DEFAULT_LEASE_TIMES } from './lease';
import { Log } from './log';

export interface RetentionDeps {
  /** Model versions to list and delete; runs only read (a draft's run may still be working on it). */
  segments: ModelStore & Pick<RunStore, 'getRun'>;
  log: Log;
  now?: () => Date;
}

export interface RetentionOptions {
  /** Complete versions to keep (KEEP_VERSIONS; default 3), besides the active one and the rollback target. */
  keepVersions?: number;
  /** Drafts younger than this are kept (default 24 h; must exceed the run hand-off lease). */
  draftGraceMs?: number;
  /** Decide and report only. */
  dryRun?: boolean;
  /** Epoch ms after which no further deletion starts (the rest is reported as deferred; the next run does it). */
  deadline?: number;
  /** BatchWriteItem calls in flight per deletion (the store's default otherwise). */
  concurrency?: number;
}

export interface RetentionOutcome {
  plan: RetentionPlan;
  dryRun: boolean;
  deleted: (DeleteResult & { reason: string })[];
  /** Refused or already gone when its turn came (e.g. activated after the listing). */
  skipped: { version: string; reason: string }[];
  /** Not started before the deadline. */
  deferred: string[];
  failed: { version: string; error: string }[];
}

export async function applyRetention(deps: RetentionDeps, options: RetentionOptions = {}): Promise<RetentionOutcome> {
  const now = () => (deps.now ?? (() => new Date()))().getTime();
  const draftGraceMs = options.draftGraceMs ?? DEFAULT_RETENTION_POLICY.draftGraceMs;
  // A draft is only ever written by a run holding its lease; the hand-off lease is the longest one can be idle.
  if (draftGraceMs <= DEFAULT_LEASE_TIMES.handoffMs) {
    throw new RangeError(`retention: draftGraceMs (${draftGraceMs} ms) must exceed the run hand-off lease (${DEFAULT_LEASE_TIMES.handoffMs} ms)`);
  }
  const policy = { keepVersions: options.keepVersions ?? DEFAULT_RETENTION_POLICY.keepVersions, draftGraceMs };

  const versions = await deps.segments.listModels();
  // After the listing: a version activated meanwhile is named here (or refused by deleteModelVersion below).
  const pointer = await deps.segments.getActivePointer();
  const t = now();
  const runs = new Map<string, RunInfo | null>();
  for (const v of versions) {
    if (v.status !== 'writing' || v.runId === undefined || runs.has(v.runId)) continue;
    const run = await deps.segments.getRun(v.runId);
    runs.set(v.runId, run ? { status: run.status, leaseUntil: run.leaseUntil, modelVersion: run.modelVersion } : null);
  }
  const plan = planRetention({ versions, pointer, runs, now: t, policy });
  const outcome: RetentionOutcome = { plan, dryRun: options.dryRun === true, deleted: [], skipped: [], deferred: [], failed: [] };
  deps.log.info('retention plan', { keep: plan.keep.map((d) => `${d.version} (${d.code})`), delete: plan.delete.map((d) => `${d.version} (${d.code})`), dryRun: outcome.dryRun });
  if (outcome.dryRun) return outcome;

  for (const decision of plan.delete) {
    const { version } = decision;
    if (options.deadline !== undefined && Date.now() >= options.deadline) {
      outcome.deferred.push(version);
      continue;
    }
    try {
      const current = await deps.segments.getActivePointer();
      if (current && (current.version === version || current.previousVersion === version)) {
        outcome.skipped.push({ version, reason: `the ACTIVE pointer now names it (${current.version === version ? 'active' : 'rollback target'})` });
        continue;
      }
      const result = await deps.segments.deleteModelVersion(version, { concurrency: options.concurrency });
      outcome.deleted.push({ ...result, reason: decision.reason });
      deps.log.info('model version deleted', { version, code: decision.code, reason: decision.reason, assignments: result.deletedAssignments });
    } catch (err) {
      if (err instanceof ModelStateError || err instanceof ModelNotFoundError) {
        outcome.skipped.push({ version, reason: err.message });
        deps.log.info('model version not deleted', { version, reason: err.message });
      } else {
        // One failure does not stop the others: an interrupted deletion is left 'deleting' and finished next time.
        outcome.failed.push({ version, error: err instanceof Error ? err.message : String(err) });
        deps.log.warn('model version deletion failed', { version, error: err instanceof Error ? err.message : String(err) });
      }
    }
  }
  if (outcome.deleted.length) deps.log.metric(METRIC_NAMES.modelVersionsDeleted, outcome.deleted.length);
  return outcome;
}

/** KEEP_VERSIONS from the environment: an integer >= 1 (default 3). */
export function keepVersionsFromEnv(env: Record<string, string | undefined>): number {
  const v = env[FUNCTION_ENV.keepVersions];
  if (v === undefined || v === '') return DEFAULT_RETENTION_POLICY.keepVersions;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`environment variable ${FUNCTION_ENV.keepVersions}=${v} must be an integer >= 1`);
  return n;
}
