/**
 * The distributed path, part of every deployment: the state machine's shape (Distributed Maps reading their items from
 * S3, MaxConcurrency, retries, the Lloyd loop, the resumable write loop, the failure path), ingest's routing to it,
 * least-privilege IAM, logging/tracing, and cdk-nag with the reviewed acknowledgements. Bundling is skipped here: the
 * stack test (segmentation-stack.test.ts) bundles every handler for real.
 */
import { SUPPRESSION_PK } from '../../lambdas/store/personal-data';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, NagPack, ServerlessChecks } from 'cdk-nag';
import { createApp } from '../../lib/app';
import { COMPUTE_MAX_CONCURRENCY, STATES, writersForBudget } from '../../lib/constructs/distributed-pipeline';
import { ROUTE_ENV } from '../../lambdas/pipeline/route';
import { SecureFunction } from '../../lib/constructs/defaults/lambda-defaults';
import { SegmentationStack } from '../../lib/segmentation-stack';
import { asArray, CDK_JSON_CONTEXT, logicalId, Statement } from './helpers';

let app: App;
let stack: SegmentationStack;
let nagPacks: NagPack[];
let template: Template;
let resources: Record<string, { Type: string; Properties?: any }>;
let definition: any;

/** The state machine definition with CloudFormation intrinsics replaced by their logical ids (readable JSON). */
function resolveDefinition(def: any): any {
  const parts: unknown[] = def['Fn::Join'][1];
  const text = parts
    .map((p: any) => (typeof p === 'string' ? p : p['Fn::GetAtt'] ? `<${p['Fn::GetAtt'][0]}.Arn>` : p.Ref ? `<${p.Ref}>` : JSON.stringify(p)))
    .join('');
  return JSON.parse(text);
}

beforeAll(() => {
  ({ app, stack, nagPacks } = createApp({
    appProps: { context: { ...CDK_JSON_CONTEXT, distributedAbove: '5000000', 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false },
  }));
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources;
  const [sm] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
  definition = resolveDefinition(sm.Properties.DefinitionString);
});

const d = () => stack.distributed!;
const ref = (c: Parameters<typeof logicalId>[0]) => ({ Ref: logicalId(c) });
const getAtt = (c: Parameters<typeof logicalId>[0]) => ({ 'Fn::GetAtt': [logicalId(c), 'Arn'] });
const statementsOfRole = (roleRef: unknown): Statement[] =>
  Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles.some((x: unknown) => JSON.stringify(x) === JSON.stringify(roleRef)))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
const allows = (fn: SecureFunction, action: string) => statementsOfRole(ref(fn.role)).filter((s) => asArray(s.Action).includes(action));

test('part of every deployment: ingest starts it, with the limits it routes by and the override from context', () => {
  template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
  const env = resources[logicalId(stack.pipeline.ingest.function)].Properties.Environment.Variables;
  expect(env[ROUTE_ENV.stateMachine]).toEqual(ref(d().stateMachine));
  expect(JSON.parse(env[ROUTE_ENV.limits])).toEqual({ ingestTimeoutSeconds: 600, ingestMemoryMb: 2048, trainTimeoutSeconds: 900, trainMemoryMb: 3008, writeRatePerSecond: 1000 });
  expect(env[ROUTE_ENV.above]).toBe('5000000');
  const start = statementsOfRole(ref(stack.pipeline.ingest.role)).filter((s) => asArray(s.Action).includes('states:StartExecution'));
  expect(start).toEqual([expect.objectContaining({ Resource: ref(d().stateMachine) })]);
  // Without the override, ingest's estimate decides (no variable).
  const plain = createApp({ appProps: { context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false } });
  const plainEnv = Template.fromStack(plain.stack).toJSON().Resources[logicalId(plain.stack.pipeline.ingest.function)].Properties.Environment.Variables;
  expect(plainEnv[ROUTE_ENV.above]).toBeUndefined();
});

