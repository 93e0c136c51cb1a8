/**
 * Structured logs and metrics for the pipeline: one JSON object per line (CloudWatch Logs Insights reads
 * them), and the FailedRuns metric in CloudWatch's Embedded Metric Format, so no metrics API call or
 * permission is needed. Locally the same lines can be silenced.
 */
export interface Log {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** Emits a count metric (namespace from METRICS_NAMESPACE, default 'Segments', no dimensions). */
  metric(name: string, value: number): void;
}

export function jsonLog(service: string, write: (line: string) => void = (l) => process.stdout.write(l + '\n')): Log {
  const emit = (level: string, message: string, fields?: Record<string, unknown>) =>
    write(JSON.stringify({ level, service, message, timestamp: new Date().toISOString(), ...fields }));
  return {
    info: (m, f) => emit('INFO', m, f),
    warn: (m, f) => emit('WARN', m, f),
    error: (m, f) => emit('ERROR', m, f),
    metric: (name, value) =>
      write(
        JSON.stringify({
          _aws: { Timestamp: Date.now(), CloudWatchMetrics: [{ Namespace: process.env.METRICS_NAMESPACE ?? 'Segments', Dimensions: [[]], Metrics: [{ Name: name, Unit: 'Count' }] }] },
          [name]: value,
          service,
        }),
      ),
  };
}

export const silentLog: Log = { info: () => undefined, warn: () => undefined, error: () => undefined, metric: () => undefined };
