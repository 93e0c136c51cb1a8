/**
 * Model maintenance: how long a segmentation stays valid (simulate), the scheduled check of the active model
 * (check), drift measures (drift), and stable segment identities across versions (matching). Pure functions:
 * the CLI and the Lambda handlers do the I/O, storage and events.
 */
export { simulateStability, effectiveEnd, defaultStart, freshFit, modelLabels, SIMULATION_DEFAULTS } from './simulate';
export type { SimulationOptions, StabilityReport, StabilityPoint, OriginCurve } from './simulate';
export { recommend, cadenceFromCurve } from './recommend';
export type { Recommendation, CadenceDecision, CadenceBasis } from './recommend';
export { runStabilityCheck, trainingDistributionOf, DEFAULT_CADENCE_DAYS } from './check';
export type { CheckOptions, CheckResult, Verdict } from './check';
export { summarizeDistribution, featureDrift, psi, ksTwoSample, ksPValue, DRIFT_LEVELS, AGING_FEATURES } from './drift';
export type { TrainingDistribution, FeatureDistribution, FeatureDrift, DriftLevel } from './drift';
export { matchSegments, relabel, transitionMatrix, withPreviousSegment, movers, centroidsToRaw, DEFAULT_MAX_MATCH_DISTANCE } from './matching';
export type { MatchResult, MatchOptions, SegmentMatch, TransitionMatrix } from './matching';
export { ariByCustomer, ariByCustomerIndex, alignByCustomer } from './compare';