describe('state machine', () => {
  test('traced, logs ALL events to its own log group with retention, 48 h timeout, output of its ARN', () => {
    const props = resources[logicalId(d().stateMachine)].Properties;
    expect(props.TracingConfiguration).toEqual({ Enabled: true });
    expect(props.LoggingConfiguration).toMatchObject({ Level: 'ALL', Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: getAtt(d().logGroup) } }] });
    expect(resources[logicalId(d().logGroup)].Properties.RetentionInDays).toBe(90);
    expect(definition.TimeoutSeconds).toBe(48 * 3600);
    expect(template.toJSON().Outputs.DistributedStateMachineArn.Value).toEqual(ref(d().stateMachine));
  });

  test('the flow: plan, shuffle, features, fit, Lloyd loop until converged, draft, budgeted writes, activate', () => {
    const s = definition.States;
    expect(definition.StartAt).toBe('Plan');
    const next = (name: string) => s[name].Next;
    expect(['Plan', 'Scatter', 'JoinOrders', 'JoinChildren', 'PartitionFeatures', 'Fit'].map(next)).toEqual([
      'Scatter',
      'JoinOrders',
      'JoinChildren',
      'PartitionFeatures',
      'Fit',
      'KMeansPartials',
    ]);
    expect(next('KMeansPartials')).toBe('KMeansReduce');
    expect(next('KMeansReduce')).toBe('Converged');
    expect(s.Converged).toMatchObject({ Type: 'Choice', Choices: [{ Variable: '$.loop.done', BooleanEquals: true, Next: 'Draft' }], Default: 'KMeansPartials' });
    expect([next('Draft'), next('WriteAssignments')]).toEqual(['WriteAssignments', 'Activate']);
    expect(s.Activate.End).toBe(true);
    // Any failure of a step: the run record and the error report say why, then the execution fails with the error.
    for (const name of ['Plan', 'Scatter', 'JoinOrders', 'JoinChildren', 'PartitionFeatures', 'Fit', 'KMeansPartials', 'KMeansReduce', 'Draft', 'WriteAssignments', 'Activate']) {
      expect(s[name].Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: STATES.recordFailure }]);
    }
    expect(s.RecordFailure).toMatchObject({ Type: 'Task', Parameters: { step: 'fail', 'input.$': '$$.Execution.Input', 'error.$': '$.error' }, Next: 'Failed' });
    expect(s.Failed).toEqual({ Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' });
  });

  test('every map reads its items from the JSON list the plan wrote (no payload grows with the export)', () => {
    const reader = (key: string) => ({ Resource: 'arn:<AWS::Partition>:states:::s3:getObject', ReaderConfig: { InputType: 'JSON' }, Parameters: { Bucket: `<${logicalId(stack.buckets.artifacts)}>`, 'Key.$': key } });
    expect(definition.States.Scatter).toMatchObject({
      Type: 'Map',
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' } },
      ItemReader: reader('$.plan.items.scatter'),
      ItemSelector: { 'item.$': '$$.Map.Item.Value', 'plan.$': '$.plan' },
      MaxConcurrency: COMPUTE_MAX_CONCURRENCY,
      ResultPath: null,
    });
    for (const name of ['JoinOrders', 'JoinChildren']) expect(definition.States[name].ItemReader).toEqual(reader('$.plan.items.buckets'));
    for (const name of ['PartitionFeatures', 'KMeansPartials', 'WriteAssignments']) expect(definition.States[name].ItemReader).toEqual(reader('$.plan.items.partitions'));
  });

  test('every map is distributed, discards its results (they go through S3) and fails on any failed item', () => {
    const maps = Object.entries(definition.States).filter(([, st]: [string, any]) => st.Type === 'Map');
    expect(maps.map(([n]) => n).sort()).toEqual(['JoinChildren', 'JoinOrders', 'KMeansPartials', 'PartitionFeatures', 'Scatter', 'WriteAssignments']);
    for (const [, m] of maps as [string, any][]) {
      expect(m.ItemProcessor.ProcessorConfig.Mode).toBe('DISTRIBUTED');
      expect(m.ResultPath).toBeNull();
      // Absent = the service default 0: a single failed item fails the map (a missing partition is never acceptable).
      expect(m.ToleratedFailurePercentage).toBeUndefined();
      expect(m.ToleratedFailureCount).toBeUndefined();
    }
  });

  test('WriteAssignments: MaxConcurrency derived from the write budget, which each writer divides by it', () => {
    const writers = writersForBudget(1000);
    expect(writers).toBe(4);
    expect(writersForBudget(500)).toBe(2);
    expect(writersForBudget(1)).toBe(1);
    expect(writersForBudget(40_000)).toBe(40);
    expect(definition.States.WriteAssignments).toMatchObject({ MaxConcurrency: writers, ItemSelector: { 'p.$': '$$.Map.Item.Value.p', 'plan.$': '$.plan', 'model.$': '$.model', from: 0 } });
    const env = resources[logicalId(d().publish.function)].Properties.Environment.Variables;
    expect(env).toMatchObject({ WRITE_RATE_PER_SECOND: '1000', WRITERS: String(writers), TABLE_NAME: ref(stack.segmentTable.table) });
  });

  test('a partition is written by a loop of invocations, each resumed where the previous one stopped before its time limit', () => {
    const p = definition.States.WriteAssignments.ItemProcessor;
    expect(p.StartAt).toBe(STATES.writePartition);
    expect(p.States.WritePartition).toMatchObject({ Type: 'Task', Parameters: { step: 'write', 'from.$': '$.from', 'p.$': '$.p' }, ResultPath: '$.result', Next: 'PartitionWritten' });
    expect(p.States.PartitionWritten).toEqual({ Type: 'Choice', Choices: [{ Variable: '$.result.done', BooleanEquals: true, Next: 'PartitionComplete' }], Default: 'ResumePartition' });
    expect(p.States.ResumePartition).toEqual({ Type: 'Pass', Parameters: { 'p.$': '$.p', 'plan.$': '$.plan', 'model.$': '$.model', 'from.$': '$.result.next' }, Next: 'WritePartition' });
  });

  test('every task retries throttling and transient errors with jittered backoff', () => {
    const tasks: any[] = [];
    const walk = (states: Record<string, any>) => {
      for (const st of Object.values(states)) {
        if (st.Type === 'Task') tasks.push(st);
        if (st.ItemProcessor) walk(st.ItemProcessor.States);
      }
    };
    walk(definition.States);
    expect(tasks).toHaveLength(12);
    for (const t of tasks) {
      expect(t.Resource).toMatch(/^<DistributedPipeline(Compute|Publish)Function[0-9A-F]{8}\.Arn>$/);
      expect(t.TimeoutSeconds).toBe(16 * 60);
      expect(t.Retry).toEqual([
        expect.objectContaining({
          ErrorEquals: expect.arrayContaining(['Lambda.TooManyRequestsException', 'Lambda.ServiceException', 'SlowDown', 'BatchWriteError']),
          MaxAttempts: 6,
          BackoffRate: 2,
          JitterStrategy: 'FULL',
        }),
      ]);
    }
  });

  test('an execution that ends by a timeout, an abort or a runtime error (no Catch sees those) is recorded by the publish function', () => {
    const rules = Object.values(resources).filter((r) => r.Type === 'AWS::Events::Rule' && r.Properties.EventPattern);
    expect(rules).toHaveLength(1);
    const [rule] = rules;
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [ref(d().stateMachine)] },
    });
    expect(rule.Properties.Targets).toEqual([
      expect.objectContaining({
        Arn: getAtt(d().publish.function),
        InputTransformer: { InputPathsMap: { detail: '$.detail' }, InputTemplate: '{"step":"ended","execution":<detail>}' },
        DeadLetterConfig: { Arn: getAtt(d().endedDeadLetterQueue) },
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 7200 },
      }),
    ]);
  });

  test('failed executions alarm the topic; work/ objects expire', () => {
    const alarm = Object.values(resources).find((r) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties.MetricName === 'ExecutionsFailed');
    expect(alarm?.Properties).toMatchObject({
      Namespace: 'AWS/States',
      Dimensions: [{ Name: 'StateMachineArn', Value: ref(d().stateMachine) }],
      Threshold: 1,
      AlarmActions: [ref(stack.monitoring.topic)],
    });
    expect(resources[logicalId(stack.buckets.artifacts)].Properties.LifecycleConfiguration.Rules).toContainEqual(
      expect.objectContaining({ Id: 'expire-distributed-work', Prefix: 'work/', ExpirationInDays: 7, Status: 'Enabled' }),
    );
  });
});

