/**
 * Deployment configuration of the segmentation stack: defaults, parsing from CDK context, validation.
 *
 * Every knob can be set as a stack prop (tests, other apps) or as CDK context (cdk.json or
 * `npx cdk synth -c ariThreshold=0.75`). Context values given on the command line arrive as strings,
 * so everything is parsed and validated here, once, before any construct is created.
 */
import type { Node } from 'constructs';

export interface LambdaMemoryConfig {
  /** Memory (MB) of the ingest function: streams the Olist CSV tables and builds customer features. */
  readonly ingest: number;
  /** Memory (MB) of the train function: transforms, k sweep, clustering (CPU bound: more memory = more vCPU). */
  readonly train: number;
  /** Memory (MB) of the stability function: one fresh fit + ARI against the active model. 1769 MB = 1 full vCPU. */
  readonly stability: number;
}

export interface SegmentationConfig {
  /** EventBridge schedule expression of the stability check, `rate(...)` or `cron(...)`. */
  readonly scheduleRate: string;
  /** Adjusted Rand index below which the active model is considered unstable (0 < x <= 1). */
  readonly ariThreshold: number;
  /** Fixed number of segments; undefined = choose k with the sweep. */
  readonly k?: number;
  readonly lambdaMemoryMb: LambdaMemoryConfig;
  /** Uploads above this size are rejected by ingest (reported under errors/), in bytes. */
  readonly maxUploadBytes: number;
  /**
   * Row tolerance per file (MAX_INVALID_ROWS of ingest and stability): invalid rows skipped and counted (run
   * record, summary) before the dataset is rejected. 0 rejects at the first invalid row.
   */
  readonly maxInvalidRows: number;
  /** When true, the stability function may start a retraining (it is granted lambda:InvokeFunction on train). */
  readonly autoRetrain: boolean;
  /** Write budget of the assignment writer, in items per second (the train function throttles itself to it). */
  readonly assignmentWriteRate: number;
  /**
   * Reserve concurrency 1 for train and stability (serialises ACTIVE pointer flips and keeps the write
   * budget global). Set false only in accounts whose concurrency quota is too low to reserve any (new/sandbox accounts).
   */
  readonly reserveConcurrency: boolean;
  /**
   * Route exports above this many people (estimated from the customers table's size) to the distributed path
   * (lib/constructs/distributed-pipeline.ts, always deployed); undefined = ingest's estimate of what the single
   * function can train and write within its limits decides (lambdas/pipeline/route.ts).
   */
  readonly distributedAbove?: number;
  /**
   * Retention (KEEP_VERSIONS of the stability function, lambdas/core/retention/plan.ts): complete model versions kept
   * in the table besides the active one and its rollback target; older superseded versions and abandoned drafts are
   * deleted after each scheduled check. Their S3 artifacts stay.
   */
  readonly keepVersions: number;
  /** Days raw exports (incoming/ of the raw bucket) are kept; then deleted, older versions 30 days later. */
  readonly retainIncomingDays: number;
  /** Days feature tables, dataset facts (features/) and error reports (errors/) of the artifacts bucket are kept. */
  readonly retainFeaturesDays: number;
  /** Days a model version's per-customer artifacts (assignments.csv) are kept once a newer version is active. */
  readonly retainSupersededDays: number;
}

export const DEFAULT_CONFIG: SegmentationConfig = {
  scheduleRate: 'rate(7 days)',
  ariThreshold: 0.8,
  k: undefined,
  lambdaMemoryMb: { ingest: 2048, train: 3008, stability: 1769 },
  maxUploadBytes: 256 * 1024 * 1024,
  maxInvalidRows: 0,
  autoRetrain: false,
  assignmentWriteRate: 1000,
  reserveConcurrency: true,
  distributedAbove: undefined,
  keepVersions: 3,
  retainIncomingDays: 90,
  retainFeaturesDays: 90,
  retainSupersededDays: 30,
};

