/**
 * The benchmark's unit of work, the same as ../shared/bench/reference_pipeline.py does with pandas and
 * scikit-learn, stage by stage: load the seven tables, features, k = 2..10 with 10 initialisations each
 * (inertia, a 10,000-point silhouette, Davies-Bouldin, Calinski-Harabasz), and a final fit at k.
 * Run in its own process (`segments bench-worker`) so that its wall time and peak memory are its own.
 */
import { writeFile } from 'node:fs/promises';
import { calinskiHarabasz, daviesBouldin, silhouette } from '../lambdas/core/cluster/metrics';
import { kmeans } from '../lambdas/core/cluster/kmeans';
import { computeFeatures } from '../lambdas/core/features/customerFeatures';
import { featureSpace } from '../lambdas/core/features/transforms';
import { loadOlist } from '../lambdas/core/olist/load';
import { directorySource } from '../lambdas/core/olist/source';

export interface WorkResult {
  stages: Record<string, number>;
  customers: number;
  k: number;
  inertia: number;
  sizes: number[];
  sweep: { k: number; inertia: number; silhouette: number; daviesBouldin: number; calinskiHarabasz: number }[];
  maxRssMb: number;
  threads: number | 'auto';
}

export async function benchWork(dataDir: string, k: number, dumpPrefix?: string, threads: number | 'auto' = 'auto'): Promise<WorkResult> {
  const stages: Record<string, number> = {};
  let t = performance.now();
  const stage = (name: string) => {
    const now = performance.now();
    stages[name] = Math.round(now - t) / 1000;
    t = now;
  };
  const data = await loadOlist(directorySource(dataDir));
  stage('load');
  const f = computeFeatures(data);
  const { X } = featureSpace(f.values);
  stage('features');
  const sweep: WorkResult['sweep'] = [];
  for (let kk = 2; kk <= 10; kk++) {
    const fit = kmeans(X, kk, { seed: 0, nInit: 10, threads });
    sweep.push({
      k: kk,
      inertia: fit.inertia,
      silhouette: silhouette(X, fit.labels, kk, { sampleSize: Math.min(10_000, X.rows), seed: 0 }),
      daviesBouldin: daviesBouldin(X, fit.labels, kk),
      calinskiHarabasz: calinskiHarabasz(X, fit.labels, kk),
    });
  }
  stage('sweep');
  const final = kmeans(X, k, { seed: 0, nInit: 10, threads });
  const sizes = new Array<number>(k).fill(0);
  for (const l of final.labels) sizes[l]++;
  stage('final');
  if (dumpPrefix) {
    // For the agreement check: the matrix and our labels, read back by scikit-learn.
    await writeFile(`${dumpPrefix}.X.f64`, Buffer.from(X.data.buffer, X.data.byteOffset, X.data.byteLength));
    await writeFile(`${dumpPrefix}.labels.i32`, Buffer.from(final.labels.buffer, final.labels.byteOffset, final.labels.byteLength));
  }
  return { stages, customers: X.rows, k, inertia: final.inertia, sizes: sizes.sort((a, b) => b - a), sweep, threads, maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) };
}
