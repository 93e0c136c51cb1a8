/**
 * The stability work on the real export for olist.test.ts, run in a child process (test/helpers/child.ts): the
 * scheduled check of an old and a young model, with the matching between them.
 */
import { computeFeatures } from '../../../lambdas/core/features/customerFeatures';
import { loadOlist } from '../../../lambdas/core/olist/load';
import { directorySource } from '../../../lambdas/core/olist/source';
import { trainSegmentation } from '../../../lambdas/core/model/train';
import { runStabilityCheck } from '../../../lambdas/core/stability/check';
import { matchSegments, transitionMatrix } from '../../../lambdas/core/stability/matching';
import { effectiveEnd } from '../../../lambdas/core/stability/simulate';

export default async function work({ dir, k }: { dir: string; k: number }) {
  const data = await loadOlist(directorySource(dir));

  // The scheduled check of an old and of a young model (fewer initialisations than production).
  const fast = { seeds: 2, nInit: 5, cadenceDays: 28 };
  const train = (asOf: string) => trainSegmentation(data, { k, asOf: Date.parse(asOf), seed: 1, nInit: 5, sweep: false, compare: false, stabilityFits: 1, silhouetteSample: 1000 });
  const old = train('2018-03-01');
  const young = train('2018-08-27');
  const oldCheck = runStabilityCheck(old.model, data, fast);
  const youngCheck = runStabilityCheck(young.model, data, fast);
  const m = matchSegments(old.model, young.model);
  const before = new Map(old.features.customerIds.map((id, i) => [id, old.labels[i]]));
  const after = new Map(young.features.customerIds.map((id, i) => [id, m.idMap.get(young.labels[i])!]));
  const t = transitionMatrix(before, after);
  return {
    effectiveEnd: new Date(effectiveEnd(data)).toISOString(),
    oldCheck,
    youngCheck,
    kept: m.matches.filter((x) => x.status === 'kept').length,
    transitions: { stayed: t.stayed, moved: t.moved },
    customersAtOldDate: computeFeatures(data, Date.parse('2018-03-01')).values.rows,
  };
}
