/**
 * The path to tens of millions of customers: the same segmentation, spread over a Step Functions workflow
 * (Distributed Map states) instead of one train function. Part of every deployment (an idle state machine costs
 * nothing): ingest starts it for an export the single function cannot train and write within its limits
 * (lambdas/pipeline/route.ts), and it can be started by hand for any uploaded dataset.
 *
 *   Plan -> Scatter (Distributed Map over the export's objects, streamed) -> JoinOrders, JoinChildren (Distributed
 *   Maps over the shuffle buckets: the two-pass join to the person) -> PartitionFeatures (Distributed Map over
 *   partitions) -> Fit (exact feature space from merged moments; the single path's training on the sample)
 *   -> [KMeansPartials (Distributed Map) -> KMeansReduce -> Converged?] loop (Lloyd over everyone)
 *   -> Draft -> WriteAssignments (Distributed Map, MaxConcurrency from the write budget; each partition a loop of
 *   WritePartition invocations, resumed where the previous one stopped before its time limit) -> Activate
 *   Any failure -> RecordFailure (the run record and the error report say why) -> Failed.
 *
 * Why Step Functions Distributed Map and not a home-made fan-out: it reads its items from S3 by itself, runs up
 * to 10,000 child executions in parallel with per-item retries and a tolerated-failure threshold, keeps every
 * child's history out of the parent's 25,000-event limit (an iterative loop of inline Maps would hit it), and is
 * the managed engine for exactly this "map over S3" shape. The heavy lifting stays in two Lambda functions:
 * `compute` (S3 only) and `publish` (the only one with table access). Partials and partition data go through S3
 * under work/ (expired after 7 days); the execution state carries keys and small numbers only, and each map reads
 * its items from a JSON list the plan wrote, so no payload grows with the export.
 *
 * Locally, this very definition (synthesized) runs in aws-local-stepfunctions with its Task states bound to the same
 * handlers under the same roles (lambdas/local/stepfunctions/).
 */
import { CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { SegmentationConfig } from '../config';
import { DataBuckets } from './data-buckets';
import { DETAIL_TYPES, FUNCTION_ENV as F, ROUTE_ENV, STORE_ENV, type ContractEnv } from '../../lambdas/contract';
import { PUBLISH_WORK_OUTPUTS, WORK_PREFIX } from '../../lambdas/pipeline/distributed/layout';
import type { SinglePathLimits } from '../../lambdas/pipeline/route';
import { SUPPRESSION_PK } from '../../lambdas/store/personal-data';
import { commonEnvironment } from './pipeline-functions';
import { policyOf } from './defaults/iam-defaults';
import { LOG_RETENTION, SecureFunction } from './defaults/lambda-defaults';
import { grantPrefixAccess } from './defaults/s3-defaults';
import { createFailureQueue } from './defaults/sqs-defaults';
import { SegmentTable } from './segment-table';

export { PUBLISH_WORK_OUTPUTS, WORK_PREFIX };
/** Child executions in flight per Distributed Map for the S3-only steps. */
export const COMPUTE_MAX_CONCURRENCY = 100;
/** The functions' timeout; a writer stops WRITE_STOP_MARGIN before it (default 60 s) and is invoked again. */
export const DISTRIBUTED_FUNCTION_TIMEOUT = Duration.minutes(15);
/** A run's limit: 50 million people written at the default budget of 1,000 items/s take ~14 h (docs/benchmarks.md). */
export const EXECUTION_TIMEOUT = Duration.hours(48);
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
export const TRANSIENT_ERRORS = [
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

/** The state machine's Task and Map state names that the local runtime and the tests refer to. */
export const STATES = {
  plan: 'Plan',
  scatter: 'Scatter',
  writePartition: 'WritePartition',
  writeAssignments: 'WriteAssignments',
  recordFailure: 'RecordFailure',
} as const;

export interface DistributedPipelineProps {
  readonly buckets: DataBuckets;
  readonly table: SegmentTable;
  readonly config: SegmentationConfig;
  /** Alarm topic: failed executions notify it. */
  readonly alarmTopic: sns.ITopic;
  /** The ingest function, which starts the state machine for large exports (and reads the limits it routes by). */
  readonly ingest: SecureFunction;
  /** What the single path is deployed with: ingest routes against these limits. */
  readonly singlePathLimits: SinglePathLimits;
}

export class DistributedPipeline extends Construct {
  readonly compute: SecureFunction;
  readonly publish: SecureFunction;
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;
  /** MaxConcurrency of the WriteAssignments map. */
  readonly writers: number;
  /** Where the execution-ended events go that could not be delivered to the publish function. */
  readonly endedDeadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: DistributedPipelineProps) {
    super(scope, id);
    const { buckets, table, config } = props;
    const common: ContractEnv = { ...commonEnvironment(buckets, table), [STORE_ENV.rawBucket]: buckets.raw.bucketName };
    this.writers = writersForBudget(config.assignmentWriteRate);

    // Invoked synchronously by Step Functions (retries are the state machine's): no asynchronous-invocation settings,
    // no failure queue.
    this.compute = new SecureFunction(this, 'Compute', {
      handlerName: 'distributed/compute',
      // The fit of the sample and the k-means iterations.
      fitsModels: true,
      description: 'Segments (distributed): plan, shuffle, partition features, fit, k-means partials and reduce',
      memorySize: 3008,
      timeout: DISTRIBUTED_FUNCTION_TIMEOUT,
      environment: { ...common, ...(config.k !== undefined ? { [F.fixedK]: String(config.k) } : {}) },
    });
    this.publish = new SecureFunction(this, 'Publish', {
      handlerName: 'distributed/publish',
      description: 'Segments (distributed): model draft, budgeted resumable assignment writes per partition, files, activation',
      memorySize: 3008,
      timeout: DISTRIBUTED_FUNCTION_TIMEOUT,
      environment: { ...common, [F.writeRatePerSecond]: String(config.assignmentWriteRate), [F.writers]: String(this.writers) },
    });

    // compute: reads the raw uploads and the previous model's assignments.csv, reads/writes its own work/ objects.
    buckets.grantReadIncoming(this.compute.role);
    grantPrefixAccess(this.compute.role, buckets.artifacts, { read: [WORK_PREFIX], writeMultipart: [WORK_PREFIX], list: [WORK_PREFIX] });
    buckets.grantArtifacts(this.compute.role, { read: ['models'], list: ['models'] });
    // ... and the suppression list (the features step leaves forgotten people out): Query on the table, its partition
    // key only (dynamodb:LeadingKeys), so the role reads no assignment, model or run record.
    this.compute.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [table.table.tableArn],
        conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [SUPPRESSION_PK] } },
      }),
    );
    // publish: reads work/, writes its own outputs there (each writer's counts, assignments.csv part and campaign list
    // parts), the model's files, campaign lists, reports, the dataset facts and latest pointer (features/), an error
    // report; the table; the event.
    grantPrefixAccess(this.publish.role, buckets.artifacts, {
      read: [WORK_PREFIX],
      list: [WORK_PREFIX],
      write: [`${WORK_PREFIX}*/${PUBLISH_WORK_OUTPUTS.model}/`, `${WORK_PREFIX}*/${PUBLISH_WORK_OUTPUTS.written}/`],
      writeMultipart: [`${WORK_PREFIX}*/${PUBLISH_WORK_OUTPUTS.assignments}/`, `${WORK_PREFIX}*/${PUBLISH_WORK_OUTPUTS.exports}/`],
    });
    // models/stability.json (the team's simulation) is read for the reports, as train does; the campaign lists are
    // written under exports/ (multipart), and at activation the replaced version's assignments.csv and lists (found by
    // a listing of exports/<version>/) are tagged for the expire-superseded rule, as train does.
    buckets.grantArtifacts(this.publish.role, {
      writeMultipart: ['models', 'exports'],
      write: ['reports', 'features', 'errors'],
      read: ['models'],
      list: ['models', 'exports'],
      tag: ['models', 'exports'],
    });
    table.grantItems(this.publish.role, { table: ['GetItem', 'Query', 'PutItem', 'UpdateItem', 'BatchWriteItem'], queryIndex: true, queryBorderlineIndex: true });
    this.publish.allowPutSegmentEvents([DETAIL_TYPES.activated]);

    buckets.artifacts.addLifecycleRule({ id: 'expire-distributed-work', enabled: true, prefix: WORK_PREFIX, expiration: Duration.days(7) });

    const step = (sid: string, fn: SecureFunction, payload: Record<string, unknown>, resultPath: string) => {
      const task = new tasks.LambdaInvoke(this, sid, {
        lambdaFunction: fn.function,
        payload: sfn.TaskInput.fromObject(payload),
        payloadResponseOnly: true,
        resultPath,
        retryOnServiceExceptions: false,
        // Explicit: the function's own limit and a minute (the States Language's default is 60 s, AWS's none).
        taskTimeout: sfn.Timeout.duration(DISTRIBUTED_FUNCTION_TIMEOUT.plus(Duration.minutes(1))),
      });
      task.addRetry({ errors: TRANSIENT_ERRORS, interval: Duration.seconds(2), backoffRate: 2, maxAttempts: 6, jitterStrategy: sfn.JitterType.FULL });
      return task;
    };
    const plan = sfn.JsonPath.objectAt('$.plan');
    // Each map reads its items from the JSON list the plan wrote (work/<run>/items/): no payload grows with the export.
    const items = (key: string) => new sfn.S3JsonItemReader({ bucketNamePath: buckets.artifacts.bucketName, key: sfn.JsonPath.stringAt(key) });
    const map = (sid: string, options: Partial<sfn.DistributedMapProps>, processor: sfn.IChainable) =>
      new sfn.DistributedMap(this, sid, {
        maxConcurrency: COMPUTE_MAX_CONCURRENCY,
        resultPath: sfn.JsonPath.DISCARD,
        // One failed item fails the run: a partition missing from the model is never acceptable.
        toleratedFailurePercentage: 0,
        ...options,
      }).itemProcessor(processor);

    const planTask = step(STATES.plan, this.compute, { step: 'plan', input: sfn.JsonPath.objectAt('$') }, '$.plan');
    const scatter = map(
      STATES.scatter,
      { itemReader: items('$.plan.items.scatter'), itemSelector: { item: sfn.JsonPath.objectAt('$$.Map.Item.Value'), plan } },
      step('ScatterObject', this.compute, { step: 'scatter', plan, item: sfn.JsonPath.objectAt('$.item') }, '$.result'),
    );
    const byBucket = (sid: string, stepName: string) =>
      map(
        sid,
        { itemReader: items('$.plan.items.buckets'), itemSelector: { q: sfn.JsonPath.numberAt('$$.Map.Item.Value.q'), plan } },
        step(`${sid}Bucket`, this.compute, { step: stepName, plan, q: sfn.JsonPath.numberAt('$.q') }, '$.result'),
      );
    const byPartition = (sid: string, processor: sfn.IChainable, extra: Record<string, unknown>, maxConcurrency = COMPUTE_MAX_CONCURRENCY) =>
      map(sid, { maxConcurrency, itemReader: items('$.plan.items.partitions'), itemSelector: { p: sfn.JsonPath.numberAt('$$.Map.Item.Value.p'), plan, ...extra } }, processor);

    const joinOrders = byBucket('JoinOrders', 'joinOrders');
    const joinChildren = byBucket('JoinChildren', 'joinChildren');
    const features = byPartition('PartitionFeatures', step('PartitionFeaturesPartition', this.compute, { step: 'features', plan, p: sfn.JsonPath.numberAt('$.p') }, '$.result'), {});
    const fit = step('Fit', this.compute, { step: 'fit', plan }, '$.loop');
    const partials = byPartition(
      'KMeansPartials',
      step('KMeansPartialsPartition', this.compute, { step: 'partial', plan, p: sfn.JsonPath.numberAt('$.p'), iteration: sfn.JsonPath.numberAt('$.iteration') }, '$.result'),
      { iteration: sfn.JsonPath.numberAt('$.loop.iteration') },
    );
    const reduce = step('KMeansReduce', this.compute, { step: 'reduce', plan, iteration: sfn.JsonPath.numberAt('$.loop.iteration') }, '$.loop');
    const draft = step('Draft', this.publish, { step: 'draft', plan, loop: sfn.JsonPath.objectAt('$.loop') }, '$.model');
    // One partition's writes: invoked again from where it stopped until its part is complete (a resumable write).
    const writePartition = step(
      STATES.writePartition,
      this.publish,
      { step: 'write', plan, model: sfn.JsonPath.objectAt('$.model'), p: sfn.JsonPath.numberAt('$.p'), from: sfn.JsonPath.numberAt('$.from') },
      '$.result',
    );
    const resume = new sfn.Pass(this, 'ResumePartition', {
      parameters: { p: sfn.JsonPath.numberAt('$.p'), plan, model: sfn.JsonPath.objectAt('$.model'), from: sfn.JsonPath.numberAt('$.result.next') },
    });
    resume.next(writePartition);
    const written = new sfn.Choice(this, 'PartitionWritten').when(sfn.Condition.booleanEquals('$.result.done', true), new sfn.Succeed(this, 'PartitionComplete')).otherwise(resume);
    const write = byPartition(STATES.writeAssignments, writePartition.next(written), { model: sfn.JsonPath.objectAt('$.model'), from: 0 }, this.writers);
    const activate = step('Activate', this.publish, { step: 'activate', plan, model: sfn.JsonPath.objectAt('$.model') }, '$.activated');

    // Any failure: the run record and errors/<dataset>/error.json say why, then the execution fails with the error.
    const failed = new sfn.Fail(this, 'Failed', { errorPath: '$.error.Error', causePath: '$.error.Cause' });
    const recordFailure = step(STATES.recordFailure, this.publish, { step: 'fail', input: sfn.JsonPath.objectAt('$$.Execution.Input'), error: sfn.JsonPath.objectAt('$.error') }, '$.failure');
    recordFailure.next(failed);
    const caught = <T extends sfn.TaskStateBase | sfn.DistributedMap>(state: T): T => {
      state.addCatch(recordFailure, { errors: ['States.ALL'], resultPath: '$.error' });
      return state;
    };
    for (const s of [planTask, scatter, joinOrders, joinChildren, features, fit, partials, reduce, draft, write, activate]) caught(s);

    const converged = new sfn.Choice(this, 'Converged').when(sfn.Condition.booleanEquals('$.loop.done', true), draft.next(write).next(activate)).otherwise(partials);
    partials.next(reduce).next(converged);
    const definition = planTask.next(scatter).next(joinOrders).next(joinChildren).next(features).next(fit).next(partials);

    this.logGroup = new logs.LogGroup(this, 'StateMachineLogs', { retention: LOG_RETENTION, removalPolicy: RemovalPolicy.RETAIN });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      comment: 'Olist segmentation at scale: shuffle by person, partition features, distributed Lloyd k-means, budgeted resumable writes',
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      timeout: EXECUTION_TIMEOUT,
    });
    // The item lists the maps read (the reader names the bucket by name, so the grant is ours, on work/ only).
    this.stateMachine.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [buckets.artifacts.arnForObjects(`${WORK_PREFIX}*`)] }));

    // Ingest routes large exports here: it starts executions, with the limits it routes by.
    this.stateMachine.grantStartExecution(props.ingest.role);
    props.ingest.function.addEnvironment(ROUTE_ENV.stateMachine, this.stateMachine.stateMachineArn);
    props.ingest.function.addEnvironment(ROUTE_ENV.limits, JSON.stringify(props.singlePathLimits));
    if (config.distributedAbove !== undefined) props.ingest.function.addEnvironment(ROUTE_ENV.above, String(config.distributedAbove));

    // What no Catch sees (a timeout, an abort, a runtime error such as a path that matches nothing) still ends the run:
    // the execution's end event invokes the same failure step, which records it unless the Catch already did.
    this.endedDeadLetterQueue = createFailureQueue(this, 'ExecutionEndedDeadLetterQueue');
    new events.Rule(this, 'ExecutionEnded', {
      description: 'Segments (distributed): a run that ended by a timeout, an abort or a runtime error is recorded as failed',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [this.stateMachine.stateMachineArn] },
      },
      targets: [
        new targets.LambdaFunction(this.publish.function, {
          event: events.RuleTargetInput.fromObject({ step: 'ended', execution: events.EventField.fromPath('$.detail') }),
          deadLetterQueue: this.endedDeadLetterQueue,
          retryAttempts: 2,
          maxEventAge: Duration.hours(2),
        }),
      ],
    });
    const alarm = (id: string, metric: cloudwatch.IMetric, description: string) =>
      new cloudwatch.Alarm(this, id, {
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      }).addAlarmAction(new cwActions.SnsAction(props.alarmTopic));
    alarm(
      'ExecutionEndedDeadLettersAlarm',
      this.endedDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      'The end of a failed distributed run could not be recorded (see the dead-letter queue): set its run record by hand.',
    );
    alarm('ExecutionsFailedAlarm', this.stateMachine.metricFailed({ period: Duration.minutes(5), statistic: 'Sum' }), 'A distributed segmentation run failed (see the execution in the Step Functions console)');

    acknowledgeStateMachinePolicies(this.stateMachine, [this.compute, this.publish], buckets);
  }
}

