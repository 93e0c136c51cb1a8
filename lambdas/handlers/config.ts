/**
 * Each function's environment, parsed once per container (at its first invocation: `configOf`) into a typed config,
 * so handlers and pipeline code take values, not names. Every name comes from the contract (lambdas/contract/env.ts),
 * which the stack imports to set them; a bad value fails the invocation with the variable and what was expected.
 * Unset values stay undefined where the pipeline has its own default (so the local stack and the tests run the
 * defaults AWS runs).
 */
import { COMMON_ENV, FUNCTION_ENV, ROUTE_ENV, TUNING_ENV, type EnvName } from '../contract/env';
import type { TrainOptions } from '../core/model/train';
import { leaseSettingsFromEnv, type LeaseSettings } from '../pipeline/lease';
import { keepVersionsFromEnv } from '../pipeline/retention';
import { DEPLOYED_LIMITS, type SinglePathLimits } from '../pipeline/route';

export type Env = Readonly<Record<string, string | undefined>>;

function raw(env: Env, name: EnvName): string | undefined {
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
}

/** A finite number, or undefined when unset. */
export function numberFromEnv(env: Env, name: EnvName): number | undefined {
  const v = raw(env, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`environment variable ${name}=${v} is not a number`);
  return n;
}

function positiveIntegerFromEnv(env: Env, name: EnvName): number | undefined {
  const n = numberFromEnv(env, name);
  if (n !== undefined && (!Number.isInteger(n) || n < 1)) throw new Error(`environment variable ${name}=${env[name]} is not a positive integer`);
  return n;
}

/** 'true' / 'false', or undefined when unset. */
function booleanFromEnv(env: Env, name: EnvName): boolean | undefined {
  const v = raw(env, name);
  if (v === undefined) return undefined;
  if (v !== 'true' && v !== 'false') throw new Error(`environment variable ${name}=${v} is not 'true' or 'false'`);
  return v === 'true';
}

/**
 * KMEANS_THREADS: 'auto' (unset) or a positive integer, the threads k-means may use in this function (the stack sets
 * it from the memory size: Lambda's CPU share, which the load average does not show).
 */
export function threadsFromEnv(env: Env): number | 'auto' {
  const v = raw(env, COMMON_ENV.kmeansThreads);
  if (v === undefined || v === 'auto') return 'auto';
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`environment variable ${COMMON_ENV.kmeansThreads}=${v} is not 'auto' or a positive integer`);
  return n;
}

/**
 * Cheaper trainings (local tests), for train and the distributed compute alike: TRAIN_SWEEP=false with FIXED_K fits
 * that k only, TRAIN_COMPARE=false skips the alternative algorithms. Unset: the full training.
 */
export function trainOptionsFromEnv(env: Env, fixedK: number | undefined): TrainOptions {
  // Without the sweep (a fixed k) the agreement of fits with other seeds is not measured either: one fit.
  const noSweep = booleanFromEnv(env, TUNING_ENV.trainSweep) === false && fixedK !== undefined;
  return {
    ...(noSweep ? { sweep: false, stabilityFits: 1 } : {}),
    compare: booleanFromEnv(env, TUNING_ENV.trainCompare) === false ? false : undefined,
  };
}

/** The routing's inputs (lib/constructs/distributed-pipeline.ts sets them; locally the deployed defaults). */
export interface RouteSettings {
  limits: SinglePathLimits;
  above?: number;
  partitionPeople?: number;
}

export function routeFromEnv(env: Env): RouteSettings {
  const json = raw(env, ROUTE_ENV.limits);
  let limits = DEPLOYED_LIMITS;
  if (json) {
    try {
      limits = { ...DEPLOYED_LIMITS, ...(JSON.parse(json) as Partial<SinglePathLimits>) };
    } catch {
      throw new Error(`environment variable ${ROUTE_ENV.limits} is not JSON: ${json}`);
    }
  }
  return { limits, above: numberFromEnv(env, ROUTE_ENV.above), partitionPeople: positiveIntegerFromEnv(env, ROUTE_ENV.partitionPeople) };
}

/** What ingest and the stability check load an export with (the same limits: the check reloads what ingest accepted). */
interface LoadLimits {
  maxUploadBytes?: number;
  maxInvalidRows?: number;
}

function loadLimitsFromEnv(env: Env): LoadLimits {
  return { maxUploadBytes: numberFromEnv(env, FUNCTION_ENV.maxUploadBytes), maxInvalidRows: numberFromEnv(env, FUNCTION_ENV.maxInvalidRows) };
}

export interface IngestConfig extends LoadLimits {
  route: RouteSettings;
  lease: LeaseSettings;
}

export function parseIngestConfig(env: Env): IngestConfig {
  return { ...loadLimitsFromEnv(env), route: routeFromEnv(env), lease: leaseSettingsFromEnv(env) };
}

/** The k-means work of a function: its threads, a fixed k, the training's options. */
interface FitSettings {
  kmeansThreads: number | 'auto';
  fixedK?: number;
  trainOptions: TrainOptions;
}

