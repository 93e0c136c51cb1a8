/**
 * The customer-segmentation stack: data buckets, segment table, ingest/train pipeline, scheduled
 * stability check, monitoring. Configuration: see lib/config.ts (props or CDK context).
 */
import { CfnOutput, Stack, StackProps, Tags } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { resolveConfig, SegmentationConfig, SegmentationConfigInput } from './config';
import { DataBuckets } from './constructs/data-buckets';
import { DistributedPipeline } from './constructs/distributed-pipeline';
import { Monitoring } from './constructs/monitoring';
import { PipelineFunctions, singlePathLimits } from './constructs/pipeline-functions';
import { SegmentTable } from './constructs/segment-table';
import { StabilitySchedule } from './constructs/stability-schedule';

export type SegmentationStackProps = StackProps & SegmentationConfigInput;

export class SegmentationStack extends Stack {
  readonly config: SegmentationConfig;
  readonly buckets: DataBuckets;
  readonly segmentTable: SegmentTable;
  readonly pipeline: PipelineFunctions;
  readonly stabilitySchedule: StabilitySchedule;
  readonly monitoring: Monitoring;
  /** The distributed path: part of every deployment, started by ingest for large exports. */
  readonly distributed: DistributedPipeline;

  constructor(scope: Construct, id: string, props: SegmentationStackProps = {}) {
    super(scope, id, {
      description: 'Olist customer segmentation: S3 ingest -> features -> k-means segments in DynamoDB, scheduled stability checks',
      ...props,
    });
    this.config = resolveConfig(props);

    this.buckets = new DataBuckets(this, 'DataBuckets', {
      retention: { incoming: this.config.retainIncomingDays, features: this.config.retainFeaturesDays, superseded: this.config.retainSupersededDays },
    });
    this.segmentTable = new SegmentTable(this, 'SegmentTable');
    this.pipeline = new PipelineFunctions(this, 'PipelineFunctions', {
      buckets: this.buckets,
      table: this.segmentTable,
      config: this.config,
    });
    this.stabilitySchedule = new StabilitySchedule(this, 'StabilitySchedule', {
      buckets: this.buckets,
      table: this.segmentTable,
      train: this.pipeline.train,
      config: this.config,
    });

    const { ingest, train } = this.pipeline;
    const { stability, scheduleDeadLetterQueue } = this.stabilitySchedule;
    this.monitoring = new Monitoring(this, 'Monitoring', {
      functions: [ingest, train, stability],
      queues: [
        { name: 'ingestFailures', queue: ingest.asyncFailureQueue() },
        { name: 'trainFailures', queue: train.asyncFailureQueue() },
        { name: 'stabilityFailures', queue: stability.asyncFailureQueue() },
        { name: 'stabilityScheduleDlq', queue: scheduleDeadLetterQueue },
      ],
    });

    this.distributed = new DistributedPipeline(this, 'DistributedPipeline', {
      buckets: this.buckets,
      table: this.segmentTable,
      config: this.config,
      alarmTopic: this.monitoring.topic,
      ingest,
      singlePathLimits: singlePathLimits(this.config),
    });
    new CfnOutput(this, 'DistributedStateMachineArn', {
      value: this.distributed.stateMachine.stateMachineArn,
      description: 'Started by ingest for large exports; by hand: {"datasetId": "<id>"} after uploading to incoming/<id>/',
    });

    Tags.of(this).add('project', 'olist-segments');

    new CfnOutput(this, 'RawBucketName', {
      value: this.buckets.raw.bucketName,
      description: 'Upload Olist tables to s3://<this>/incoming/<dataset-id>/<table>.csv',
    });
    new CfnOutput(this, 'ArtifactsBucketName', { value: this.buckets.artifacts.bucketName });
    new CfnOutput(this, 'TableName', { value: this.segmentTable.table.tableName });
    new CfnOutput(this, 'IngestFunctionName', { value: ingest.functionName });
    new CfnOutput(this, 'TrainFunctionName', { value: train.functionName });
    new CfnOutput(this, 'StabilityFunctionName', { value: stability.functionName });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.topic.topicArn, description: 'Subscribe on-call here' });
  }
}
