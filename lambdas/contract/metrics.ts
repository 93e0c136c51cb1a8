/**
 * The functions' custom metrics, written as Embedded Metric Format log lines by Powertools Metrics
 * (lambdas/handlers/observability.ts), which CloudWatch Logs turns into metrics: no cloudwatch:PutMetricData call, no
 * grant. The stack's alarms (lib/constructs/monitoring.ts) watch them by these names.
 */
export const METRICS_NAMESPACE = 'Segments';

/** Count metrics, value >= 1, unit Count, emitted without dimensions (the alarms watch the dimensionless metric). */
export const METRIC_NAMES = {
  /** A pipeline run failed (ingest, or the distributed path's failure step). */
  failedRuns: 'FailedRuns',
  /** Model versions deleted by the retention after a stability check. */
  modelVersionsDeleted: 'ModelVersionsDeleted',
} as const;

export type MetricName = (typeof METRIC_NAMES)[keyof typeof METRIC_NAMES];
