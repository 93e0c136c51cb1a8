/**
 * The ingestion/training pipeline: raw upload -> ingest -> (async invoke) -> train.
 *
 * How train is started: ingest invokes it asynchronously (InvocationType=Event) with the features
 * location, once per claimed dataset. Chosen over an S3 notification on features/ and over EventBridge:
 *  - the payload is an explicit contract ({ datasetId, featuresKey, ... }) instead of a key to parse;
 *  - the artifacts bucket keeps zero notifications, so no pipeline write can ever re-trigger anything;
 *  - one IAM statement (lambda:InvokeFunction on one ARN), no rule / bus policy / extra DLQ;
 *  - train's own async config (retries, max event age, SQS on-failure destination) covers failures, and its
 *    reserved concurrency of 1 queues concurrent requests inside Lambda's async queue instead of racing;
 *  - the stability function reuses exactly the same entry point when auto-retraining is enabled.
 * EventBridge gets the business events (source and detail types: lambdas/contract/events.ts) for anyone else who cares.
 */
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import { Construct } from 'constructs';
import type { SegmentationConfig } from '../config';
import { DataBuckets, INCOMING_PREFIX } from './data-buckets';
import { COMMON_ENV as C, DETAIL_TYPES, EVENT_BUS_NAME, EVENT_SOURCE, FUNCTION_ENV as F, STORE_ENV, type ContractEnv } from '../../lambdas/contract';
import type { SinglePathLimits } from '../../lambdas/pipeline/route';
import { SecureFunction } from './defaults/lambda-defaults';
import { SegmentTable } from './segment-table';

/** The single path's function timeouts (ingest routes large exports by them: lambdas/pipeline/route.ts). */
export const INGEST_TIMEOUT = Duration.minutes(10);
export const TRAIN_TIMEOUT = Duration.minutes(15);

/** What the single path is deployed with, for ingest's routing estimate. */
export function singlePathLimits(config: SegmentationConfig): SinglePathLimits {
  return {
    ingestTimeoutSeconds: INGEST_TIMEOUT.toSeconds(),
    ingestMemoryMb: config.lambdaMemoryMb.ingest,
    trainTimeoutSeconds: TRAIN_TIMEOUT.toSeconds(),
    trainMemoryMb: config.lambdaMemoryMb.train,
    writeRatePerSecond: config.assignmentWriteRate,
  };
}

export interface PipelineFunctionsProps {
  readonly buckets: DataBuckets;
  readonly table: SegmentTable;
  readonly config: SegmentationConfig;
}

/** Environment shared by every function of the stack. */
export function commonEnvironment(buckets: DataBuckets, table: SegmentTable): ContractEnv {
  return {
    [C.artifactsBucket]: buckets.artifacts.bucketName,
    [C.tableName]: table.table.tableName,
    [C.eventBusName]: EVENT_BUS_NAME,
    [C.eventSource]: EVENT_SOURCE,
  };
}

export class PipelineFunctions extends Construct {
  readonly ingest: SecureFunction;
  readonly train: SecureFunction;

