/** A run item (unmarshalled) → RunRecord: absent optional attributes stay absent. */
import type { RunRecord } from './run-store';

export function toRun(item: Record<string, any>): RunRecord {
  const run: RunRecord = {
    datasetId: item.datasetId,
    status: item.status,
    tablesPresent: item.tablesPresent ?? [],
    claimedAt: item.claimedAt,
    updatedAt: item.updatedAt,
    reasons: item.reasons ?? [],
    counts: item.counts ?? {},
    timings: item.timings ?? {},
  };
  if (item.modelVersion !== undefined) run.modelVersion = item.modelVersion;
  for (const key of ['attempts', 'leaseOwner', 'leaseUntil', 'previousStatus', 'previousReasons', 'route'] as const) {
    if (item[key] !== undefined) (run as any)[key] = item[key];
  }
  return run;
}
