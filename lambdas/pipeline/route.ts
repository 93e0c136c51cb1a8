/**
 * Which path trains a dataset: the single function (ingest loads everything, train fits and writes every assignment
 * in one invocation) or the distributed path (lib/constructs/distributed-pipeline.ts), decided by ingest from the
 * size of the upload before anything is loaded, so that a large export never meets a limit halfway.
 *
 * The estimate (documented in lib/README.md, "Which path trains a dataset"):
 * - people: the customers table's size divided by the mean size of its first rows (a 64 KB ranged read), i.e. its
 *   row count; people are at most that (a person may have several customers rows; Olist: 3.5% fewer).
 * - ingest: loading, checking and computing features take INGEST_SECONDS_PER_MILLION seconds and INGEST_MB_PER_MILLION MB
 *   per million people above a base; train: the k sweep on at most SWEEP_SAMPLE customers (a constant once there
 *   are more), the final fit and the outputs grow linearly, and the write takes people / the write budget seconds.
 *   The coefficients are the bench-scale figures (docs/benchmarks.md: 100,000 to 1,000,000 customers, one thread).
 * - the single path is chosen when every figure stays within SINGLE_PATH_MARGIN of its limit (the functions'
 *   timeouts and memory as deployed): the largest such export is the threshold.
 * An override (CDK context `distributedAbove`, env DISTRIBUTED_ABOVE, `segments start --distributed-above N`) replaces
 * the threshold; the estimate is still recorded.
 */
import type { BlobStore } from '../store/blob-store';
import type { RunRoute } from '../store/segment-store';
import { SWEEP_SAMPLE } from '../core/model/train';

// Ingest's environment for the routing, set by the stack: names in the contract.
export { ROUTE_ENV } from '../contract/env';

/** Use at most this share of a function's timeout or memory (the rest absorbs estimate error and slower hosts). */
export const SINGLE_PATH_MARGIN = 0.6;

/** Per-million-people costs of the single path (bench-scale, docs/benchmarks.md; one k-means thread). */
export const SINGLE_PATH_COSTS = {
  /** load + checks + features + exploration: 3.9 s at 100k, 39.1 s at 1M. */
  ingestSecondsPerMillion: 39,
  /** peak memory of ingest: 232 MB at 100k, 826 MB at 1M. */
  ingestMbBase: 166,
  ingestMbPerMillion: 660,
  /** the k sweep on min(customers, SWEEP_SAMPLE): 31.6 s at 100k, i.e. ~63 s once the sample is full. */
  sweepSecondsPerMillion: 316,
  /** the final fit on every customer beyond the sample, and the outputs (PCA, summary, reports, assignments.csv). */
  fitSecondsPerMillion: 20,
  outputSecondsPerMillion: 7,
  outputSecondsBase: 1.5,
  trainMbBase: 170,
  trainMbPerMillion: 660,
} as const;

export interface SinglePathLimits {
  ingestTimeoutSeconds: number;
  ingestMemoryMb: number;
  trainTimeoutSeconds: number;
  trainMemoryMb: number;
  /** The assignment write budget, items per second (WRITE_RATE_PER_SECOND). */
  writeRatePerSecond: number;
}

/** The stack's defaults (lib/config.ts, lib/constructs/pipeline-functions.ts). */
export const DEPLOYED_LIMITS: SinglePathLimits = { ingestTimeoutSeconds: 600, ingestMemoryMb: 2048, trainTimeoutSeconds: 900, trainMemoryMb: 3008, writeRatePerSecond: 1000 };

export interface SinglePathEstimate {
  people: number;
  ingestSeconds: number;
  ingestMb: number;
  trainSeconds: number;
  writeSeconds: number;
  trainMb: number;
}

export function estimateSinglePath(people: number, limits: SinglePathLimits): SinglePathEstimate {
  const m = people / 1e6;
  const c = SINGLE_PATH_COSTS;
  const customers = Math.min(people, SWEEP_SAMPLE) / 1e6;
  const writeSeconds = people / limits.writeRatePerSecond;
  return {
    people,
    ingestSeconds: c.ingestSecondsPerMillion * m,
    ingestMb: c.ingestMbBase + c.ingestMbPerMillion * m,
    trainSeconds: c.sweepSecondsPerMillion * customers + c.fitSecondsPerMillion * m + c.outputSecondsBase + c.outputSecondsPerMillion * m + writeSeconds,
    writeSeconds,
    trainMb: c.trainMbBase + c.trainMbPerMillion * m,
  };
}

