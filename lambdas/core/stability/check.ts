/**
 * The scheduled stability check of the active model (pure: the handler stores the result and publishes the
 * "Segmentation drift detected" event; the CLI prints it):
 * - agreement: adjusted Rand index between the model's labels (its own stored transforms) and fresh fits
 *   of the same method and k on the latest data (several seeds: median and spread), joined by customer,
 *   over all customers and over those the model was trained on;
 * - drift: per feature, population stability index and Kolmogorov-Smirnov statistic of the latest features
 *   against the training distribution (the stored summary, or, when none is stored, the summary recomputed
 *   from the same data as of the model's date: computeFeatures is as-of safe, so this is the training data);
 * - age: days from the model's as-of date to `now` against the recommended cadence.
 *
 * Verdict: 'drift' when the median ARI is below the threshold or a feature's PSI is above `psiThreshold`
 * (recency aside: AGING_FEATURES), else 'overdue' when the model is older than the cadence, else 'ok'.
 * `reasons` lists every finding (an overdue model with drift has both reasons; aging is listed, not counted).
 */
import { DAY_MS, computeFeatures } from '../features/customerFeatures';
import { modelCoordinates } from '../model/assign';
import { SegmentModel, FeatureName } from '../domain/types';
import { OlistData } from '../olist/load';
import { ariByCustomerIndex } from './compare';
import { AGING_FEATURES, DRIFT_LEVELS, FeatureDrift, TrainingDistribution, featureDrift, summarizeDistribution } from './drift';

export { AGING_FEATURES };
import { effectiveEnd } from '../features/customerFeatures';
import { freshFit, modelLabels } from './evaluate';
import { SIMULATION_DEFAULTS } from './simulationTypes';
import { round, spreadOf } from './stats';


/**
 * The cadence used when no simulation result (stability.json) is at hand: the one `segments simulate` measured on the
 * Olist export (k chosen at each origin, 10 initialisations: the median agreement crosses 0.8 at 4 weeks, so 2 weeks).
 * The stack and `segments check --stability FILE` read the cadence from the simulation's own result when it exists.
 */
export const DEFAULT_CADENCE_DAYS = 14;

/** The cadence and threshold a simulation result recommends (stability.json), when it has them. */
export function contractOf(simulation: unknown): { cadenceDays?: number; threshold?: number } {
  const s = simulation as { threshold?: unknown; recommendation?: { everyDays?: unknown } } | undefined;
  const cadence = s?.recommendation?.everyDays;
  return {
    ...(typeof cadence === 'number' && cadence >= 1 ? { cadenceDays: cadence } : {}),
    ...(typeof s?.threshold === 'number' && s.threshold > 0 && s.threshold <= 1 ? { threshold: s.threshold } : {}),
  };
}

export interface CheckOptions {
  threshold?: number;
  cadenceDays?: number;
  /** Reference time for the model's age (ms); default: the latest data date. */
  now?: number;
  /** Date the latest features are computed as of (ms); default effectiveEnd(data). */
  asOf?: number;
  seeds?: number;
  nInit?: number;
  baseSeed?: number;
  psiThreshold?: number;
  /** Features whose drift is reported but does not raise 'drift' (default AGING_FEATURES). */
  agingFeatures?: readonly FeatureName[];
  /** The training distribution stored beside the model; recomputed from `data` when absent. */
  training?: TrainingDistribution;
}

export type Verdict = 'ok' | 'drift' | 'overdue';

export interface CheckResult {
  modelVersion: string;
  modelAsOf: string;
  asOf: string;
  verdict: Verdict;
  reasons: string[];
  /** Median ARI of the model against the fresh fits, over all customers at asOf. */
  ari: number;
  ariSpread: { q1: number; q3: number; min: number; max: number; values: number[] };
  /** The same over the customers present when the model was trained. */
  ariKnown: number;
  /** Pairwise ARI between the fresh fits: the initialisation noise the ARI is read against. */
  freshAgreement: number;
  drift: Record<FeatureName, Pick<FeatureDrift, 'psi' | 'ks' | 'ksPValue' | 'level' | 'trainingMedian' | 'currentMedian'>>;
  trainingDistribution: 'stored' | 'recomputed';
  ageDays: number;
  cadenceDays: number;
  threshold: number;
  psiThreshold: number;
  customers: number;
  newCustomers: number;
  seconds: number;
}

/** The training distribution of a model recomputed from data (features as of the model's date, its imputation). */
export function trainingDistributionOf(model: SegmentModel, data: OlistData): TrainingDistribution {
  const f = computeFeatures(data, Date.parse(model.asOf));
  return summarizeDistribution(modelCoordinates(model, f).imputed, { asOf: model.asOf, modelVersion: model.version });
}

