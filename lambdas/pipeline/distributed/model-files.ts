/**
 * The files of a model trained on the distributed path, the same as a single training writes beside model.json:
 * assignments.csv (each writer writes its partition's part under work/<run>/assignments/, the activation joins them
 * in partition order, streamed), transitions.json (merged from the writers' counts of moves), and what the weekly
 * check reads (distribution.json, from the run's sample: up to 200,000 people drawn uniformly, plenty for decile edges).
 */
import { Readable } from 'node:stream';
import type { FeatureTable } from '../../core/features/customerFeatures';
import { assignmentsCsv } from '../../core/model/assignmentsCsv';
import type { SegmentModel } from '../../core/domain/types';
import type { TransitionMatrix } from '../../core/stability/matching';
import type { BlobStore } from '../../store/blob-store';

/** One partition's lines of assignments.csv (with the header, so each part is a valid CSV on its own). */
export async function writeAssignmentsPart(
  store: BlobStore,
  key: string,
  people: { model: SegmentModel; features: FeatureTable; labels: Int32Array; ruleLabels: Int32Array },
  pca2d: Float64Array,
): Promise<void> {
  await store.putStream(key, Readable.from(assignmentsCsv(people, pca2d)), { contentType: 'text/csv' });
}

/** The parts' lines one after the other, the header once: streamed from S3 to S3 (multipart), never held whole. */
async function* joined(store: BlobStore, partKeys: string[]): AsyncGenerator<Buffer> {
  for (const [i, key] of partKeys.entries()) {
    let header = i > 0;
    for await (const chunk of await store.get(key)) {
      let bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
      if (header) {
        const newline = bytes.indexOf(10);
        if (newline < 0) continue;
        bytes = bytes.subarray(newline + 1);
        header = false;
      }
      if (bytes.length) yield bytes;
    }
  }
}

export async function joinAssignmentParts(store: BlobStore, target: string, partKeys: string[]): Promise<void> {
  await store.putStream(target, Readable.from(joined(store, partKeys)), { contentType: 'text/csv' });
}

/** What one writer counts of the moves between the previous model and this one (mergeable: sums). */
export interface MovesPart {
  /** "from>to" -> customers (previous segment id > new segment id). */
  pairs: Record<string, number>;
  /** New segment id -> customers without a previous segment. */
  entered: Record<string, number>;
  /** Previous segment id -> previous customers absent from this version. */
  left: Record<string, number>;
}

export function movesOf(ids: readonly string[], segments: ArrayLike<number>, previous: ReadonlyMap<string, number>): MovesPart {
  const out: MovesPart = { pairs: {}, entered: {}, left: {} };
  const present = new Set<string>();
  ids.forEach((id, i) => {
    present.add(id);
    const from = previous.get(id);
    const to = segments[i];
    if (from === undefined) out.entered[to] = (out.entered[to] ?? 0) + 1;
    else out.pairs[`${from}>${to}`] = (out.pairs[`${from}>${to}`] ?? 0) + 1;
  });
  for (const [id, from] of previous) if (!present.has(id)) out.left[from] = (out.left[from] ?? 0) + 1;
  return out;
}

export function mergeMoves(parts: readonly MovesPart[]): MovesPart {
  const out: MovesPart = { pairs: {}, entered: {}, left: {} };
  for (const p of parts) for (const field of ['pairs', 'entered', 'left'] as const) for (const [k, n] of Object.entries(p[field])) out[field][k] = (out[field][k] ?? 0) + n;
  return out;
}

/** The transition matrix (stability/matching.ts transitionMatrix's shape) from merged moves. */
export function transitionsOfMoves(m: MovesPart): TransitionMatrix {
  const pairs = Object.entries(m.pairs).map(([k, n]) => [...k.split('>').map(Number), n] as [number, number, number]);
  const fromIds = [...new Set([...pairs.map((p) => p[0]), ...Object.keys(m.left).map(Number)])].sort((a, b) => a - b);
  const toIds = [...new Set([...pairs.map((p) => p[1]), ...Object.keys(m.entered).map(Number)])].sort((a, b) => a - b);
  const counts = fromIds.map(() => new Array<number>(toIds.length).fill(0));
  let stayed = 0;
  let moved = 0;
  for (const [from, to, n] of pairs) {
    counts[fromIds.indexOf(from)][toIds.indexOf(to)] += n;
    if (from === to) stayed += n;
    else moved += n;
  }
  const numbered = (r: Record<string, number>) => Object.fromEntries(Object.entries(r).map(([k, n]) => [Number(k), n]));
  return { fromIds, toIds, counts, entered: numbered(m.entered), left: numbered(m.left), stayed, moved };
}
