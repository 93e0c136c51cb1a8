/**
 * The history of the scheduled stability checks (lambdas/pipeline/stability.ts): one record per check, newest first.
 * Implemented on DynamoDB by dynamo-stability-store.ts (partition `STABILITY`, sort key `<checkedAt>#<modelVersion>`).
 */

export interface StabilityCheckRecord {
  /** ISO time of the check (the sort key, with the model version). */
  checkedAt: string;
  modelVersion: string;
  /** Adjusted Rand index between the active model and a fresh fit (null when not computed). */
  ari: number | null;
  /** Drift measures by feature (or any named measure). */
  drift: Record<string, number>;
  ageDays: number;
  verdict: string;
  reasons: string[];
  /** Any other JSON-like details. */
  details?: Record<string, unknown>;
}

export interface StabilityStore {
  /** The same check twice (same time and version) is the same record. */
  putStabilityCheck(record: StabilityCheckRecord): Promise<void>;
  /** Newest first (default 20). */
  listStabilityChecks(limit?: number): Promise<StabilityCheckRecord[]>;
}
