/** Clustering toolkit: k-means and alternatives, validity metrics, partition comparison, PCA and assignment. */
export { kmeans, kmeansSingle, kmeansInitPartitions, assignToCentroids, initSeeds } from './kmeans';
export type { KMeansOptions, KMeansResult, KMeansInit, SingleOptions } from './kmeans';
export type { KernelMode } from './kernels';
export { inertia, silhouette, daviesBouldin, calinskiHarabasz, clusterMeans } from './metrics';
export type { SilhouetteOptions } from './metrics';
export { adjustedRandIndex, contingencyTable } from './ari';
export type { ContingencyTable } from './ari';
export { gaussianMixture, gmmPredict } from './gmm';
export type { GmmInit, GmmOptions, GmmResult } from './gmm';
export { ward, wardClusters, wardMerges, cutTree } from './ward';
export type { Merge, WardResult } from './ward';
export { fitPca } from './pca';
export type { PcaFit } from './pca';
export { hungarian } from './hungarian';
export { shutdownWorkers as shutdownKmeansWorkers } from './workerPool';