  constructor(scope: Construct, id: string, props: PipelineFunctionsProps) {
    super(scope, id);
    const { buckets, table, config } = props;
    const common = commonEnvironment(buckets, table);

    this.train = new SecureFunction(this, 'Train', {
      handlerName: 'train',
      fitsModels: true,
      description: 'Segments: transforms, k sweep, model, segments, assignments, then flips the ACTIVE pointer',
      memorySize: config.lambdaMemoryMb.train,
      timeout: TRAIN_TIMEOUT,
      // One training at a time: ACTIVE pointer flips are serialised and the write budget is global.
      // Extra requests wait (throttled) in Lambda's async queue, up to maxEventAge.
      reservedConcurrentExecutions: config.reserveConcurrency ? 1 : undefined,
      // Two retries: a crashed or timed-out attempt leaves its run leased to its request id; Lambda's retry carries the
      // same id, so it takes the run over at once (lambdas/pipeline/lease.ts) and restarts from the features, discarding
      // the draft. The lease itself lasts the invocation's remaining time + 1 min (context), no RUN_LEASE_MS needed.
      asyncInvocation: { retryAttempts: 2, maxEventAge: Duration.hours(6) },
      environment: {
        ...common,
        [F.writeRatePerSecond]: String(config.assignmentWriteRate),
        ...(config.k !== undefined ? { [F.fixedK]: String(config.k) } : {}),
      },
    });

    this.ingest = new SecureFunction(this, 'Ingest', {
      handlerName: 'ingest',
      description: 'Segments: claims a dataset uploaded under incoming/, builds customer features, starts training',
      memorySize: config.lambdaMemoryMb.ingest,
      timeout: INGEST_TIMEOUT,
      // Duplicate / out-of-order S3 events are expected; the handler claims each dataset once (conditional write).
      asyncInvocation: { retryAttempts: 2, maxEventAge: Duration.hours(6) },
      environment: {
        ...common,
        [STORE_ENV.rawBucket]: buckets.raw.bucketName,
        [F.trainFunctionName]: this.train.functionName,
        [F.maxUploadBytes]: String(config.maxUploadBytes),
        [F.maxInvalidRows]: String(config.maxInvalidRows),
      },
    });

    // Least privilege, per function: exactly what its code calls (test/iam/grants.test.ts runs every code path under
    // these policies, lambdas/local/iam/, and fails on a grant nothing exercises). Metrics go out as EMF log lines.
    buckets.grantReadIncoming(this.ingest.role);
    // features.bin may be large (multipart); the error report is one small object.
    buckets.grantArtifacts(this.ingest.role, { writeMultipart: ['features'], write: ['errors'] });
    // claimRun/noteWaiting (PutItem), run updates and leases (UpdateItem), the record of a lost claim (GetItem), and the
    // suppression list of erased people (Query PK = SUPPRESSION: lambdas/store/personal-data.ts).
    table.grantItems(this.ingest.role, { table: ['GetItem', 'PutItem', 'UpdateItem', 'Query'] });
    this.train.grantInvokeUnqualified(this.ingest.role);

    buckets.grantArtifacts(this.train.role, {
      read: ['features', 'models'],
      // assignments.csv and the campaign lists may be large (multipart); reports and the error report are written whole.
      writeMultipart: ['models', 'exports'],
      write: ['reports', 'errors'],
      // Existence checks of optional objects are listings (a HeadObject on a missing key is a 403 without ListBucket);
      // the superseded version's campaign lists are found by a listing of exports/<version>/.
      list: ['features', 'models', 'exports'],
      // Marks the superseded version's assignments.csv and campaign lists for the lifecycle rule (lambdas/store/lifecycle.ts).
      tag: ['models', 'exports'],
    });
    table.grantItems(this.train.role, { table: ['GetItem', 'Query', 'PutItem', 'UpdateItem', 'BatchWriteItem'], queryIndex: true, queryBorderlineIndex: true });
    this.train.allowPutSegmentEvents([DETAIL_TYPES.activated]);
    // A write that meets the time limit continues in a new invocation of train (lambdas/pipeline/train.ts). In a policy
    // of its own: the function depends on its role's default policy, which cannot name the function's ARN (a cycle).
    new iam.Policy(this, 'TrainContinuesItsWrite', {
      roles: [this.train.role],
      statements: [new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.train.function.functionArn] })],
    });

    // Raw uploads under incoming/ start ingestion. Only the raw bucket notifies, only ingest, only this prefix.
    buckets.raw.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.LambdaDestination(this.ingest.function), {
      prefix: INCOMING_PREFIX,
    });
    acknowledgeBucketNotificationsHandler(Stack.of(this));
  }
}

/**
 * CDK's singleton custom-resource function that applies S3 bucket notifications (created by
 * addEventNotification). Its code, runtime and role are owned by aws-cdk-lib, not by us; its
 * s3:PutBucketNotification permission is already scoped to the raw bucket. Acknowledged on that
 * singleton only.
 */
function acknowledgeBucketNotificationsHandler(stack: Stack): void {
  const handler = stack.node.tryFindChild('BucketNotificationsHandler050a0587b7544547bf325f094a3db834');
  if (!handler) throw new Error('CDK BucketNotificationsHandler singleton not found; review the cdk-nag acknowledgements');
  // Scoped to the handler's role (the only flagged resource of the singleton).
  Validations.of(handler.node.findChild('Role')).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason: 'CDK-managed custom resource handler (BucketNotificationsHandler) that only applies the S3 notification configuration at deploy time; aws-cdk-lib attaches AWSLambdaBasicExecutionRole to its role and offers no way to replace it.',
  });
}
