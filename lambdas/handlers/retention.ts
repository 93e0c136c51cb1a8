/**
 * Retention run by the scheduled stability function after its check (lambdas/pipeline/retention.ts). Best effort:
 * an error is logged and never fails the check (a failed invocation would be retried, check included); a deletion
 * cut short by the timeout stays 'deleting' and is finished by the next run.
 */
import { applyRetention } from '../pipeline/retention';
import { describe } from '../pipeline/ingest';
import type { Runtime } from './runtime';

export interface RetentionSummary {
  deleted: string[];
  skipped: string[];
  deferred: string[];
  failed: string[];
  error?: string;
}

/** No deletion starts with less than this left before the function's timeout. */
const TIME_RESERVE_MS = 120_000;

/** keepVersions: the stability function's config (KEEP_VERSIONS), or why it is invalid (reported, the check stands). */
export async function pruneModelVersions(rt: Runtime, keepVersions: number | Error, context?: { getRemainingTimeInMillis?(): number }, clock?: () => Date): Promise<RetentionSummary> {
  try {
    if (keepVersions instanceof Error) throw keepVersions;
    const remaining = context?.getRemainingTimeInMillis?.();
    const out = await applyRetention(
      { segments: rt.stores.segments, log: rt.log, now: clock },
      { keepVersions, deadline: remaining === undefined ? undefined : Date.now() + remaining - TIME_RESERVE_MS },
    );
    return { deleted: out.deleted.map((d) => d.version), skipped: out.skipped.map((s) => s.version), deferred: out.deferred, failed: out.failed.map((f) => f.version) };
  } catch (err) {
    rt.log.warn('retention failed (model versions kept)', { error: describe(err) });
    return { deleted: [], skipped: [], deferred: [], failed: [], error: describe(err) };
  }
}
