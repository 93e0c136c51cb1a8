/**
 * The files of a model trained on the distributed path, the same as a single training writes beside model.json, so
 * that the weekly check and the next training find them: assignments.csv (each writer writes its partition's part under
 * work/<run>/assignments/, the activation joins them in partition order) and distribution.json (the training
 * distribution the check measures drift against, from the run's sample: up to 200,000 people drawn uniformly, plenty
 * for decile edges).
 */
import { Readable } from 'node:stream';
import type { FeatureTable } from '../core/features/customerFeatures';
import { assignmentsCsv } from '../core/model/assignmentsCsv';
import { ruleLabels } from '../core/segments/ruleSegments';
import type { SegmentModel } from '../core/model/types';
import { summarizeDistribution } from '../core/stability/drift';
import type { Matrix } from '../core/util/matrix';
import type { BlobStore } from '../store/blob-store';
import { artifactKeys } from './datasets';

/** One partition's lines of assignments.csv (with the header, so each part is a valid CSV on its own). */
export async function writeAssignmentsPart(store: BlobStore, key: string, model: SegmentModel, table: FeatureTable, labels: Int32Array): Promise<void> {
  await store.putStream(key, Readable.from(assignmentsCsv({ model, features: table, labels, ruleLabels: ruleLabels(table.uncounted) })), { contentType: 'text/csv' });
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

export async function writeModelFiles(store: BlobStore, model: SegmentModel, partKeys: string[], sampleImputed: Matrix): Promise<void> {
  await store.putJson(artifactKeys.distribution(model.version), summarizeDistribution(sampleImputed, { asOf: model.asOf, modelVersion: model.version }));
  await store.putStream(artifactKeys.assignments(model.version), Readable.from(joined(store, partKeys)), { contentType: 'text/csv' });
}
