/**
 * The campaign lists of a model version: one CSV per segment under `exports/<version>/` in the artifacts bucket
 * (core/model/campaignList.ts: columns and order), then `manifest.json` with each file's rows, bytes and SHA-256. Written
 * by training before the version is activated, so that the lists are there when readers switch and the activation event
 * ("Segmentation model activated", detail.artifacts.exports) can name the manifest.
 *
 * One function for every path that activates a version: the single-function training calls it with the assignments it
 * is about to write (lambdas/pipeline/train.ts); the distributed path is meant to call it the same way.
 *
 * A deletion request rewrites the files that name the person (lambdas/pipeline/forget.ts) and then the manifest's
 * counts and checksums (refreshManifest).
 */
import { Readable } from 'node:stream';
import { parseCsvText } from '../core/distributed/shuffle';
import { BORDERLINE_MARGIN, MARGIN_RULE } from '../core/model/margin';
import { CAMPAIGN_COLUMNS, CAMPAIGN_ORDER, campaignCsv, campaignOrder, FileTally, sha256Hex, type CampaignFile, type CampaignManifest } from '../core/model/campaignList';
import type { CustomerAssignment, SegmentModel } from '../core/domain/types';
import type { BlobStore } from '../store/blob-store';
import { EXPORTS_PREFIX } from './datasets';

export const exportKeys = {
  dir: (version: string) => `${EXPORTS_PREFIX}${version}/`,
  segment: (version: string, segmentId: number) => `${EXPORTS_PREFIX}${version}/segment-${segmentId}.csv`,
  manifest: (version: string) => `${EXPORTS_PREFIX}${version}/manifest.json`,
};

/**
 * Writes one file per segment of the model (every segment, an empty one as a header only) and the manifest last.
 * `assignments` are the version's, as written to the table.
 */
export async function writeCampaignLists(
  store: Pick<BlobStore, 'putStream' | 'putJson'>,
  model: SegmentModel,
  assignments: readonly CustomerAssignment[],
  now: Date = new Date(),
): Promise<{ key: string; manifest: CampaignManifest }> {
  const members = new Map<number, number[]>(model.segments.map((s) => [s.id, []]));
  assignments.forEach((a, i) => {
    const list = members.get(a.segmentId);
    if (!list) throw new Error(`assignment of ${a.customerId}: segment ${a.segmentId} is not a segment of model ${model.version}`);
    list.push(i);
  });
  const files: CampaignFile[] = [];
  for (const segment of model.segments) {
    const rows = members.get(segment.id)!.sort((a, b) => campaignOrder(assignments[a], assignments[b]));
    const key = exportKeys.segment(model.version, segment.id);
    const tally = new FileTally();
    const chunks = campaignCsv(
      (function* () {
        for (const i of rows) yield assignments[i];
      })(),
      segment,
    );
    await store.putStream(key, Readable.from((function* () {
      for (const chunk of chunks) yield tally.add(chunk);
    })()), { contentType: 'text/csv; charset=utf-8' });
    files.push({ segmentId: segment.id, name: segment.name, kind: segment.kind, action: segment.action, key, rows: rows.length, bytes: tally.bytes, sha256: tally.sha256() });
  }
  const manifest: CampaignManifest = {
    format: 'segments-campaign-lists',
    formatVersion: 1,
    modelVersion: model.version,
    asOf: model.asOf,
    writtenAt: now.toISOString(),
    columns: [...CAMPAIGN_COLUMNS],
    order: CAMPAIGN_ORDER,
    margin: { rule: MARGIN_RULE, borderlineBelow: BORDERLINE_MARGIN },
    files,
    rows: files.reduce((n, f) => n + f.rows, 0),
  };
  const key = exportKeys.manifest(model.version);
  await store.putJson(key, manifest);
  return { key, manifest };
}

/**
 * The manifest after some of its files were rewritten (a deletion request): their rows, bytes and checksum from the new
 * bytes. `files` maps each rewritten file's name (`segment-<id>.csv`, the last part of its key) to its new bytes, so the
 * same works on the bucket and on a local copy of the folder.
 */
export function refreshManifest(manifest: CampaignManifest, files: ReadonlyMap<string, Buffer>, now: Date): CampaignManifest {
  const updated = manifest.files.map((f) => {
    const bytes = files.get(f.key.slice(f.key.lastIndexOf('/') + 1));
    if (!bytes) return f;
    return { ...f, rows: parseCsvText(bytes.toString('utf8'), f.key).records.length, bytes: bytes.length, sha256: sha256Hex(bytes) };
  });
  return { ...manifest, files: updated, rows: updated.reduce((n, f) => n + f.rows, 0), updatedAt: now.toISOString() };
}

/** A campaign list's file name (`segment-<id>.csv`) and the key or path of the manifest beside it; undefined otherwise. */
export function campaignListOf(keyOrPath: string): { name: string; manifest: string } | undefined {
  const m = /^(.*[/\\])(segment-\d+\.csv)$/.exec(keyOrPath);
  return m ? { name: m[2], manifest: `${m[1]}manifest.json` } : undefined;
}
