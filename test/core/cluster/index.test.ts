import * as cluster from '../../../lambdas/core/cluster';

test('the index re-exports the public functions', () => {
  for (const name of [
    'kmeans',
    'kmeansSingle',
    'kmeansInitPartitions',
    'assignToCentroids',
    'initSeeds',
    'inertia',
    'silhouette',
    'daviesBouldin',
    'calinskiHarabasz',
    'clusterMeans',
    'adjustedRandIndex',
    'contingencyTable',
    'gaussianMixture',
    'ward',
    'wardClusters',
    'wardMerges',
    'cutTree',
    'fitPca',
    'hungarian',
    'shutdownKmeansWorkers',
  ]) {
    expect(typeof (cluster as Record<string, unknown>)[name]).toBe('function');
  }
});