export function runStabilityCheck(model: SegmentModel, data: OlistData, opts: CheckOptions = {}): CheckResult {
  const started = performance.now();
  const threshold = opts.threshold ?? 0.8;
  const cadenceDays = opts.cadenceDays ?? DEFAULT_CADENCE_DAYS;
  const psiThreshold = opts.psiThreshold ?? DRIFT_LEVELS.major;
  const aging = new Set<FeatureName>(opts.agingFeatures ?? AGING_FEATURES);
  const nSeeds = opts.seeds ?? 3;
  // Fresh fits as production fits a model (its initialisations), so that a poor local optimum is not read as drift.
  const nInit = opts.nInit ?? SIMULATION_DEFAULTS.nInit;
  const baseSeed = opts.baseSeed ?? model.seed;
  const asOf = opts.asOf ?? effectiveEnd(data);
  const now = opts.now ?? asOf;
  const modelAsOf = Date.parse(model.asOf);

  const features = computeFeatures(data, asOf);
  if (features.values.rows < model.k * 2) throw new Error(`only ${features.values.rows} customers as of ${new Date(asOf).toISOString()}: too few to check k = ${model.k}`);
  const ids = features.customerIndex;
  const n = data.customerIds.length;
  const mine = { ids, labels: modelLabels(model, features) };

  // Customers present at training (a row as of the model's date).
  const trainedOn = computeFeatures(data, modelAsOf);
  const known = new Uint8Array(n);
  for (const c of trainedOn.customerIndex) known[c] = 1;
  let knownCount = 0;
  for (const c of ids) knownCount += known[c];

  const fresh = Array.from({ length: nSeeds }, (_, s) => freshFit(features, model.k, baseSeed + 1000 + s, nInit));
  const aris = fresh.map((labels) => ariByCustomerIndex(mine, { ids, labels }, n).ari);
  const arisKnown = fresh.map((labels) => ariByCustomerIndex(mine, { ids, labels }, n, known).ari);
  const pair: number[] = [];
  for (let i = 0; i < fresh.length; i++) for (let j = i + 1; j < fresh.length; j++) pair.push(ariByCustomerIndex({ ids, labels: fresh[i] }, { ids, labels: fresh[j] }, n).ari);
  const a = spreadOf(aris);

  const training = opts.training ?? trainingDistributionOf(model, data);
  const current = modelCoordinates(model, features).imputed;
  const drifts = featureDrift(training, current);
  const drift = Object.fromEntries(drifts.map(({ name, ...rest }) => [name, rest])) as CheckResult['drift'];

  const ageDays = round((now - modelAsOf) / DAY_MS, 1);
  const reasons: string[] = [];
  let drifted = false;
  if (a.median < threshold) {
    drifted = true;
    reasons.push(`median ARI ${a.median.toFixed(3)} against ${nSeeds} fresh fits is below the threshold ${threshold} (fresh fits agree among themselves at ${pair.length ? spreadOf(pair).median.toFixed(3) : 'n/a'})`);
  }
  for (const d of drifts.filter((x) => x.psi > psiThreshold).sort((x, y) => y.psi - x.psi)) {
    const detail = `PSI ${d.psi.toFixed(3)} > ${psiThreshold} (KS ${d.ks.toFixed(3)}; median ${fmtNum(d.trainingMedian)} at training, ${fmtNum(d.currentMedian)} now)`;
    if (aging.has(d.name)) {
      reasons.push(`feature ${d.name} shifted with the age of the model: ${detail}; expected aging, not a trigger (the ARI measures its effect on the segments)`);
      continue;
    }
    drifted = true;
    reasons.push(`feature ${d.name} drifted: ${detail}`);
  }
  const overdue = ageDays > cadenceDays;
  if (overdue) reasons.push(`model is ${Math.round(ageDays)} days old, beyond the ${cadenceDays}-day cadence`);
  const verdict: Verdict = drifted ? 'drift' : overdue ? 'overdue' : 'ok';
  if (verdict === 'ok') reasons.unshift(`median ARI ${a.median.toFixed(3)} >= ${threshold}, no feature PSI above ${psiThreshold} (aging features aside), model ${Math.round(ageDays)} of ${cadenceDays} days old`);

  return {
    modelVersion: model.version,
    modelAsOf: model.asOf,
    asOf: new Date(asOf).toISOString(),
    verdict,
    reasons,
    ari: round(a.median, 4),
    ariSpread: { q1: round(a.q1, 4), q3: round(a.q3, 4), min: round(a.min, 4), max: round(a.max, 4), values: aris.map((x) => round(x, 4)) },
    ariKnown: round(spreadOf(arisKnown).median, 4),
    freshAgreement: pair.length ? round(spreadOf(pair).median, 4) : 1,
    drift,
    trainingDistribution: opts.training ? 'stored' : 'recomputed',
    ageDays,
    cadenceDays,
    threshold,
    psiThreshold,
    customers: ids.length,
    newCustomers: ids.length - knownCount,
    seconds: round((performance.now() - started) / 1000, 2),
  };
}

function fmtNum(x: number): string {
  return Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(2);
}
