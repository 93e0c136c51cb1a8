/**
 * The simulation's origins: at each origin T0, the models production would have deployed (one per seed), trained
 * exactly as production trains them from the data up to T0 (k chosen by the rule unless fixed), with what the
 * later dates compare against: the customers known at T0 and the training distribution of the features.
 */
import { pairwiseAdjustedRandIndex } from '../cluster/ari';
import { ACTIONABLE_K } from '../model/selectK';
import { trainSegmentation } from '../model/train';
import type { SegmentModel } from '../domain/types';
import type { OlistData } from '../olist/load';
import { TrainingDistribution, summarizeDistribution } from './drift';
import type { OriginCurve } from './simulationTypes';
import { round } from './stats';

export interface OriginState {
  t0: number;
  k: number;
  models: SegmentModel[];
  /** Training distribution of the first seed's model (the features as of T0 are the same for every seed). */
  training: TrainingDistribution;
  /** 1 for the customers (by index in the export) that had a row at T0. */
  known: Uint8Array;
  curve: OriginCurve;
}

export interface OriginOptions {
  /** Fixed k; absent: chosen by the production rule over the actionable range. */
  k?: number;
  seeds: number;
  baseSeed: number;
  nInit: number;
  /** Measure model stability at every candidate k (the benchmark's unoptimised reference: same choice, more fits). */
  unoptimised?: boolean;
}

/** The models of an origin, one per seed, as production trains them, and the state the later dates compare against. */
export function trainOrigin(data: OlistData, t0: number, o: OriginOptions): OriginState {
  const started = performance.now();
  // The first seed's model is production's training at T0: k chosen by the rule over the actionable range.
  const first = trainSegmentation(data, {
    asOf: t0,
    seed: o.baseSeed,
    nInit: o.nInit,
    compare: false,
    stabilityAtEveryCandidate: o.unoptimised,
    ...(o.k === undefined ? { kMin: ACTIONABLE_K.min, kMax: ACTIONABLE_K.max } : { k: o.k, sweep: false, stabilityFits: 1 }),
  });
  const seconds = (performance.now() - started) / 1000;
  const k = first.model.k;
  const fits = [first];
  for (let s = 1; s < o.seeds; s++) fits.push(trainSegmentation(data, { k, asOf: t0, seed: o.baseSeed + s, nInit: o.nInit, sweep: false, compare: false, stabilityFits: 1 }));

  const known = new Uint8Array(data.customerIds.length);
  for (const c of first.features.customerIndex) known[c] = 1;
  return {
    t0,
    k,
    models: fits.map((f) => f.model),
    training: summarizeDistribution(first.imputed, { asOf: t0 }),
    known,
    curve: {
      start: new Date(t0).toISOString(),
      k,
      customers: first.features.values.rows,
      trainSeconds: round(seconds, 2),
      points: [],
      initStability: pairwiseAdjustedRandIndex(fits.map((f) => f.labels)).map((x) => round(x, 4)),
    },
  };
}
