/** SQS defaults: the stack's terminal failure queues (Lambda on-failure destinations, EventBridge target DLQs). */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/** SQS maximum: failures stay available for inspection / replay for two weeks. */
export const FAILURE_RETENTION = Duration.days(14);

/**
 * A terminal failure queue (Lambda on-failure destination or EventBridge target DLQ): SSE-SQS
 * encryption, TLS-only queue policy, 14 days retention.
 */
export function createFailureQueue(scope: Construct, id: string): sqs.Queue {
  const queue = new sqs.Queue(scope, id, {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: FAILURE_RETENTION,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const cfnQueue = queue.node.defaultChild as sqs.CfnQueue;
  // cdk-nag only recognises a queue as a DLQ when it is referenced by another queue's RedrivePolicy or a
  // function's DeadLetterConfig; Lambda on-failure destinations and EventBridge target DLQs are not detected.
  Validations.of(cfnQueue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason: 'This queue is itself a dead-letter queue (Lambda on-failure destination or EventBridge target DLQ); cdk-nag does not detect these DLQ usages.',
  });
  Validations.of(cfnQueue).acknowledge({
    id: 'Serverless-SQSRedrivePolicy',
    reason: 'Terminal dead-letter queue with no consumer: there is nothing to redrive it to; messages are inspected/replayed by an operator and an alarm fires on the first visible message.',
  });
  return queue;
}
