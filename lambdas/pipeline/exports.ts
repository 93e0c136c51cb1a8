/**
 * The campaign lists of a model version: one CSV per segment under `exports/<version>/` in the artifacts bucket
 * (core/model/campaignList.ts: columns and order), then `manifest.json` with each file's rows, bytes and SHA-256. Written
 * by training before the version is activated, so that the lists are there when readers switch and the activation event
 * ("Segmentation model activated", detail.artifacts.exports) can name the manifest.
 *
 * The single-function training calls writeCampaignLists with the assignments it is about to write
 * (lambdas/pipeline/train.ts); the distributed path writes each segment's list from its partitions' sorted parts
 * (distributed/campaign-lists.ts) through the same putCampaignFile and putCampaignManifest, so both give the same
 * bytes for the same people.
 *
 * A deletion request rewrites the files that name the person (lambdas/pipeline/forget.ts) and then the manifest's
 * counts and checksums (refreshManifest).
 */
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { parseCsvText } from '../core/distributed/shuffle';
import { BORDERLINE_MARGIN, MARGIN_RULE } from '../core/model/margin';
import { CAMPAIGN_COLUMNS, CAMPAIGN_ORDER, campaignCsv, campaignOrder, FileTally, sha256Hex, type CampaignFile, type CampaignManifest } from '../core/model/campaignList';
import type { CustomerAssignment, SegmentModel } from '../core/domain/types';
import type { BlobStore } from '../store/blob-store';
import { SUPERSEDED_TAG } from '../store/lifecycle';
import { artifactKeys, EXPORTS_PREFIX } from './datasets';
import { describe } from './ingest';
import type { Log } from './log';

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
    const chunks = campaignCsv(
      (function* () {
        for (const i of rows) yield assignments[i];
      })(),
      segment,
    );
    files.push(await putCampaignFile(store, model, segment, chunks, rows.length));
  }
  return putCampaignManifest(store, model, files, now);
}

/** One segment's list from its text chunks (header first, rows in the campaign order), with its rows, bytes and checksum. */
export async function putCampaignFile(
  store: Pick<BlobStore, 'putStream'>,
  model: Pick<SegmentModel, 'version'>,
  segment: SegmentModel['segments'][number],
  chunks: Iterable<string> | AsyncIterable<string>,
  rows: number,
): Promise<CampaignFile> {
  const key = exportKeys.segment(model.version, segment.id);
  const tally = new FileTally();
  await store.putStream(
    key,
    Readable.from(
      (async function* () {
        for await (const chunk of chunks) yield tally.add(chunk);
      })(),
    ),
    { contentType: 'text/csv; charset=utf-8' },
  );
  return { segmentId: segment.id, name: segment.name, kind: segment.kind, action: segment.action, key, rows, bytes: tally.bytes, sha256: tally.sha256() };
}

/** The manifest, written last: its presence means every file it lists is complete. */
export async function putCampaignManifest(store: Pick<BlobStore, 'putJson'>, model: Pick<SegmentModel, 'version' | 'asOf'>, files: CampaignFile[], now: Date): Promise<{ key: string; manifest: CampaignManifest }> {
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

/** Where the report pages of a version link to its campaign lists: the lists' folder relative to the pages' folder. */
export function campaignListsLink(version: string): { dir: string } {
  return { dir: posix.relative(artifactKeys.reports(version), exportKeys.dir(version)) + '/' };
}

/**
 * The replaced version's per-customer artifacts (assignments.csv, the campaign lists) are tagged for the bucket's
 * `expire-superseded` lifecycle rule (retainSupersededDays); best effort: a missing tag only keeps the file until its
 * owner removes it. Both paths call it once a new version is active.
 */
export async function markSuperseded(deps: { artifacts: Pick<BlobStore, 'exists' | 'setTags' | 'list'>; log: Log }, version: string): Promise<void> {
  const tag = async (key: string, check: boolean) => {
    try {
      if (!check || (await deps.artifacts.exists(key))) await deps.artifacts.setTags(key, { [SUPERSEDED_TAG.key]: SUPERSEDED_TAG.value });
    } catch (err) {
      deps.log.warn('superseded artifacts not tagged for expiry', { version, key, error: describe(err) });
    }
  };
  await tag(artifactKeys.assignments(version), true);
  let lists: string[] = [];
  try {
    lists = (await deps.artifacts.list(exportKeys.dir(version))).map((o) => o.key);
  } catch (err) {
    deps.log.warn('superseded campaign lists not listed for expiry', { version, error: describe(err) });
  }
  for (const key of lists) await tag(key, false);
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