/** Which limits the estimate exceeds (with the margin), in words; empty when the single path fits. */
export function exceededLimits(e: SinglePathEstimate, limits: SinglePathLimits): string[] {
  const over: string[] = [];
  const check = (what: string, value: number, limit: number, unit: string) => {
    if (value > SINGLE_PATH_MARGIN * limit) over.push(`${what} ~${Math.round(value)} ${unit} of ${limit} ${unit}`);
  };
  check('ingest time', e.ingestSeconds, limits.ingestTimeoutSeconds, 's');
  check('ingest memory', e.ingestMb, limits.ingestMemoryMb, 'MB');
  check(`train time (of which writing at ${limits.writeRatePerSecond} items/s ~${Math.round(e.writeSeconds)} s)`, e.trainSeconds, limits.trainTimeoutSeconds, 's');
  check('train memory', e.trainMb, limits.trainMemoryMb, 'MB');
  return over;
}

/** The largest export (people) the single path takes within the margin: where the estimate first exceeds a limit. */
export function singlePathThreshold(limits: SinglePathLimits): number {
  let lo = 0;
  let hi = 1e9;
  while (hi - lo > 1000) {
    const mid = Math.floor((lo + hi) / 2);
    if (exceededLimits(estimateSinglePath(mid, limits), limits).length) hi = mid;
    else lo = mid;
  }
  return lo;
}

/** Bytes read from the start of the customers table to measure its rows' size. */
export const ROW_SAMPLE_BYTES = 64 * 1024;

/**
 * Rows of a CSV object from its size and its first bytes (header excluded): the mean size of the complete lines read.
 * Exact for objects smaller than the sample.
 */
export async function estimateRows(store: BlobStore, key: string, size: number): Promise<number> {
  if (size <= 0) return 0;
  const head = await store.getRange(key, 0, Math.min(size, ROW_SAMPLE_BYTES) - 1);
  const text = head.toString('utf8');
  const lines = text.split('\n');
  if (size <= ROW_SAMPLE_BYTES) return lines.slice(1).filter((l) => l.trim()).length;
  // The last line read is cut short: complete rows only.
  const complete = lines.slice(1, -1);
  const bytes = complete.reduce((a, l) => a + Buffer.byteLength(l) + 1, 0);
  if (!complete.length || !bytes) return Math.ceil(size / Math.max(1, Buffer.byteLength(lines[0]) + 1));
  return Math.ceil((size - Buffer.byteLength(lines[0]) - 1) / (bytes / complete.length));
}

export interface RouteDecision extends RunRoute {
  estimate: SinglePathEstimate;
}

/**
 * The route of an export of `people` (estimated): distributed above the override when one is set, else when the
 * single path's estimate exceeds a limit with the margin.
 */
export function routeFor(people: number, limits: SinglePathLimits, override?: number): RouteDecision {
  const estimate = estimateSinglePath(people, limits);
  const over = exceededLimits(estimate, limits);
  const n = people.toLocaleString('en-US');
  if (override !== undefined) {
    const distributed = people > override;
    return {
      path: distributed ? 'distributed' : 'single',
      reason: `${n} people (estimated from the customers table's size) ${distributed ? 'above' : 'at or below'} the configured threshold of ${override.toLocaleString('en-US')} (distributedAbove)`,
      estimatedPeople: people,
      threshold: override,
      thresholdSource: 'override',
      estimate,
    };
  }
  const threshold = singlePathThreshold(limits);
  return {
    path: over.length ? 'distributed' : 'single',
    reason: over.length
      ? `${n} people (estimated from the customers table's size): the single function would exceed ${Math.round(SINGLE_PATH_MARGIN * 100)}% of its limits (${over.join('; ')}); it takes up to ~${threshold.toLocaleString('en-US')}`
      : `${n} people (estimated from the customers table's size): within ${Math.round(SINGLE_PATH_MARGIN * 100)}% of the single function's limits, which take up to ~${threshold.toLocaleString('en-US')}`,
    estimatedPeople: people,
    threshold,
    thresholdSource: 'estimate',
    estimate,
  };
}