/**
 * The state machine role's wildcards, all generated by aws-cdk-lib for the Lambda tasks and the Distributed Map
 * states, each already as narrow as the service allows. Acknowledged finding by finding on the two policies that
 * hold them (the reviewed list is asserted in test/infra/distributed-pipeline.test.ts).
 */
function acknowledgeStateMachinePolicies(stateMachine: sfn.StateMachine, functions: SecureFunction[], buckets: DataBuckets): void {
  const stack = Stack.of(stateMachine);
  const logicalId = (c: Construct) => stack.getLogicalId(c.node.defaultChild as CfnElement);
  const role = policyOf(stateMachine.role);
  for (const fn of functions) {
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalId(fn.function)}.Arn>:*]`,
      reason: `lambda:InvokeFunction on the ${fn.handlerName} function and its versions/aliases (ARN:*), as the CDK LambdaInvoke task grants it; the function itself is fixed.`,
    });
  }
  const artifacts = stack.getLogicalId(buckets.artifacts.node.defaultChild as CfnElement);
  Validations.of(role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${artifacts}.Arn>/${WORK_PREFIX}*]`,
    reason: 'The Distributed Map item readers read the item lists each run writes under work/<run>/items/; run ids are only known at run time, so the work/ prefix is the narrowest resource.',
  });
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
