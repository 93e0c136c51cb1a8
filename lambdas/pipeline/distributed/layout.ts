/**
 * Names the distributed path's functions and its stack (lib/constructs/distributed-pipeline.ts, whose grants are
 * scoped by them) share: one place for both.
 */

import { ARTIFACT_PREFIXES } from '../../contract/prefixes';

/** Prefix of the distributed runs' intermediate objects in the artifacts bucket (expired after 7 days). */
export const WORK_PREFIX = ARTIFACT_PREFIXES.work;
/**
 * Folders of work/<run>/ that the publish steps write: the drafted model, each writer's counts, its part of
 * assignments.csv and its parts of the campaign lists.
 */
export const PUBLISH_WORK_OUTPUTS = { model: 'model', written: 'written', assignments: 'assignments', exports: 'exports' } as const;
