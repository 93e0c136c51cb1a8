/**
 * What the distributed path's steps share: their dependencies, the layout of a run's objects under work/<run>/, and
 * small helpers over the BlobStore. Layout (artifacts bucket):
 *
 *   work/<run>/plan.json, sidecars.json                    the run's parameters and the export's provenance files
 *   work/<run>/items/{scatter,buckets,partitions}.json     the Distributed Maps' items (read by their ItemReader)
 *   work/<run>/scatter/part/<p>/<table|ordinals|previous>/s-<id>-<n>.csv   customers rows, first positions, previous segments
 *   work/<run>/scatter/a/<q>/{routes,orders}/s-<id>-<n>.csv   pass A inputs (bucket q of customer_id)
 *   work/<run>/scatter/b/<q>/<table>/s-<id>-<n>.csv        pass B inputs (bucket q of order_id): items, payments, reviews
 *   work/<run>/scatter/dim/<table>/s-<id>.csv              dimension tables (read whole by every partition)
 *   work/<run>/a/..., work/<run>/b/...                     the joins' outputs per partition, routes of pass B, stats
 *   work/<run>/features/p-<p>.bin                          the partition's feature table (features/serialize.ts format)
 *   work/<run>/fit/p-<p>.json, stats/p-<p>.json            its moments, counts and sample; its exploration statistics
 *   work/<run>/fit/train.json, kmeans/state.json           the training on the sample; k, transforms, tolerance
 *   work/<run>/kmeans/it-<t>/centroids.json, .../partials/p-<p>.json
 *   work/<run>/model/draft.json                            the drafted model and its match to the previous one
 *   work/<run>/written/p-<p>.json                          what partition p's writer wrote (counts, moves)
 *   work/<run>/assignments/p-<p>.csv                       its part of the model's assignments.csv
 *   work/<run>/exports/<segment>/p-<p>.csv                 its part of each segment's campaign list (campaign-lists.ts)
 *
 * `<id>` of a scatter output comes from the input object's key and `<n>` from the order of the pieces, so a retried
 * task overwrites its own outputs instead of duplicating rows; every step is safe to retry. The state carries only
 * keys and small numbers (Step Functions payloads are limited to 256 KB).
 */
import type { Readable } from 'node:stream';
import { eachRecord } from '../../core/distributed/shuffle';
import type { TrainOptions } from '../../core/model/train';
import type { BlobStore } from '../../store/blob-store';
import type { Suppression } from '../../store/personal-data';
import type { AssignmentWriter, ModelStore, RunStore } from '../../store/segment-store';
import type { Log } from '../log';
import { PUBLISH_WORK_OUTPUTS, WORK_PREFIX } from './layout';

export interface DistributedDeps {
  raw: BlobStore;
  artifacts: BlobStore;
  log: Log;
  now?: () => Date;
  /** FIXED_K of the stack (a fixed k when the run's input names none). */
  fixedK?: number;
  /** Cheaper trainings in local tests (TRAIN_SWEEP / TRAIN_COMPARE, trainOptions of the local stack). */
  trainOptions?: TrainOptions;
  /** The suppression list (people forgotten on request: store/personal-data.ts), read by each partition's features
   * step; unset: nobody is left out. */
  suppression?: () => Promise<Suppression>;
}

export interface PublishDeps extends DistributedDeps {
  segments: ModelStore & AssignmentWriter & RunStore;
  /** "Segmentation model activated" after the activation (activation-event.ts); unset: no event. */
  publishEvent?: (detailType: string, detail: Record<string, unknown>) => Promise<void>;
  tableName?: string;
  /** Items per second for ONE writer (the state machine divides the table budget by the writers' MaxConcurrency). */
  writeRatePerWriter?: number;
  writeConcurrency?: number;
  /** The invocation's remaining time (Lambda context); a writer stops before its limit and is invoked again. */
  remainingMs?: () => number;
  /** Stop writing when less than this remains (WRITE_STOP_MARGIN_MS). */
  stopMarginMs?: number;
}

export const pad = (n: number) => String(n).padStart(5, '0');

