/**
 * Wall time and cost of the distributed path in AWS for a number of people, from the local measurements
 * (distributed.ts: each stage's task durations at two sizes). The model, and each assumption, stated:
 *
 * - A task takes in Lambda what it took here (one core of this machine ~ the vCPU share of a 3,008 MB arm64
 *   function; the fit's k-means uses its two threads in both). LAMBDA_SPEED scales that if a measurement says otherwise.
 * - Stages whose tasks have a fixed size (features, joins, Lloyd partials: PARTITION_PEOPLE people per partition, as
 *   many buckets as partitions) take in AWS the longest such task (the items run in parallel: up to 100 at once, enough
 *   for 400 partitions in two waves), plus the Distributed Map's start and its children's (MAP_OVERHEAD_S each, per wave).
 * - Scatter runs one task per uploaded object: in AWS its wall time is the largest table's, growing with the export
 *   (upload big tables in chunks to spread it). Its throughput (bytes per second of one task) is the measured one.
 * - Fit (training on a sample of at most 200,000 people) and draft do not grow with the export: the larger run's time.
 * - Lloyd: the measured number of iterations, each a map of partials and a reduce.
 * - Writes: people / the table's write budget (assignmentWriteRate; the measured dynalite rate says nothing of AWS).
 * - Activate grows with the export (joining assignments.csv): linear in people through the two measured sizes.
 * - Every stage's longest single task is checked against Lambda's 15-minute limit (the write's tasks continue
 *   themselves before it, so only their slice counts); the command says which step would have to be split.
 * Prices (us-east-1, on demand, 2026): Lambda arm64 $0.0000133334 per GB-s and $0.20 per million requests; Step
 * Functions standard $0.025 per 1,000 state transitions; DynamoDB on demand $0.625 per million write request units
 * (an assignment is one item in the table and one in GSI1, under 1 KB: 2 WRU); S3 $0.005 per 1,000 PUT and $0.0004
 * per 1,000 GET, and work/ kept 7 days at $0.023 per GB-month.
 */
import { PARTITION_PEOPLE } from '../lambdas/pipeline/distributed/plan';
import type { DistributedBenchResult, Stage, StageFigure } from './distributed';

export const LAMBDA_SPEED = 1;
export const MAP_OVERHEAD_S = 2;
export const MAP_WAVE = 100;
/** Lambda's maximum timeout: no single task may take longer. */
export const LAMBDA_TIMEOUT_S = 900;
/** What one writer task writes before handing over to its continuation (the resumable write's margin). */
const WRITE_SLICE_S = 840;
const PRICE = { gbSecond: 0.0000133334, request: 0.2 / 1e6, transition: 0.025 / 1000, wru: 0.625 / 1e6, put: 0.005 / 1000, get: 0.0004 / 1000, gbMonth: 0.023 };
const FUNCTION_GB = 3008 / 1024;

export interface StageEstimate {
  stage: Stage;
  wallSeconds: number;
  lambdaSeconds: number;
  /** The stage's longest single Lambda task. */
  longestTaskSeconds: number;
}

export interface AwsEstimate {
  people: number;
  partitions: number;
  writeRatePerSecond: number;
  stages: StageEstimate[];
  wallSeconds: number;
  cost: { lambda: number; stepFunctions: number; dynamodb: number; s3: number; total: number };
}

/** a + b * people through two measured points (one point: proportional). */
function linear(points: [number, number][], people: number): number {
  if (points.length < 2 || points[0][0] === points[1][0]) return (points[0][1] / points[0][0]) * people;
  const [[x0, y0], [x1, y1]] = points;
  return Math.max(0, y0 + ((y1 - y0) / (x1 - x0)) * (people - x0));
}

