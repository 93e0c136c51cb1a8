/**
 * Scheduled stability check: an EventBridge rule (rate from config) invokes the stability function,
 * which compares the active model with a fresh fit (ARI), measures drift and age, records the check
 * in the table and puts a "Segmentation drift detected" event (source olist.segments) on the default bus.
 * With autoRetrain it may also start a retraining by invoking train asynchronously.
 */
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { SegmentationConfig } from '../config';
import { DataBuckets } from './data-buckets';
import { commonEnvironment } from './pipeline-functions';
import { DETAIL_TYPES, FUNCTION_ENV as F, STORE_ENV } from '../../lambdas/contract';
import { SecureFunction } from './defaults/lambda-defaults';
import { createFailureQueue } from './defaults/sqs-defaults';
import { SegmentTable } from './segment-table';

export interface StabilityScheduleProps {
  readonly buckets: DataBuckets;
  readonly table: SegmentTable;
  /** The train function, invoked when autoRetrain is enabled. */
  readonly train: SecureFunction;
  readonly config: SegmentationConfig;
}

export class StabilitySchedule extends Construct {
  readonly stability: SecureFunction;
  readonly rule: events.Rule;
  /** Events EventBridge could not deliver to the function (after the target's retries). */
  readonly scheduleDeadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: StabilityScheduleProps) {
    super(scope, id);
    const { buckets, table, train, config } = props;

    this.stability = new SecureFunction(this, 'Stability', {
      handlerName: 'stability',
      fitsModels: true,
      description: 'Segments: scheduled stability check (ARI vs fresh fit, drift, age), drift event, optional retrain',
      memorySize: config.lambdaMemoryMb.stability,
      timeout: Duration.minutes(10),
      // A manual run and the schedule never overlap.
      reservedConcurrentExecutions: config.reserveConcurrency ? 1 : undefined,
      asyncInvocation: { retryAttempts: 1, maxEventAge: Duration.hours(2) },
      environment: {
        ...commonEnvironment(buckets, table),
        // The check reloads the latest dataset's tables: which customers the model knew needs their order history.
        [STORE_ENV.rawBucket]: buckets.raw.bucketName,
        [F.ariThreshold]: String(config.ariThreshold),
        [F.autoRetrain]: String(config.autoRetrain),
        // The latest dataset was accepted with this row tolerance: it must load here with the same one.
        [F.maxInvalidRows]: String(config.maxInvalidRows),
        // ... and under the same size limit: the reload never reads more than ingest would have.
        [F.maxUploadBytes]: String(config.maxUploadBytes),
        [F.trainFunctionName]: train.functionName,
        // Retention after the check (lambdas/handlers/retention.ts): deletes go through BatchWriteItem and Query on
        // GSI1, both granted below (no DeleteItem).
        [F.keepVersions]: String(config.keepVersions),
      },
    });

    buckets.grantReadIncoming(this.stability.role);
    // Reads only: the check's result goes to the table (STABILITY items), not to S3.
    buckets.grantArtifacts(this.stability.role, { read: ['features', 'models'], list: ['features', 'models'] });
    table.grantItems(this.stability.role, { table: ['GetItem', 'Query', 'PutItem', 'UpdateItem', 'BatchWriteItem'], queryIndex: true });
    this.stability.allowPutSegmentEvents([DETAIL_TYPES.drift]);
    if (config.autoRetrain) train.grantInvokeUnqualified(this.stability.role);

    this.scheduleDeadLetterQueue = createFailureQueue(this, 'ScheduleDeadLetterQueue');
    this.rule = new events.Rule(this, 'Rule', {
      description: 'Segments: periodic stability check of the active segmentation model',
      schedule: events.Schedule.expression(config.scheduleRate),
      targets: [
        new targets.LambdaFunction(this.stability.function, {
          deadLetterQueue: this.scheduleDeadLetterQueue,
          retryAttempts: 2,
          maxEventAge: Duration.hours(1),
        }),
      ],
    });
  }
}