function fitSettingsFromEnv(env: Env): FitSettings {
  const fixedK = positiveIntegerFromEnv(env, FUNCTION_ENV.fixedK);
  return { kmeansThreads: threadsFromEnv(env), fixedK, trainOptions: trainOptionsFromEnv(env, fixedK) };
}

/** How a function writes assignments: its share of the table's write budget, and when it stops before its time limit. */
interface WriteSettings {
  /** Items/s (undefined: unthrottled, the local default). */
  writeRatePerSecond?: number;
  /** BatchWriteItem calls in flight (undefined: the writer's default). */
  writeConcurrency?: number;
  stopMarginMs?: number;
}

export interface TrainConfig extends FitSettings, WriteSettings {
  /** TRAIN_REPORTS=false skips the HTML pages (local tests). */
  reports: boolean;
  lease: LeaseSettings;
}

export function parseTrainConfig(env: Env): TrainConfig {
  const rate = numberFromEnv(env, FUNCTION_ENV.writeRatePerSecond);
  return {
    ...fitSettingsFromEnv(env),
    reports: booleanFromEnv(env, TUNING_ENV.trainReports) ?? true,
    writeRatePerSecond: rate,
    // The budget itself is a token bucket (writeRatePerSecond); concurrency only needs to be high enough to reach it
    // (~25 items per BatchWriteItem, ~10 calls/s per connection).
    writeConcurrency: rate ? Math.max(1, Math.min(16, Math.round(rate / 250))) : undefined,
    stopMarginMs: numberFromEnv(env, TUNING_ENV.writeStopMarginMs),
    lease: leaseSettingsFromEnv(env),
  };
}

export interface StabilityConfig extends LoadLimits {
  kmeansThreads: number | 'auto';
  ariThreshold?: number;
  cadenceDays?: number;
  autoRetrain: boolean;
  /**
   * Complete model versions the retention keeps after each check (besides the active one and its rollback target). A
   * bad KEEP_VERSIONS does not stop the check: the retention after it reports the error (handlers/retention.ts).
   */
  keepVersions: number | Error;
}

export function parseStabilityConfig(env: Env): StabilityConfig {
  return {
    ...loadLimitsFromEnv(env),
    kmeansThreads: threadsFromEnv(env),
    ariThreshold: numberFromEnv(env, FUNCTION_ENV.ariThreshold),
    cadenceDays: numberFromEnv(env, TUNING_ENV.cadenceDays),
    autoRetrain: booleanFromEnv(env, FUNCTION_ENV.autoRetrain) ?? false,
    keepVersions: orError(() => keepVersionsFromEnv(env)),
  };
}

function orError<T>(parse: () => T): T | Error {
  try {
    return parse();
  } catch (err) {
    return err as Error;
  }
}

export type ComputeConfig = FitSettings;

export function parseComputeConfig(env: Env): ComputeConfig {
  return fitSettingsFromEnv(env);
}

export interface PublishConfig {
  /** Writers the state machine runs at once (its write map's MaxConcurrency): they share the table's budget. */
  writers: number;
  /** This writer's share of the budget, items/s (undefined: unthrottled). */
  writeRatePerWriter?: number;
  writeConcurrency?: number;
  stopMarginMs?: number;
}

export function parsePublishConfig(env: Env): PublishConfig {
  const rate = numberFromEnv(env, FUNCTION_ENV.writeRatePerSecond);
  const writers = positiveIntegerFromEnv(env, FUNCTION_ENV.writers) ?? 1;
  return {
    writers,
    writeRatePerWriter: rate ? rate / writers : undefined,
    // Enough calls in flight to reach the writer's share with margin (~250 items/s per connection against DynamoDB,
    // so two per 250 items/s); the token bucket, not the concurrency, holds the rate down.
    writeConcurrency: rate ? Math.max(2, Math.min(8, Math.ceil(rate / writers / 125))) : undefined,
    stopMarginMs: numberFromEnv(env, TUNING_ENV.writeStopMarginMs),
  };
}

/** Every function's parser, by handler (test/infra/contract.test.ts runs each and checks the names it reads). */
export const CONFIG_PARSERS = {
  ingest: parseIngestConfig,
  train: parseTrainConfig,
  stability: parseStabilityConfig,
  'distributed/compute': parseComputeConfig,
  'distributed/publish': parsePublishConfig,
} as const;

const parsed = new WeakMap<object, Map<unknown, unknown>>();

/**
 * The config of the function whose runtime is `rt`, parsed from its environment at the first call and kept for the
 * runtime's life (a Lambda container's; the local stack makes a new runtime when a function's environment changes).
 */
export function configOf<C>(rt: { env: Env }, parse: (env: Env) => C): C {
  let byParser = parsed.get(rt);
  if (!byParser) parsed.set(rt, (byParser = new Map()));
  if (!byParser.has(parse)) byParser.set(parse, parse(rt.env));
  return byParser.get(parse) as C;
}