export const runKeys = (work: string) => ({
  plan: `${work}plan.json`,
  sidecars: `${work}sidecars.json`,
  items: { scatter: `${work}items/scatter.json`, buckets: `${work}items/buckets.json`, partitions: `${work}items/partitions.json` },
  scatterPart: (p: number, what: string, id: string, n: number) => `${work}scatter/part/${pad(p)}/${what}/s-${id}-${pad(n)}.csv`,
  scatterA: (q: number, kind: 'routes' | 'orders', id: string, n: number) => `${work}scatter/a/${pad(q)}/${kind}/s-${id}-${pad(n)}.csv`,
  scatterB: (q: number, file: string, id: string, n: number) => `${work}scatter/b/${pad(q)}/${file}/s-${id}-${pad(n)}.csv`,
  dim: (file: string, id: string) => `${work}scatter/dim/${file}/s-${id}.csv`,
  partPrefix: (p: number) => `${work}scatter/part/${pad(p)}/`,
  aPart: (p: number, file: string, q: number) => `${work}a/part/${pad(p)}/${file}/a-${pad(q)}.csv`,
  aRoutes: (q2: number, q: number) => `${work}a/routes/${pad(q2)}/a-${pad(q)}.csv`,
  aStats: (q: number) => `${work}a/stats/a-${pad(q)}.json`,
  bPart: (p: number, file: string, q: number) => `${work}b/part/${pad(p)}/${file}/b-${pad(q)}.csv`,
  bStats: (q: number) => `${work}b/stats/b-${pad(q)}.json`,
  features: (p: number) => `${work}features/p-${pad(p)}.bin`,
  fit: (p: number) => `${work}fit/p-${pad(p)}.json`,
  stats: (p: number) => `${work}stats/p-${pad(p)}.json`,
  train: `${work}fit/train.json`,
  state: `${work}kmeans/state.json`,
  centroids: (t: number) => `${work}kmeans/it-${pad(t)}/centroids.json`,
  partial: (t: number, p: number) => `${work}kmeans/it-${pad(t)}/partials/p-${pad(p)}.json`,
  draft: `${work}${PUBLISH_WORK_OUTPUTS.model}/draft.json`,
  written: (p: number) => `${work}${PUBLISH_WORK_OUTPUTS.written}/p-${pad(p)}.json`,
  assignmentsPart: (p: number) => `${work}${PUBLISH_WORK_OUTPUTS.assignments}/p-${pad(p)}.csv`,
  campaignPart: (segmentId: number, p: number) => `${work}${PUBLISH_WORK_OUTPUTS.exports}/${segmentId}/p-${pad(p)}.csv`,
});

export const workOf = (runId: string) => `${WORK_PREFIX}${runId}/`;

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
  return Buffer.concat(chunks);
}

export async function texts(store: BlobStore, prefix: string): Promise<string[]> {
  const objects = await store.list(prefix);
  return Promise.all(objects.map((o) => store.getText(o.key)));
}

/** Exactly `count` objects under prefix, else a clear error (a missing partial must never be silently ignored). */
export async function expectObjects(store: BlobStore, prefix: string, count: number, what: string): Promise<string[]> {
  const objects = await store.list(prefix);
  if (objects.length !== count) throw new Error(`${what}: expected ${count} objects under s3://${store.bucket}/${prefix}, found ${objects.length}`);
  return objects.map((o) => o.key);
}

/** Puts several texts, `parallel` at a time. */
export async function putAll(store: BlobStore, puts: [string, string][], parallel = 8): Promise<void> {
  for (let i = 0; i < puts.length; i += parallel) {
    await Promise.all(puts.slice(i, i + parallel).map(([key, text]) => store.putText(key, text, { contentType: 'text/csv' })));
  }
}

/**
 * `key,number` lines (the key CSV-quoted when needed) of several texts with the given header, as a map; a key seen
 * twice keeps combine(old, new).
 */
export function keyedNumbers(textsWithHeader: readonly string[], header: string, combine: (a: number, b: number) => number = (_, b) => b): Map<string, number> {
  const out = new Map<string, number>();
  for (const [i, text] of textsWithHeader.entries()) {
    const onHeader = (columns: string[]) => {
      if (columns.join(',') !== header) throw new Error(`part ${i}: expected the header "${header}", got "${columns.join(',')}"`);
    };
    eachRecord(text, `part ${i} of ${header}`, onHeader, (f) => {
      const value = Number(f[1]);
      const known = out.get(f[0]);
      out.set(f[0], known === undefined ? value : combine(known, value));
    });
  }
  return out;
}

export function checkInt(name: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) throw new Error(`${name} must be an integer in [${min}, ${max}], got ${v}`);
  return v;
}