describe('IAM', () => {
  const objectSuffixes = (fn: SecureFunction, action: string) =>
    allows(fn, action)
      .flatMap((s) => asArray(s.Resource))
      .map((r: any) => `${r['Fn::Join'][1][0]['Fn::GetAtt'][0].replace(/[0-9A-F]{8}$/, '')}${r['Fn::Join'][1][1]}`)
      .sort();

  test('compute: reads incoming/ of the raw bucket and the previous assignments, reads and writes work/, of the table only the suppression list', () => {
    expect(objectSuffixes(d().compute, 's3:GetObject')).toEqual(['DataBucketsArtifactsBucket/models/*', 'DataBucketsArtifactsBucket/work/*', 'DataBucketsRawBucket/incoming/*']);
    expect(objectSuffixes(d().compute, 's3:PutObject')).toEqual(['DataBucketsArtifactsBucket/work/*']);
    expect(objectSuffixes(d().compute, 's3:AbortMultipartUpload')).toEqual(['DataBucketsArtifactsBucket/work/*']);
    // One Query grant, on the table (no index), limited to the partition key of the suppression list.
    expect(statementsOfRole(ref(d().compute.role)).filter((s) => asArray(s.Action).some((a) => a.startsWith('dynamodb:')))).toEqual([
      { Action: 'dynamodb:Query', Effect: 'Allow', Resource: getAtt(stack.segmentTable.table), Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [SUPPRESSION_PK] } } },
    ]);
  });

  test('publish: reads work/ and models/, writes the model\'s files and its own outputs in work/, item actions on the table and GSI1', () => {
    expect(objectSuffixes(d().publish, 's3:GetObject')).toEqual(['DataBucketsArtifactsBucket/models/*', 'DataBucketsArtifactsBucket/work/*']);
    // The draft, each writer's counts, assignments.csv part and campaign list parts (work/<run>/...), the model's files,
    // its campaign lists, its reports, the dataset facts and latest pointer (features/), an error report.
    expect(objectSuffixes(d().publish, 's3:PutObject')).toEqual([
      'DataBucketsArtifactsBucket/errors/*',
      'DataBucketsArtifactsBucket/exports/*',
      'DataBucketsArtifactsBucket/features/*',
      'DataBucketsArtifactsBucket/models/*',
      'DataBucketsArtifactsBucket/reports/*',
      'DataBucketsArtifactsBucket/work/*/assignments/*',
      'DataBucketsArtifactsBucket/work/*/exports/*',
      'DataBucketsArtifactsBucket/work/*/model/*',
      'DataBucketsArtifactsBucket/work/*/written/*',
    ]);
    expect(objectSuffixes(d().publish, 's3:AbortMultipartUpload')).toEqual([
      'DataBucketsArtifactsBucket/exports/*',
      'DataBucketsArtifactsBucket/models/*',
      'DataBucketsArtifactsBucket/work/*/assignments/*',
      'DataBucketsArtifactsBucket/work/*/exports/*',
    ]);
    // The replaced version's assignments.csv and campaign lists are tagged for expiry, as train tags them.
    expect(objectSuffixes(d().publish, 's3:PutObjectTagging')).toEqual(['DataBucketsArtifactsBucket/exports/*', 'DataBucketsArtifactsBucket/models/*']);
    const [events] = allows(d().publish, 'events:PutEvents');
    expect(events.Condition!['ForAllValues:StringEquals']['events:detail-type']).toEqual(['Segmentation model activated']);
    const tableArn = getAtt(stack.segmentTable.table);
    for (const s of statementsOfRole(ref(d().publish.role)).filter((x) => asArray(x.Action).some((a) => a.startsWith('dynamodb:')))) {
      for (const r of asArray(s.Resource)) expect([tableArn, { 'Fn::Join': ['', [tableArn, '/index/GSI1']] }, { 'Fn::Join': ['', [tableArn, '/index/GSI2']] }]).toContainEqual(r);
      expect(asArray(s.Action)).not.toContain('dynamodb:Scan');
    }
  });

  test('state machine role: invokes the two functions, reads the item lists under work/, "*" only for log delivery and X-Ray', () => {
    const statements = statementsOfRole({ Ref: logicalId(d().stateMachine.role) });
    const invoke = statements.filter((s) => asArray(s.Action).includes('lambda:InvokeFunction')).flatMap((s) => asArray(s.Resource));
    expect(JSON.stringify(invoke)).not.toMatch(/"\*"/);
    expect(new Set(invoke.map((r: any) => JSON.stringify(r).match(/DistributedPipeline(Compute|Publish)Function/)![0]))).toEqual(
      new Set(['DistributedPipelineComputeFunction', 'DistributedPipelinePublishFunction']),
    );
    expect(statements.filter((s) => asArray(s.Action).some((a) => a.startsWith('s3:')))).toEqual([
      expect.objectContaining({ Action: 's3:GetObject', Resource: { 'Fn::Join': ['', [getAtt(stack.buckets.artifacts), '/work/*']] } }),
    ]);
    for (const s of statements.filter((x) => asArray(x.Resource).includes('*'))) {
      for (const a of asArray(s.Action)) expect(a).toMatch(/^(xray:(PutTraceSegments|PutTelemetryRecords|GetSampling\w+)|logs:(\w+LogDelivery|ListLogDeliveries|DescribeLogGroups|DescribeResourcePolicies|PutResourcePolicy))$/);
    }
    for (const s of statements) for (const a of asArray(s.Action)) expect(a).not.toContain('*');
  });
});

