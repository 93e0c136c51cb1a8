/**
 * What the pipeline logs and counts through: a small interface, so the pipeline code does not depend on who writes.
 * In Lambda it is Powertools Logger and Metrics (lambdas/handlers/observability.ts: request id and cold start in every
 * line, metrics as Embedded Metric Format). Locally (lambdas/local/, `npm start --logs`, serve mode) the functions
 * write through `jsonLog`, the local stack's own sink: the same JSON lines without Lambda's context, or `silentLog`.
 */
import { METRICS_NAMESPACE } from '../contract/metrics';

export interface Log {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** Emits a count metric (a name of lambdas/contract/metrics.ts; its namespace, no dimensions). */
  metric(name: string, value: number): void;
}

/** The local sink: one JSON object per line, and each metric as the EMF line CloudWatch would turn into a metric. */
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
          _aws: { Timestamp: Date.now(), CloudWatchMetrics: [{ Namespace: METRICS_NAMESPACE, Dimensions: [[]], Metrics: [{ Name: name, Unit: 'Count' }] }] },
          [name]: value,
          service,
        }),
      ),
  };
}

export const silentLog: Log = { info: () => undefined, warn: () => undefined, error: () => undefined, metric: () => undefined };
