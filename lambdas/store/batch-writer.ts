/**
 * BatchWriteItem for any number of requests: batches of 25, a bounded number in flight, and retries of
 * UnprocessedItems and throttling errors with full-jitter exponential backoff up to a maximum number of
 * attempts per batch, then a BatchWriteError that says how far it got.
 *
 * The SDK client retries throttled calls itself (3 attempts by default) below this loop; this loop adds
 * the retries the SDK never does (UnprocessedItems) and a larger budget for sustained throttling.
 */
import { BatchWriteItemCommand, type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import type { RateLimiter } from '../core/util/tokenBucket';
import { BatchWriteError } from './errors';

export const BATCH_SIZE = 25;

export interface RetryOptions {
  /** Attempts per batch (first try included) before BatchWriteError. Default 10. */
  maxAttempts?: number;
  /** Full-jitter exponential backoff: delay = random(0, min(maxDelayMs, baseDelayMs * 2^attempt)). Defaults 50 / 5000. */
  baseDelayMs?: number;
  maxDelayMs?: number;
}

const RETRYABLE = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'LimitExceededException',
]);

export function isRetryableDynamoError(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  if (e?.name && RETRYABLE.has(e.name)) return true;
  const status = e?.$metadata?.httpStatusCode;
  return status !== undefined && status >= 500;
}

export interface BatchWriteOptions {
  concurrency?: number;
  retry?: RetryOptions;
  /** Called after each batch is fully written. */
  onBatch?: (progress: { written: number; total: number; batches: number; retries: number }) => void;
  /** Names the operation in error messages. */
  label?: string;
  /**
   * Write budget shared by the workers: every send (retries included, they consume capacity too) first takes
   * as many tokens as it carries items. Throttling and UnprocessedItems are still retried with backoff below it.
   */
  limiter?: RateLimiter;
  /**
   * Asked before each new batch: true stops the write there (the batches in flight finish). The result's `next` is
   * then the index of the first request not written, and every request before it is written: a later call from
   * `next` finishes the write (a function that meets its time limit, lambdas/pipeline/train.ts).
   */
  shouldStop?: () => boolean;
  /** Injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export interface BatchWriteResult {
  written: number;
  batches: number;
  retries: number;
  /** Index of the first request not written: requests.length when the write is complete. */
  next: number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Full jitter: uniform in [0, min(max, base * 2^attempt)]. */
export function backoffDelay(attempt: number, retry: RetryOptions, random: () => number = Math.random): number {
  const base = retry.baseDelayMs ?? 50;
  const max = retry.maxDelayMs ?? 5000;
  return Math.floor(random() * Math.min(max, base * 2 ** attempt));
}

class RetriesExhausted extends Error {
  constructor(
    readonly attempts: number,
    readonly pending: number,
    readonly last: string,
    readonly lastError: unknown,
  ) {
    super(last);
  }
}

export async function batchWrite(
  client: DynamoDBClient,
  tableName: string,
  requests: readonly WriteRequest[],
  options: BatchWriteOptions = {},
): Promise<BatchWriteResult> {
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 8));
  const retry = options.retry ?? {};
  const maxAttempts = Math.max(1, retry.maxAttempts ?? 10);
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  const label = options.label ?? 'batch write';
  const total = requests.length;

  let next = 0;
  let written = 0;
  let batches = 0;
  let retries = 0;
  let failure: unknown;

  const writeOne = async (batch: WriteRequest[]): Promise<void> => {
    let pending = batch;
    for (let attempt = 1; ; attempt++) {
      let last: string;
      let lastError: unknown;
      try {
        await options.limiter?.acquire(pending.length);
        const res = await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }));
        const unprocessed = res.UnprocessedItems?.[tableName] ?? [];
        written += pending.length - unprocessed.length;
        if (unprocessed.length === 0) return;
        pending = unprocessed;
        last = `${unprocessed.length} UnprocessedItems`;
      } catch (err) {
        if (!isRetryableDynamoError(err)) throw err;
        lastError = err;
        last = `${(err as Error).name}: ${(err as Error).message}`;
      }
      if (attempt >= maxAttempts) throw new RetriesExhausted(attempt, pending.length, last, lastError);
      retries++;
      await sleep(backoffDelay(attempt, retry, random));
    }
  };

  let stopped = false;
  const worker = async () => {
    while (failure === undefined && next * BATCH_SIZE < total) {
      // Every call writes at least one batch before it may stop, so that a chain of calls always progresses.
      if (stopped || (next > 0 && options.shouldStop?.())) {
        stopped = true;
        return;
      }
      const start = next++ * BATCH_SIZE;
      const batch = requests.slice(start, start + BATCH_SIZE) as WriteRequest[];
      try {
        await writeOne(batch);
        batches++;
        options.onBatch?.({ written, total, batches, retries });
      } catch (err) {
        failure ??= err;
      }
    }
  };

  await Promise.all(Array.from({ length: Math.min(concurrency, Math.ceil(total / BATCH_SIZE)) }, worker));

  if (failure !== undefined) {
    if (failure instanceof RetriesExhausted) {
      throw new BatchWriteError(
        `${label}: a batch still had ${failure.pending} unwritten item(s) after ${failure.attempts} attempts (last: ${failure.last}); ` +
          `${written} of ${total} items written. Re-running is safe (puts are idempotent).`,
        { attempts: failure.attempts, pendingItems: failure.pending, writtenItems: written, totalItems: total },
        { cause: failure.lastError },
      );
    }
    throw failure;
  }
  return { written, batches, retries, next: Math.min(total, next * BATCH_SIZE) };
}