/** The context keys read by {@link configFromContext} (same names as the props). */
export const CONTEXT_KEYS = [
  'scheduleRate',
  'ariThreshold',
  'k',
  'lambdaMemoryMb',
  'maxUploadBytes',
  'maxInvalidRows',
  'autoRetrain',
  'assignmentWriteRate',
  'reserveConcurrency',
  'distributedAbove',
  'keepVersions',
  'retainIncomingDays',
  'retainFeaturesDays',
  'retainSupersededDays',
] as const;

export type SegmentationConfigInput = Partial<Omit<SegmentationConfig, 'lambdaMemoryMb'>> & {
  readonly lambdaMemoryMb?: Partial<LambdaMemoryConfig>;
};

const isUnset = (v: unknown): boolean => v === undefined || v === null || v === '';

function toNumber(key: string, v: unknown): number | undefined {
  if (isUnset(v)) return undefined;
  const n = typeof v === 'number' ? v : Number(String(v).trim());
  if (!Number.isFinite(n)) throw new Error(`Invalid ${key}: ${JSON.stringify(v)} is not a number`);
  return n;
}

function toBoolean(key: string, v: unknown): boolean | undefined {
  if (isUnset(v)) return undefined;
  if (typeof v === 'boolean') return v;
  const s = String(v).trim().toLowerCase();
  if (s === 'true') return true;
  if (s === 'false') return false;
  throw new Error(`Invalid ${key}: ${JSON.stringify(v)} is not true/false`);
}

function toMemory(v: unknown): Partial<LambdaMemoryConfig> | undefined {
  if (isUnset(v)) return undefined;
  const obj = typeof v === 'string' ? (JSON.parse(v) as unknown) : v;
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    throw new Error(`Invalid lambdaMemoryMb: expected an object like {"train":3008}, got ${JSON.stringify(v)}`);
  }
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(obj)) {
    if (!['ingest', 'train', 'stability'].includes(name)) throw new Error(`Invalid lambdaMemoryMb: unknown function "${name}"`);
    const n = toNumber(`lambdaMemoryMb.${name}`, value);
    if (n !== undefined) out[name] = n;
  }
  return out;
}

/** Reads the configuration from CDK context (cdk.json or -c); missing keys stay undefined (defaults apply later). */
export function configFromContext(node: Node): SegmentationConfigInput {
  const get = (key: (typeof CONTEXT_KEYS)[number]): unknown => node.tryGetContext(key);
  const k = get('k');
  return {
    scheduleRate: isUnset(get('scheduleRate')) ? undefined : String(get('scheduleRate')).trim(),
    ariThreshold: toNumber('ariThreshold', get('ariThreshold')),
    k: typeof k === 'string' && k.trim().toLowerCase() === 'auto' ? undefined : toNumber('k', k),
    lambdaMemoryMb: toMemory(get('lambdaMemoryMb')),
    maxUploadBytes: toNumber('maxUploadBytes', get('maxUploadBytes')),
    maxInvalidRows: toNumber('maxInvalidRows', get('maxInvalidRows')),
    autoRetrain: toBoolean('autoRetrain', get('autoRetrain')),
    assignmentWriteRate: toNumber('assignmentWriteRate', get('assignmentWriteRate')),
    reserveConcurrency: toBoolean('reserveConcurrency', get('reserveConcurrency')),
    distributedAbove: toNumber('distributedAbove', get('distributedAbove')),
    keepVersions: toNumber('keepVersions', get('keepVersions')),
    retainIncomingDays: toNumber('retainIncomingDays', get('retainIncomingDays')),
    retainFeaturesDays: toNumber('retainFeaturesDays', get('retainFeaturesDays')),
    retainSupersededDays: toNumber('retainSupersededDays', get('retainSupersededDays')),
  };
}

const RATE = /^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$/;
const CRON = /^cron\(\s*\S+(\s+\S+){5}\s*\)$/;

function checkInt(errors: string[], key: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) errors.push(`${key} must be an integer in [${min}, ${max}], got ${v}`);
}

