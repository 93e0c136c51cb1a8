/**
 * The first step of a distributed run: check the input, list the export, size the run (partitions, buckets, the
 * sample's rate) from the estimated number of people, and write the items each Distributed Map reads. The plan the
 * state carries stays small whatever the export's size (the items are in S3).
 */
import { createHash } from 'node:crypto';
import { tableOfKey, type TableRole } from '../../core/distributed/shuffle';
import { SWEEP_SAMPLE } from '../../core/model/train';
import { PROVENANCE_FILES } from '../../core/olist/provenance';
import { artifactKeys, datasetPrefix } from '../datasets';
import { estimateRows } from '../route';
import { checkInt, runKeys, workOf, type DistributedDeps } from './common';

export interface RunInput {
  datasetId: string;
  /** Defaults to `<datasetId>-<time>`. */
  runId?: string;
  /** Feature partitions; default: one per `partitionPeople` estimated people. */
  partitions?: number;
  buckets?: number;
  /** Fixed k; unset = the stack's FIXED_K, else chosen by the rule on the sample. */
  k?: number;
  seed?: number;
  /** Share of the people in the sample (k choice, seeding, profiles, names); default: about SWEEP_SAMPLE people. */
  sampleRate?: number;
  maxIter?: number;
  tol?: number;
  /** The run's lease, handed over by ingest: the run record is updated under it. Unset for a manual start. */
  lease?: string;
  /** The model active when the run started: its segments keep their ids, its assignments give each customer's move. */
  previousVersion?: string;
  /** People per partition when `partitions` is not given (default PARTITION_PEOPLE). */
  partitionPeople?: number;
  /** People estimated by ingest (route.ts); otherwise estimated here the same way. */
  estimatedPeople?: number;
}

/** What every step receives: small, whatever the export's size. */
export interface Plan {
  runId: string;
  datasetId: string;
  rawPrefix: string;
  work: string;
  partitions: number;
  buckets: number;
  k: number | null;
  seed: number;
  sampleRate: number;
  maxIter: number;
  tol: number;
  /** SHA-256 over the input objects' keys and ETags: names the data the model is fitted on. */
  fingerprint: string;
  createdAt: string;
  people: number;
  previousVersion?: string;
  lease?: string;
  /** Keys (artifacts bucket) of the Distributed Maps' items. */
  items: { scatter: string; buckets: string; partitions: string };
}

/** One input of the scatter: an object of the export (a table or a chunk of one), or the previous assignments. */
export interface ScatterItem {
  key: string;
  source: 'raw' | 'artifacts';
  role: TableRole | 'previous';
  file: string;
  /** Position among the items in key order: spaces the customers records' ordinals apart. */
  index: number;
}

/** What the plan keeps beside it for the last step (never passed between states). */
export interface PlanDetails extends Plan {
  /** Bytes of each table of the export as uploaded (summed over its chunks). */
  tableBytes: Record<string, number>;
}

export const DEFAULTS = { seed: 20181017, maxIter: 100, tol: 1e-4, nInit: 10 } as const;
/** People per feature partition by default: a partition's features, Lloyd passes and writes stay well within one function. */
export const PARTITION_PEOPLE = 250_000;
export const MAX_PARTITIONS = 1000;