export function estimateAws(runs: DistributedBenchResult[], people: number, writeRatePerSecond = 1000): AwsEstimate {
  const sorted = [...runs].sort((a, b) => a.people - b.people);
  const largest = sorted[sorted.length - 1];
  const stage = (r: DistributedBenchResult, s: Stage): StageFigure => r.stages.find((x) => x.stage === s)!;
  const partitions = Math.max(1, Math.ceil(people / PARTITION_PEOPLE));
  const waves = Math.ceil(partitions / MAP_WAVE);
  const perTask = (s: Stage) => (stage(largest, s).sumTaskSeconds / Math.max(1, stage(largest, s).tasks)) * LAMBDA_SPEED;
  const maxTask = (s: Stage) => stage(largest, s).maxTaskSeconds * LAMBDA_SPEED;
  const iterations = largest.iterations;
  const out: StageEstimate[] = [];
  const add = (s: Stage, wallSeconds: number, lambdaSeconds: number, longestTaskSeconds: number) => out.push({ stage: s, wallSeconds, lambdaSeconds, longestTaskSeconds });

  add('plan', maxTask('plan'), maxTask('plan'), maxTask('plan'));
  // Scatter: bytes per second of one task, measured; the largest table sets the wall time.
  const scatterRate = largest.exportBytes / Math.max(1e-9, stage(largest, 'scatter').sumTaskSeconds);
  const bytesPerPerson = largest.exportBytes / largest.people;
  const largestShare = largest.largestTableBytes / largest.exportBytes;
  const largestScatter = (largestShare * bytesPerPerson * people) / scatterRate;
  add('scatter', MAP_OVERHEAD_S + largestScatter, (bytesPerPerson * people) / scatterRate, largestScatter);
  for (const s of ['join orders', 'join children', 'features'] as const) add(s, MAP_OVERHEAD_S * waves + maxTask(s) * waves, perTask(s) * partitions, maxTask(s));
  add('fit', maxTask('fit'), maxTask('fit'), maxTask('fit'));
  // Per iteration: one partial per partition (in parallel), then a reduce over the partitions' partials.
  const lloyd = stage(largest, 'lloyd').byTask;
  const partial = lloyd.KMeansPartialsPartition ?? { n: 1, sum: 0, max: 0 };
  const reduce = lloyd.KMeansReduce ?? { n: 1, sum: 0, max: 0 };
  const reducePerPartition = reduce.sum / Math.max(1, reduce.n) / largest.partitions;
  const partialSeconds = (partial.sum / Math.max(1, partial.n)) * LAMBDA_SPEED;
  const reduceSeconds = reducePerPartition * partitions * LAMBDA_SPEED;
  add('lloyd', iterations * (MAP_OVERHEAD_S * waves + partial.max * LAMBDA_SPEED * waves + reduceSeconds), iterations * (partialSeconds * partitions + reduceSeconds), Math.max(partial.max * LAMBDA_SPEED, reduceSeconds));
  add('draft', maxTask('draft'), maxTask('draft'), maxTask('draft'));
  // Writes: the table's budget, whatever the writers' number (they split it).
  const writeSeconds = people / writeRatePerSecond;
  add('write', MAP_OVERHEAD_S + writeSeconds, writeSeconds, Math.min(writeSeconds, WRITE_SLICE_S));
  const activate = linear(sorted.map((r) => [r.people, stage(r, 'activate').sumTaskSeconds] as [number, number]), people) * LAMBDA_SPEED;
  add('activate', activate, activate, activate);

  const lambdaSeconds = out.reduce((a, s) => a + s.lambdaSeconds, 0);
  const invocations = 2 + 8 + 3 * partitions + iterations * (partitions + 1) + Math.ceil(writeSeconds / WRITE_SLICE_S) + partitions + 1;
  // Transitions: each child execution ~4 (start, task entered/exited, end), each top-level state 2, the loop's.
  const transitions = 4 * (8 + 3 * partitions + iterations * partitions + partitions) + 2 * (12 + 3 * iterations);
  // S3: the shuffle's pieces (at least one per target per input), partials, features; read about twice.
  const puts = 8 * 2 * partitions + 2 * partitions * 2 * partitions + iterations * partitions + 6 * partitions + 50;
  const workGb = ((largest.workBytes / largest.people) * people) / 2 ** 30;
  const cost = {
    lambda: lambdaSeconds * FUNCTION_GB * PRICE.gbSecond + invocations * PRICE.request,
    stepFunctions: transitions * PRICE.transition,
    dynamodb: people * 2 * PRICE.wru,
    s3: puts * PRICE.put + 2 * puts * PRICE.get + workGb * PRICE.gbMonth * (7 / 30),
    total: 0,
  };
  cost.total = cost.lambda + cost.stepFunctions + cost.dynamodb + cost.s3;
  return { people, partitions, writeRatePerSecond, stages: out, wallSeconds: out.reduce((a, s) => a + s.wallSeconds, 0), cost };
}
