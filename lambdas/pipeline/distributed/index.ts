/**
 * The distributed segmentation path (exports beyond one function): the steps the Step Functions state machine of
 * lib/constructs/distributed-pipeline.ts runs, each a short, idempotent task over the BlobStore (and, for the last
 * ones, the segment table). The heavy lifting is in lambdas/core/distributed; the layout of a run is in common.ts.
 */
export { planRun, DEFAULTS, PARTITION_PEOPLE, type Plan, type PlanDetails, type RunInput, type ScatterItem } from './plan';
export { scatter, joinOrdersStep, joinChildrenStep } from './shuffle-steps';
export { partitionFeaturesStep, fitStep, partialStepOf, reduceStep, MAX_SAMPLE, type KMeansState, type LoopState, type SampleTraining } from './fit-steps';
export { draftStep, writePartitionStep, activateStep, failStep, endedStep, type ExecutionEnded, type ModelRef, type WriteOutcome, type ActivateOutcome, type DraftRecord, type WrittenPart } from './publish-steps';
export { runKeys, type DistributedDeps, type PublishDeps } from './common';
export { WORK_PREFIX, PUBLISH_WORK_OUTPUTS } from './layout';