export async function planRun(deps: DistributedDeps, input: RunInput): Promise<Plan> {
  if (!input?.datasetId) throw new Error(`the distributed run expects {datasetId, ...}, got ${JSON.stringify(input)}`);
  const now = (deps.now ?? (() => new Date()))();
  const rawPrefix = datasetPrefix(input.datasetId);
  const listed = await deps.raw.list(rawPrefix);
  const objects = listed.filter((o) => tableOfKey(o.key).role !== 'ignored');
  const roles = new Set(objects.map((o) => tableOfKey(o.key).role));
  const missing = ['customers', 'orders', 'items', 'payments', 'reviews', 'dimension'].filter((r) => !roles.has(r as never));
  if (missing.length) throw new Error(`s3://${deps.raw.bucket}/${rawPrefix}: no object for table(s) ${missing.join(', ')}`);
  const fingerprint = createHash('sha256');
  for (const o of objects) fingerprint.update(`${o.key.slice(rawPrefix.length)}:${o.etag}\n`);

  let people = input.estimatedPeople;
  if (people === undefined) {
    people = 0;
    for (const o of objects.filter((x) => tableOfKey(x.key).role === 'customers')) people += await estimateRows(deps.raw, o.key, o.size);
  }
  const runId = input.runId ?? `${input.datasetId}-${now.toISOString().replace(/[-:.]/g, '')}`;
  const partitionPeople = checkInt('partitionPeople', input.partitionPeople ?? PARTITION_PEOPLE, 1, 1e9);
  const partitions = checkInt('partitions', input.partitions ?? Math.min(MAX_PARTITIONS, Math.max(1, Math.ceil(people / partitionPeople))), 1, 10_000);
  const buckets = checkInt('buckets', input.buckets ?? partitions, 1, 10_000);
  const sampleRate = input.sampleRate ?? Math.min(1, SWEEP_SAMPLE / Math.max(1, people));
  if (!(sampleRate > 0 && sampleRate <= 1)) throw new Error(`sampleRate must be in (0, 1], got ${sampleRate}`);
  const work = workOf(runId);
  const keys = runKeys(work);

  const items: ScatterItem[] = objects.map((o, index) => ({ key: o.key, source: 'raw', role: tableOfKey(o.key).role, file: tableOfKey(o.key).file!, index }));
  if (input.previousVersion) {
    const key = artifactKeys.assignments(input.previousVersion);
    // A previous model without assignments.csv (an older schema) gives no moves, as in the single path.
    if (await deps.artifacts.exists(key)) items.push({ key, source: 'artifacts', role: 'previous', file: 'assignments.csv', index: items.length });
  }
  const tableBytes: Record<string, number> = {};
  for (const o of objects) {
    const file = tableOfKey(o.key).file!;
    tableBytes[file] = (tableBytes[file] ?? 0) + o.size;
  }
  const sidecars: Record<string, string> = {};
  for (const file of PROVENANCE_FILES) {
    const o = listed.find((x) => x.key === rawPrefix + file);
    if (o) sidecars[file] = await deps.raw.getText(o.key);
  }

  const plan: Plan = {
    runId,
    datasetId: input.datasetId,
    rawPrefix,
    work,
    partitions,
    buckets,
    k: input.k === undefined || input.k === null ? null : checkInt('k', input.k, 2, 50),
    seed: input.seed ?? DEFAULTS.seed,
    sampleRate,
    maxIter: checkInt('maxIter', input.maxIter ?? DEFAULTS.maxIter, 1, 1000),
    tol: input.tol ?? DEFAULTS.tol,
    fingerprint: fingerprint.digest('hex'),
    createdAt: now.toISOString(),
    people,
    ...(input.previousVersion ? { previousVersion: input.previousVersion } : {}),
    ...(input.lease ? { lease: input.lease } : {}),
    items: keys.items,
  };
  await deps.artifacts.putJson(keys.items.scatter, items);
  await deps.artifacts.putJson(
    keys.items.buckets,
    Array.from({ length: buckets }, (_, q) => ({ q })),
  );
  await deps.artifacts.putJson(
    keys.items.partitions,
    Array.from({ length: partitions }, (_, p) => ({ p })),
  );
  await deps.artifacts.putJson(keys.sidecars, sidecars);
  await deps.artifacts.putJson(keys.plan, { ...plan, tableBytes } satisfies PlanDetails);
  deps.log.info('distributed run planned', { runId, objects: objects.length, people, partitions, buckets, sampleRate, previousVersion: input.previousVersion });
  return plan;
}