/** Merges the input over the defaults and validates everything; throws one error listing every problem. */
export function resolveConfig(input: SegmentationConfigInput = {}): SegmentationConfig {
  const pick = <T>(v: T | undefined, d: T): T => (v === undefined ? d : v);
  const config: SegmentationConfig = {
    scheduleRate: pick(input.scheduleRate, DEFAULT_CONFIG.scheduleRate),
    ariThreshold: pick(input.ariThreshold, DEFAULT_CONFIG.ariThreshold),
    k: input.k,
    lambdaMemoryMb: {
      ingest: pick(input.lambdaMemoryMb?.ingest, DEFAULT_CONFIG.lambdaMemoryMb.ingest),
      train: pick(input.lambdaMemoryMb?.train, DEFAULT_CONFIG.lambdaMemoryMb.train),
      stability: pick(input.lambdaMemoryMb?.stability, DEFAULT_CONFIG.lambdaMemoryMb.stability),
    },
    maxUploadBytes: pick(input.maxUploadBytes, DEFAULT_CONFIG.maxUploadBytes),
    maxInvalidRows: pick(input.maxInvalidRows, DEFAULT_CONFIG.maxInvalidRows),
    autoRetrain: pick(input.autoRetrain, DEFAULT_CONFIG.autoRetrain),
    assignmentWriteRate: pick(input.assignmentWriteRate, DEFAULT_CONFIG.assignmentWriteRate),
    reserveConcurrency: pick(input.reserveConcurrency, DEFAULT_CONFIG.reserveConcurrency),
    distributedAbove: input.distributedAbove,
    keepVersions: pick(input.keepVersions, DEFAULT_CONFIG.keepVersions),
    retainIncomingDays: pick(input.retainIncomingDays, DEFAULT_CONFIG.retainIncomingDays),
    retainFeaturesDays: pick(input.retainFeaturesDays, DEFAULT_CONFIG.retainFeaturesDays),
    retainSupersededDays: pick(input.retainSupersededDays, DEFAULT_CONFIG.retainSupersededDays),
  };

  const errors: string[] = [];
  const rate = RATE.exec(config.scheduleRate);
  if (rate) {
    const value = Number(rate[1]);
    const singular = !rate[2].endsWith('s');
    if (value < 1) errors.push(`scheduleRate value must be >= 1, got "${config.scheduleRate}"`);
    // EventBridge rejects "rate(1 days)" and "rate(7 day)".
    if (value === 1 && !singular) errors.push(`scheduleRate must use the singular unit for 1, e.g. "rate(1 day)", got "${config.scheduleRate}"`);
    if (value > 1 && singular) errors.push(`scheduleRate must use a plural unit for values > 1, e.g. "rate(7 days)", got "${config.scheduleRate}"`);
  } else if (!CRON.test(config.scheduleRate)) {
    errors.push(`scheduleRate must be "rate(<n> <unit>)" or "cron(<6 fields>)", got "${config.scheduleRate}"`);
  }
  if (!(config.ariThreshold > 0 && config.ariThreshold <= 1)) errors.push(`ariThreshold must be in (0, 1], got ${config.ariThreshold}`);
  if (config.k !== undefined) checkInt(errors, 'k', config.k, 2, 50);
  for (const [name, mb] of Object.entries(config.lambdaMemoryMb)) checkInt(errors, `lambdaMemoryMb.${name}`, mb, 128, 10240);
  checkInt(errors, 'maxUploadBytes', config.maxUploadBytes, 1, 5 * 1024 ** 3);
  checkInt(errors, 'maxInvalidRows', config.maxInvalidRows, 0, 1_000_000);
  checkInt(errors, 'assignmentWriteRate', config.assignmentWriteRate, 1, 40000);
  checkInt(errors, 'keepVersions', config.keepVersions, 1, 100);
  // The stability check reloads the latest raw export: it must outlive the check cadence by far.
  checkInt(errors, 'retainIncomingDays', config.retainIncomingDays, 7, 3650);
  checkInt(errors, 'retainFeaturesDays', config.retainFeaturesDays, 7, 3650);
  checkInt(errors, 'retainSupersededDays', config.retainSupersededDays, 1, 3650);
  if (config.distributedAbove !== undefined) checkInt(errors, 'distributedAbove', config.distributedAbove, 0, 1e10);
  if (errors.length > 0) throw new Error(`Invalid segmentation stack configuration:\n - ${errors.join('\n - ')}`);
  return config;
}
