/**
 * The path to tens of millions of customers: the same segmentation, spread over a Step Functions workflow
 * (Distributed Map states) instead of one train function. Optional (config `distributed`, off by default).
 *
 *   Plan -> Scatter (Distributed Map over the dataset's S3 objects: ItemReader = ListObjectsV2 of incoming/<id>/)
 *        -> JoinOrders, JoinChildren (Distributed Maps over the shuffle buckets: the two-pass join to the person)
 *        -> PartitionFeatures (Distributed Map over partitions) -> Fit (transforms from merged moments, k and
 *           seeding on a sample)
 *        -> [KMeansPartials (Distributed Map over partitions) -> KMeansReduce -> Converged?] loop (Lloyd)
 *        -> Draft -> WriteAssignments (Distributed Map, MaxConcurrency from the write budget) -> Activate
 *
 * Why Step Functions Distributed Map and not a home-made fan-out: it lists S3 by itself (no listing Lambda), runs up
 * to 10,000 child executions in parallel with per-item retries and a tolerated-failure threshold, keeps every
 * child's history out of the parent's 25,000-event limit (an iterative loop of inline Maps would hit it), and is
 * the managed engine for exactly this "map over S3 objects" shape. The heavy lifting stays in two Lambda functions:
 * `compute` (S3 only) and `publish` (the only one with table access). Partials and partition data go through S3
 * under work/ (expired after 7 days); the execution state carries keys and small numbers only.
 */
import { CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { SegmentationConfig } from '../config';
import { DataBuckets } from './data-buckets';
import { DETAIL_TYPES } from '../../lambdas/pipeline/events';
import { commonEnvironment } from './pipeline-functions';
import { grantPrefixAccess, LOG_RETENTION, policyOf, SecureFunction } from './secure-defaults';
import { SegmentTable } from './segment-table';

/** Prefix of the distributed runs' intermediate objects in the artifacts bucket. */
export const WORK_PREFIX = 'work/';
/** Folders of work/<run>/ that the publish steps write (lambdas/pipeline/distributed.ts: each writer's counts, its assignments.csv part). */
export const PUBLISH_WORK_OUTPUTS = { written: 'written', assignments: 'assignments' } as const;
/** Child executions in flight per Distributed Map for the S3-only steps. */
export const COMPUTE_MAX_CONCURRENCY = 100;
/**
 * A writer (one Lambda, 8 BatchWriteItem calls in flight) sustains well above 250 items/s against DynamoDB, so
 * one writer per 250 items/s of budget reaches the budget with margin, and no more writers than that run: the
 * budget is split evenly between them (WRITE_RATE_PER_SECOND / WRITERS each), so it holds globally.
 */
export const ITEMS_PER_SECOND_PER_WRITER = 250;
export const MAX_WRITERS = 40;

export function writersForBudget(itemsPerSecond: number): number {
  return Math.max(1, Math.min(MAX_WRITERS, Math.ceil(itemsPerSecond / ITEMS_PER_SECOND_PER_WRITER)));
}

/** Errors worth retrying: Lambda throttling / service errors and S3 or DynamoDB throttling surfacing from a handler. */
const TRANSIENT_ERRORS = [
  'Lambda.TooManyRequestsException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'SlowDown',
  'ServiceUnavailable',
  'InternalError',
  'RequestTimeout',
  'BatchWriteError',
];

export interface DistributedPipelineProps {
  readonly buckets: DataBuckets;
  readonly table: SegmentTable;
  readonly config: SegmentationConfig;
  /** Alarm topic: failed executions notify it. */
  readonly alarmTopic: sns.ITopic;
}

export class DistributedPipeline extends Construct {
  readonly compute: SecureFunction;
  readonly publish: SecureFunction;
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;
  /** MaxConcurrency of the WriteAssignments map. */
  readonly writers: number;

  constructor(scope: Construct, id: string, props: DistributedPipelineProps) {
    super(scope, id);
    const { buckets, table, config } = props;
    const common = { ...commonEnvironment(buckets, table), RAW_BUCKET: buckets.raw.bucketName };
    this.writers = writersForBudget(config.assignmentWriteRate);

    // Invoked synchronously by Step Functions (retries are the state machine's): no asynchronous-invocation settings,
    // no failure queue.
    this.compute = new SecureFunction(this, 'Compute', {
      handlerName: 'distributed/compute',
      description: 'Segments (distributed): shuffle, partition features, fit, k-means partials and reduce',
      memorySize: 3008,
      timeout: Duration.minutes(15),
      environment: common,
    });
    this.publish = new SecureFunction(this, 'Publish', {
      handlerName: 'distributed/publish',
      description: 'Segments (distributed): model draft, budgeted assignment writes per partition, activation',
      memorySize: 1769,
      timeout: Duration.minutes(15),
      environment: { ...common, WRITE_RATE_PER_SECOND: String(config.assignmentWriteRate), WRITERS: String(this.writers) },
    });

    // compute: reads the raw uploads, reads/writes its own work/ objects; nothing else.
    buckets.grantReadIncoming(this.compute.role);
    grantPrefixAccess(this.compute.role, buckets.artifacts, { read: [WORK_PREFIX], writeMultipart: [WORK_PREFIX], list: [WORK_PREFIX] });
    // publish: reads work/, writes its own outputs there (each writer's counts and assignments.csv part), the model's
    // files under models/, the table, and the activation event.
    grantPrefixAccess(this.publish.role, buckets.artifacts, {
      read: [WORK_PREFIX],
      list: [WORK_PREFIX],
      write: [`${WORK_PREFIX}*/${PUBLISH_WORK_OUTPUTS.written}/`],
      writeMultipart: [`${WORK_PREFIX}*/${PUBLISH_WORK_OUTPUTS.assignments}/`],
    });
    // The model's files; its assignments.csv is uploaded in parts.
    buckets.grantArtifacts(this.publish.role, { writeMultipart: ['models'] });
    table.grantItems(this.publish.role, { table: ['GetItem', 'Query', 'PutItem', 'UpdateItem', 'BatchWriteItem'], queryIndex: true });
    this.publish.allowPutSegmentEvents([DETAIL_TYPES.activated]);

    buckets.artifacts.addLifecycleRule({ id: 'expire-distributed-work', enabled: true, prefix: WORK_PREFIX, expiration: Duration.days(7) });

    const step = (sid: string, fn: SecureFunction, payload: Record<string, unknown>, resultPath: string) => {
      const task = new tasks.LambdaInvoke(this, sid, {
        lambdaFunction: fn.function,
        payload: sfn.TaskInput.fromObject(payload),
        payloadResponseOnly: true,
        resultPath,
        retryOnServiceExceptions: false,
      });
      task.addRetry({ errors: TRANSIENT_ERRORS, interval: Duration.seconds(2), backoffRate: 2, maxAttempts: 6, jitterStrategy: sfn.JitterType.FULL });
      return task;
    };
    const plan = sfn.JsonPath.objectAt('$.plan');
    const map = (sid: string, options: Partial<sfn.DistributedMapProps>, processor: sfn.IChainable) =>
      new sfn.DistributedMap(this, sid, {
        maxConcurrency: COMPUTE_MAX_CONCURRENCY,
        resultPath: sfn.JsonPath.DISCARD,
        // One failed item fails the run: a partition missing from the model is never acceptable.
        toleratedFailurePercentage: 0,
        ...options,
      }).itemProcessor(processor);

    const planTask = step('Plan', this.compute, { step: 'plan', input: sfn.JsonPath.objectAt('$') }, '$.plan');
    const scatter = map(
      'Scatter',
      {
        itemReader: new sfn.S3ObjectsItemReader({ bucket: buckets.raw, prefix: sfn.JsonPath.stringAt('$.plan.rawPrefix') }),
        itemSelector: { key: sfn.JsonPath.stringAt('$$.Map.Item.Value.Key'), plan },
      },
      step('ScatterObject', this.compute, { step: 'scatter', plan, key: sfn.JsonPath.stringAt('$.key') }, '$.result'),
    );
    const byBucket = (sid: string, stepName: string) =>
      map(
        sid,
        { itemsPath: '$.plan.bucketItems', itemSelector: { q: sfn.JsonPath.numberAt('$$.Map.Item.Value.q'), plan } },
        step(`${sid}Bucket`, this.compute, { step: stepName, plan, q: sfn.JsonPath.numberAt('$.q') }, '$.result'),
      );
    const byPartition = (sid: string, fn: SecureFunction, payload: Record<string, unknown>, extra: Record<string, unknown>, maxConcurrency = COMPUTE_MAX_CONCURRENCY) =>
      map(
        sid,
        { maxConcurrency, itemsPath: '$.plan.partitionItems', itemSelector: { p: sfn.JsonPath.numberAt('$$.Map.Item.Value.p'), plan, ...extra } },
        step(`${sid}Partition`, fn, { ...payload, plan, p: sfn.JsonPath.numberAt('$.p') }, '$.result'),
      );

    const joinOrders = byBucket('JoinOrders', 'joinOrders');
    const joinChildren = byBucket('JoinChildren', 'joinChildren');
    const features = byPartition('PartitionFeatures', this.compute, { step: 'features' }, {});
    const fit = step('Fit', this.compute, { step: 'fit', plan }, '$.loop');
    const partials = byPartition(
      'KMeansPartials',
      this.compute,
      { step: 'partial', iteration: sfn.JsonPath.numberAt('$.iteration') },
      { iteration: sfn.JsonPath.numberAt('$.loop.iteration') },
    );
    const reduce = step('KMeansReduce', this.compute, { step: 'reduce', plan, iteration: sfn.JsonPath.numberAt('$.loop.iteration') }, '$.loop');
    const draft = step('Draft', this.publish, { step: 'draft', plan, loop: sfn.JsonPath.objectAt('$.loop') }, '$.model');
    const write = byPartition(
      'WriteAssignments',
      this.publish,
      { step: 'write', model: sfn.JsonPath.objectAt('$.model') },
      { model: sfn.JsonPath.objectAt('$.model') },
      this.writers,
    );
    const activate = step('Activate', this.publish, { step: 'activate', plan, model: sfn.JsonPath.objectAt('$.model') }, '$.activated');

    const converged = new sfn.Choice(this, 'Converged')
      .when(sfn.Condition.booleanEquals('$.loop.done', true), draft.next(write).next(activate))
      .otherwise(partials);
    partials.next(reduce).next(converged);
    const definition = planTask.next(scatter).next(joinOrders).next(joinChildren).next(features).next(fit).next(partials);

    this.logGroup = new logs.LogGroup(this, 'StateMachineLogs', { retention: LOG_RETENTION, removalPolicy: RemovalPolicy.RETAIN });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      comment: 'Olist segmentation at scale: shuffle by person, partition features, distributed Lloyd k-means, budgeted writes',
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      timeout: Duration.hours(12),
    });

    new cloudwatch.Alarm(this, 'ExecutionsFailedAlarm', {
      metric: this.stateMachine.metricFailed({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: 'A distributed segmentation run failed (see the execution in the Step Functions console)',
    }).addAlarmAction(new cwActions.SnsAction(props.alarmTopic));

    acknowledgeStateMachinePolicies(this.stateMachine, [this.compute, this.publish]);
  }
}

/**
 * The state machine role's wildcards, all generated by aws-cdk-lib for the Lambda tasks and the Distributed Map
 * states, each already as narrow as the service allows. Acknowledged finding by finding on the two policies that
 * hold them (the reviewed list is asserted in test/infra/distributed-pipeline.test.ts).
 */
function acknowledgeStateMachinePolicies(stateMachine: sfn.StateMachine, functions: SecureFunction[]): void {
  const stack = Stack.of(stateMachine);
  const logicalId = (c: Construct) => stack.getLogicalId(c.node.defaultChild as CfnElement);
  const role = policyOf(stateMachine.role);
  for (const fn of functions) {
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalId(fn.function)}.Arn>:*]`,
      reason: `lambda:InvokeFunction on the ${fn.handlerName} function and its versions/aliases (ARN:*), as the CDK LambdaInvoke task grants it; the function itself is fixed.`,
    });
  }
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'Only the CloudWatch Logs vended-log-delivery actions (logs:*LogDelivery*, DescribeLogGroups, DescribeResourcePolicies, PutResourcePolicy) and X-Ray tracing actions, which support no resource-level permissions (asserted in test/infra).',
  });
  const executions = `arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${logicalId(stateMachine)}"}]}]}`;
  const mapPolicy = stateMachine.node.findChild('DistributedMapPolicy');
  Validations.of(mapPolicy).acknowledge({
    id: `AwsSolutions-IAM5[Resource::${executions}:*]`,
    reason: 'states:DescribeExecution/StopExecution on the executions of this state machine only (Distributed Map child runs): execution names are generated at run time.',
  });
  Validations.of(mapPolicy).acknowledge({
    id: `AwsSolutions-IAM5[Resource::${executions}/*:*]`,
    reason: 'states:RedriveExecution on the Map Run child executions of this state machine only (their names are generated at run time), so a failed run can be redriven.',
  });
}
