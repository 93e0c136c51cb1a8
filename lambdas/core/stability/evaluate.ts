/**
 * One date of the simulation: every origin's models against fresh fits of the same method on that date's data.
 *
 * The models label the date's customers with their own stored imputation and transforms (nothing refitted); the
 * fresh fits are production's method from scratch (imputation, bounded feature space, k-means with production's
 * initialisations). The two labellings are compared by the adjusted Rand index joined by customer, over all
 * customers at the date and over those known at the origin, beside the drift of the features against the origin's
 * training distribution.
 */
import { assignToCentroids, kmeans } from '../cluster/kmeans';
import { assignFeatures, modelCoordinates } from '../model/assign';
import type { SegmentModel } from '../domain/types';
import type { FeatureTable } from '../features/customerFeatures';
import { featureSpace } from '../features/transforms';
import { ariByCustomerIndex } from './compare';
import { featureDrift } from './drift';
import type { OriginState } from './origins';
import type { OriginPoint } from './simulationTypes';
import { round } from './stats';

/** A fresh fit of the production method (imputation, bounded feature space, k-means) on a feature table. */
export function freshFit(features: FeatureTable, k: number, seed: number, nInit: number): Int32Array {
  return kmeans(featureSpace(features.values).X, k, { seed, nInit }).labels;
}

/** Labels of a feature table under a stored model: its own imputation and transforms, nearest centroid. */
export function modelLabels(model: SegmentModel, features: FeatureTable): Int32Array {
  return assignFeatures(model, features).labels;
}

/**
 * The fresh fits of each date, per k and seed, computed once: origins a whole number of steps apart reach the same
 * dates, and share them.
 */
export class FreshFits {
  private readonly fits = new Map<string, Int32Array>();
  count = 0;

  constructor(private readonly baseSeed: number, private readonly nInit: number) {}

  labels(features: FeatureTable, t: number, k: number, seedIndex: number): Int32Array {
    const key = `${t}|${k}|${seedIndex}`;
    let labels = this.fits.get(key);
    if (!labels) {
      if (features.values.rows <= k * 2) throw new Error(`only ${features.values.rows} customers as of ${new Date(t).toISOString()}: too few for k = ${k}`);
      this.count++;
      labels = freshFit(features, k, this.baseSeed + 1000 + seedIndex, this.nInit);
      this.fits.set(key, labels);
    }
    return labels;
  }

  /** Distinct dates fitted (every date is fitted for every seed). */
  dates(seeds: number): number {
    return this.fits.size / seeds;
  }
}

/** An origin's point at T0 + days: each seed's model against the fresh fit of the same seed index. */
export function evaluateOrigin(origin: OriginState, features: FeatureTable, days: number, t: number, fresh: readonly Int32Array[]): OriginPoint {
  // The seeds' models share the origin's imputation and transforms (fitted on the same data): one set of
  // coordinates, each model's nearest centroids.
  const { imputed, X } = modelCoordinates(origin.models[0], features);
  const ids = features.customerIndex;
  const nCustomers = origin.known.length;
  const ari: number[] = [];
  const ariKnown: number[] = [];
  origin.models.forEach((m, s) => {
    const mine = { ids, labels: assignToCentroids(X, Float64Array.from(m.centroids.flat()), m.k) };
    const ref = { ids, labels: fresh[s] };
    ari.push(round(ariByCustomerIndex(mine, ref, nCustomers).ari, 4));
    ariKnown.push(round(ariByCustomerIndex(mine, ref, nCustomers, origin.known).ari, 4));
  });
  let known = 0;
  for (const c of ids) known += origin.known[c];
  const psi = Object.fromEntries(featureDrift(origin.training, imputed).map((x) => [x.name, x.psi]));
  return { days, date: new Date(t).toISOString(), customers: ids.length, newCustomers: ids.length - known, ari, ariKnown, psi };
}
