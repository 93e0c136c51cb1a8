/**
 * Datasets as they arrive in the raw bucket: a dataset is the set of tables uploaded under
 * `incoming/<dataset-id>/`. Processing starts once every required table is there, whatever the order of
 * arrival; other keys (an error report, a README) under the prefix are ignored.
 */
import { Readable } from 'node:stream';
import { REQUIRED_TABLES } from '../core/olist/tables';
import { TableSource } from '../core/olist/source';
import type { SidecarReader } from '../core/olist/provenance';
import { BlobStore } from '../store/blob-store';
import { ARTIFACT_PREFIXES, INCOMING_PREFIX } from '../contract/prefixes';

export { INCOMING_PREFIX };
const DATASET_ID = /^[A-Za-z0-9][A-Za-z0-9._=-]{0,127}$/;

export interface DatasetKey {
  datasetId: string;
  file: string;
}

/** `incoming/<dataset-id>/<file>` -> its parts; undefined for any other key. */
export function parseIncomingKey(key: string): DatasetKey | undefined {
  if (!key.startsWith(INCOMING_PREFIX)) return undefined;
  const rest = key.slice(INCOMING_PREFIX.length).split('/');
  if (rest.length !== 2 || !DATASET_ID.test(rest[0]) || !rest[1]) return undefined;
  return { datasetId: rest[0], file: rest[1] };
}

export const datasetPrefix = (datasetId: string) => `${INCOMING_PREFIX}${datasetId}/`;

/** The part of the ids the product derives for retrainings (`<dataset>-retrain-<time>`): never in an uploaded id. */
export const RETRAIN_MARK = '-retrain-';

/** The run id of a retraining of `datasetId` started at `now` by the stability check. */
export function retrainingId(datasetId: string, now: Date): string {
  return `${datasetId}${RETRAIN_MARK}${now.toISOString().replace(/[-:.]/g, '')}`;
}

/**
 * Why an uploaded dataset id cannot be used (undefined when it can): it would collide with the ids the product derives.
 * Ingest rejects such a dataset (run record and error report), `segments start --dataset-id` refuses it before uploading.
 */
export function reservedDatasetIdReason(datasetId: string): string | undefined {
  if (!datasetId.includes(RETRAIN_MARK)) return undefined;
  return `dataset id ${datasetId}: expected an id without "${RETRAIN_MARK}" (reserved for the retrainings the stability check starts, <dataset>${RETRAIN_MARK}<time>): upload it under another id`;
}

/** Which required tables are present under the dataset's prefix, with their sizes. */
export async function datasetContents(raw: BlobStore, datasetId: string): Promise<{ present: Map<string, number>; missing: string[] }> {
  const objects = await raw.list(datasetPrefix(datasetId));
  const present = new Map<string, number>();
  for (const o of objects) {
    const file = o.key.slice(datasetPrefix(datasetId).length);
    if (REQUIRED_TABLES.some((t) => t.file === file) || file === 'olist_sellers_dataset.csv') present.set(file, o.size);
  }
  return { present, missing: REQUIRED_TABLES.filter((t) => !present.has(t.file)).map((t) => t.file) };
}

/** The tables of one dataset in the raw bucket, for the core loader. */
export function blobTableSource(raw: BlobStore, datasetId: string, sizes: Map<string, number>): TableSource {
  return {
    location: `s3://${raw.bucket}/${datasetPrefix(datasetId)}`,
    size: async (file) => sizes.get(file),
    open: async (file): Promise<Readable> => raw.get(datasetPrefix(datasetId) + file),
  };
}

/** Files uploaded beside a dataset's tables (its provenance notes): undefined when absent. */
export function blobSidecars(raw: BlobStore, datasetId: string): SidecarReader {
  return async (file) => {
    const key = datasetPrefix(datasetId) + file;
    return (await raw.exists(key)) ? raw.getText(key) : undefined;
  };
}

/** The artifacts bucket's prefix of the campaign lists (exports.ts; the train role's grant: lib/constructs/data-buckets.ts). */
export const EXPORTS_PREFIX = ARTIFACT_PREFIXES.exports;

const { features: FEATURES, models: MODELS, reports: REPORTS, errors: ERRORS } = ARTIFACT_PREFIXES;

/** Artifact keys, in one place (never under incoming/, so writing them cannot trigger ingestion). */
export const artifactKeys = {
  features: (datasetId: string) => `${FEATURES}${datasetId}/features.bin`,
  /** What the reports need from the raw tables (exploration statistics, counts, table checks). */
  datasetFacts: (datasetId: string) => `${FEATURES}${datasetId}/dataset.json`,
  /** The latest update-frequency simulation (stability.json from `segments simulate`), uploaded by the team. */
  stabilitySimulation: () => `${MODELS}stability.json`,
  latestFeatures: () => `${FEATURES}latest.json`,
  model: (version: string) => `${MODELS}${version}/model.json`,
  summary: (version: string) => `${MODELS}${version}/summary.json`,
  segments: (version: string) => `${MODELS}${version}/segments.json`,
  /** The training distribution of every feature, what the scheduled check measures drift against. */
  distribution: (version: string) => `${MODELS}${version}/distribution.json`,
  assignments: (version: string) => `${MODELS}${version}/assignments.csv`,
  /** How the previous version's customers moved between segments (written when there was a previous version). */
  transitions: (version: string) => `${MODELS}${version}/transitions.json`,
  reports: (version: string) => `${REPORTS}${version}/`,
  error: (datasetId: string) => `${ERRORS}${datasetId}/error.json`,
};
