/**
 * Alarms and their notification topic:
 *  - Errors of each function (any error in 5 minutes),
 *  - visible messages in each failure queue / DLQ (an invocation was given up),
 *  - the pipeline's custom metric Segments/FailedRuns (a run failed for a business reason, e.g. schema).
 * The topic is encrypted with a customer-managed key (CloudWatch cannot publish to a topic encrypted with
 * the AWS-managed aws/sns key) and only accepts TLS publishes; subscribe e-mail/chat out of band.
 */
import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRIC_NAMES, METRICS_NAMESPACE } from '../../lambdas/contract';
import type { SecureFunction } from './defaults/lambda-defaults';

export interface MonitoredQueue {
  /** Used in the alarm's id and description. */
  readonly name: string;
  readonly queue: sqs.IQueue;
}

export interface MonitoringProps {
  readonly functions: SecureFunction[];
  /** Failure queues / DLQs; each gets an alarm on its first visible message. */
  readonly queues: MonitoredQueue[];
  /** @default 5 minutes */
  readonly period?: Duration;
}

export class Monitoring extends Construct {
  readonly topic: sns.Topic;
  readonly topicKey: kms.Key;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const period = props.period ?? Duration.minutes(5);
    const stack = Stack.of(this);
    const cloudwatchPrincipal = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
    const alarmSourceArn = stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME });

    this.topicKey = new kms.Key(this, 'TopicKey', {
      description: 'Encrypts the segmentation alarm topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // CloudWatch encrypts the notification it publishes: it needs the data key, for this account's alarms only.
    this.topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsOfThisAccount',
        principals: [cloudwatchPrincipal],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'], // in a key policy "*" means this key
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );

    this.topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: 'Segmentation pipeline alarms',
      masterKey: this.topicKey,
      enforceSSL: true,
    });
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsOfThisAccount',
        principals: [cloudwatchPrincipal],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': alarmSourceArn },
        },
      }),
    );
    const action = new actions.SnsAction(this.topic);

    const add = (alarmId: string, alarmProps: cloudwatch.AlarmProps) => {
      const alarm = new cloudwatch.Alarm(this, alarmId, alarmProps);
      alarm.addAlarmAction(action);
      this.alarms.push(alarm);
      return alarm;
    };

    for (const fn of props.functions) {
      add(`${capitalize(fn.handlerName)}Errors`, {
        alarmDescription: `The ${fn.handlerName} function reported errors (see its log group; failed async events end up in its failure queue).`,
        metric: fn.function.metricErrors({ period, statistic: cloudwatch.Stats.SUM }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }

    for (const { name, queue } of props.queues) {
      add(`${capitalize(name)}MessagesVisible`, {
        alarmDescription: `Failed events are waiting in the ${name} queue: inspect and replay or purge them.`,
        metric: queue.metricApproximateNumberOfMessagesVisible({ period, statistic: cloudwatch.Stats.MAXIMUM }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }

    add(METRIC_NAMES.failedRuns, {
      alarmDescription: `A pipeline run failed (${METRICS_NAMESPACE}/${METRIC_NAMES.failedRuns}); the run record in the table and errors/ in the artifacts bucket say why.`,
      metric: new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: METRIC_NAMES.failedRuns,
        period,
        statistic: cloudwatch.Stats.SUM,
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
