/**
 * What a function's asset holds besides its handler's index.js, for the stack's bundling (lib/constructs/lambda-defaults.ts)
 * and the code that finds the files at run time.
 */
import { BUNDLED_WORKER } from '../core/cluster/workerPool';

/** A handler file under lambdas/handlers/ (without .ts), exporting `handler`. */
export const HANDLER_NAMES = ['ingest', 'train', 'stability', 'distributed/compute', 'distributed/publish'] as const;
export type HandlerName = (typeof HANDLER_NAMES)[number];

/** The k-means worker thread entry, bundled on its own next to each handler (lambdas/core/cluster/workerPool.ts). */
export const KMEANS_WORKER_SOURCE = 'lambdas/core/cluster/kmeansWorker.ts';
/** Its file name in the bundle directory: workerPool.entryPoint() looks for it beside the handler's index.js. */
export const KMEANS_WORKER_BUNDLE = BUNDLED_WORKER;

/** Vega builds the report renderer (lambdas/core/report/vegaRuntime.ts) loads from the bundle directory in Lambda. */
export const VEGA_BUILDS = ['vega/build/vega.js', 'vega-lite/build/vega-lite.min.js'];