describe('cdk-nag', () => {
  const ACK_KEY = Validations.ACKNOWLEDGED_RULES_METADATA_KEY;
  const acknowledgements = () =>
    app.node
      .findAll()
      .filter((c) => c.node.path.includes('/DistributedPipeline/'))
      .flatMap((c) =>
        c.node.metadata
          .filter((m) => m.type === ACK_KEY)
          .flatMap((m) => Object.entries(m.data as Record<string, string>))
          .map(([id, reason]) => ({ path: c.node.path, id: id.replace(/^annotation::/i, ''), reason })),
      );

  test('zero unacknowledged findings with the distributed path', () => {
    for (const pack of nagPacks) {
      const report = pack.validateScope(app);
      expect(report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
    }
  });

  test('its acknowledgements are the reviewed list, each matching a real finding', () => {
    const raw = [new AwsSolutionsChecks(), new ServerlessChecks()].flatMap((pack) => {
      (pack as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
      return pack.validateScope(app).violations;
    });
    for (const ack of acknowledgements()) {
      expect(ack.reason.length).toBeGreaterThan(60);
      const used = raw.some((v) => v.ruleName === ack.id && v.violatingResources.some((r) => r.constructPath === ack.path || r.constructPath?.startsWith(`${ack.path}/`)));
      if (!used) throw new Error(`Stale acknowledgement ${ack.id} at ${ack.path}`);
    }
    const summary = acknowledgements()
      .map(({ path, id }) =>
        `${path.replace(/^SegmentationStack\/DistributedPipeline\//, '')} ${id}`
          .replace(/[0-9A-F]{8}(\.Arn|"|>)/g, '$1')
          .replace(/\{"Fn::Select".*\}\]\}/, '<execution>'),
      )
      .sort();
    // Invoked synchronously by the state machine: no failure queue.
    const perFunction = (fn: string, prefixes: string[]) => [
      `${fn}/Function/Resource AwsSolutions-L1`,
      `${fn}/Function/Resource Serverless-LambdaLatestVersion`,
      `${fn}/Function/Resource Serverless-LambdaDLQ`,
      `${fn}/Role/DefaultPolicy AwsSolutions-IAM5[Resource::*]`,
      ...prefixes.map((p) => `${fn}/Role/DefaultPolicy AwsSolutions-IAM5[Resource::${p}]`),
    ];
    expect(summary).toEqual(
      [
        ...perFunction('Compute', ['<DataBucketsRawBucket.Arn>/incoming/*', '<DataBucketsArtifactsBucket.Arn>/work/*', '<DataBucketsArtifactsBucket.Arn>/models/*']),
        ...perFunction('Publish', [
          '<DataBucketsArtifactsBucket.Arn>/work/*',
          '<DataBucketsArtifactsBucket.Arn>/work/*/model/*',
          '<DataBucketsArtifactsBucket.Arn>/work/*/written/*',
          '<DataBucketsArtifactsBucket.Arn>/work/*/assignments/*',
          '<DataBucketsArtifactsBucket.Arn>/work/*/exports/*',
          '<DataBucketsArtifactsBucket.Arn>/models/*',
          '<DataBucketsArtifactsBucket.Arn>/exports/*',
          '<DataBucketsArtifactsBucket.Arn>/reports/*',
          '<DataBucketsArtifactsBucket.Arn>/features/*',
          '<DataBucketsArtifactsBucket.Arn>/errors/*',
        ]),
        'StateMachine/Role/DefaultPolicy AwsSolutions-IAM5[Resource::<DataBucketsArtifactsBucket.Arn>/work/*]',
        'ExecutionEndedDeadLetterQueue/Resource AwsSolutions-SQS3',
        'ExecutionEndedDeadLetterQueue/Resource Serverless-SQSRedrivePolicy',
        'StateMachine/Role/DefaultPolicy AwsSolutions-IAM5[Resource::<DistributedPipelineComputeFunction.Arn>:*]',
        'StateMachine/Role/DefaultPolicy AwsSolutions-IAM5[Resource::<DistributedPipelinePublishFunction.Arn>:*]',
        'StateMachine/Role/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
        'StateMachine/DistributedMapPolicy AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<execution>:*]',
        'StateMachine/DistributedMapPolicy AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<execution>/*:*]',
      ].sort(),
    );
  });
});
