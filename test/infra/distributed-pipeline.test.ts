/**
 * The optional distributed path (context distributed=true): the state machine's shape (Distributed Maps with an S3
 * ItemReader, MaxConcurrency, retries, the Lloyd loop), least-privilege IAM, logging/tracing, and cdk-nag with the
 * reviewed acknowledgements. The synth bundles the two new handlers for real (their SDK imports must be dependencies).
 */
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, NagPack, ServerlessChecks } from 'cdk-nag';
import { createApp } from '../../lib/app';
import { COMPUTE_MAX_CONCURRENCY, writersForBudget } from '../../lib/constructs/distributed-pipeline';
import { SecureFunction } from '../../lib/constructs/secure-defaults';
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
    appProps: { context: { ...CDK_JSON_CONTEXT, distributed: 'true' }, builtinCloudFormationValidation: false },
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

test('off by default: the default stack has no state machine', () => {
  const built = createApp({ appProps: { context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false } });
  expect(built.stack.distributed).toBeUndefined();
  Template.fromStack(built.stack).resourceCountIs('AWS::StepFunctions::StateMachine', 0);
});

describe('state machine', () => {
  test('traced, logs ALL events to its own log group with retention, 12 h timeout, output of its ARN', () => {
    const props = resources[logicalId(d().stateMachine)].Properties;
    expect(props.TracingConfiguration).toEqual({ Enabled: true });
    expect(props.LoggingConfiguration).toMatchObject({ Level: 'ALL', Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: getAtt(d().logGroup) } }] });
    expect(resources[logicalId(d().logGroup)].Properties.RetentionInDays).toBe(90);
    expect(definition.TimeoutSeconds).toBe(12 * 3600);
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
  });

  test('Scatter is a Distributed Map whose ItemReader lists the dataset prefix of the raw bucket', () => {
    expect(definition.States.Scatter).toMatchObject({
      Type: 'Map',
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' } },
      ItemReader: { Resource: 'arn:<AWS::Partition>:states:::s3:listObjectsV2', Parameters: { Bucket: `<${logicalId(stack.buckets.raw)}>`, 'Prefix.$': '$.plan.rawPrefix' } },
      ItemSelector: { 'key.$': '$$.Map.Item.Value.Key', 'plan.$': '$.plan' },
      MaxConcurrency: COMPUTE_MAX_CONCURRENCY,
      ResultPath: null,
    });
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
    expect(definition.States.WriteAssignments).toMatchObject({ MaxConcurrency: writers, ItemsPath: '$.plan.partitionItems' });
    const env = resources[logicalId(d().publish.function)].Properties.Environment.Variables;
    expect(env).toMatchObject({ WRITE_RATE_PER_SECOND: '1000', WRITERS: String(writers), TABLE_NAME: ref(stack.segmentTable.table) });
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
    expect(tasks).toHaveLength(11);
    for (const t of tasks) {
      expect(t.Resource).toMatch(/^<DistributedPipeline(Compute|Publish)Function[0-9A-F]{8}\.Arn>$/);
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

  test('compute: reads incoming/ of the raw bucket, reads and writes work/ of the artifacts bucket, no table', () => {
    expect(objectSuffixes(d().compute, 's3:GetObject')).toEqual(['DataBucketsArtifactsBucket/work/*', 'DataBucketsRawBucket/incoming/*']);
    expect(objectSuffixes(d().compute, 's3:PutObject')).toEqual(['DataBucketsArtifactsBucket/work/*']);
    expect(objectSuffixes(d().compute, 's3:AbortMultipartUpload')).toEqual(['DataBucketsArtifactsBucket/work/*']);
    expect(statementsOfRole(ref(d().compute.role)).filter((s) => asArray(s.Action).some((a) => a.startsWith('dynamodb:')))).toEqual([]);
  });

  test('publish: reads work/, writes models/ and its own outputs in work/, item actions on the table and GSI1', () => {
    expect(objectSuffixes(d().publish, 's3:GetObject')).toEqual(['DataBucketsArtifactsBucket/work/*']);
    // Each writer's counts and assignments.csv part (work/<run>/written/, work/<run>/assignments/), the model's files.
    expect(objectSuffixes(d().publish, 's3:PutObject')).toEqual(['DataBucketsArtifactsBucket/models/*', 'DataBucketsArtifactsBucket/work/*/assignments/*', 'DataBucketsArtifactsBucket/work/*/written/*']);
    expect(objectSuffixes(d().publish, 's3:AbortMultipartUpload')).toEqual(['DataBucketsArtifactsBucket/models/*', 'DataBucketsArtifactsBucket/work/*/assignments/*']);
    const [events] = allows(d().publish, 'events:PutEvents');
    expect(events.Condition!['ForAllValues:StringEquals']['events:detail-type']).toEqual(['Segmentation model activated']);
    const tableArn = getAtt(stack.segmentTable.table);
    for (const s of statementsOfRole(ref(d().publish.role)).filter((x) => asArray(x.Action).some((a) => a.startsWith('dynamodb:')))) {
      for (const r of asArray(s.Resource)) expect([tableArn, { 'Fn::Join': ['', [tableArn, '/index/GSI1']] }]).toContainEqual(r);
      expect(asArray(s.Action)).not.toContain('dynamodb:Scan');
    }
  });

  test('state machine role: invokes the two functions, lists the raw bucket, "*" only for log delivery and X-Ray', () => {
    const statements = statementsOfRole({ Ref: logicalId(d().stateMachine.role) });
    const invoke = statements.filter((s) => asArray(s.Action).includes('lambda:InvokeFunction')).flatMap((s) => asArray(s.Resource));
    expect(JSON.stringify(invoke)).not.toMatch(/"\*"/);
    expect(new Set(invoke.map((r: any) => JSON.stringify(r).match(/DistributedPipeline(Compute|Publish)Function/)![0]))).toEqual(
      new Set(['DistributedPipelineComputeFunction', 'DistributedPipelinePublishFunction']),
    );
    expect(statements.filter((s) => asArray(s.Action).includes('s3:ListBucket'))).toEqual([expect.objectContaining({ Resource: getAtt(stack.buckets.raw) })]);
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
        ...perFunction('Compute', ['<DataBucketsRawBucket.Arn>/incoming/*', '<DataBucketsArtifactsBucket.Arn>/work/*']),
        ...perFunction('Publish', [
          '<DataBucketsArtifactsBucket.Arn>/work/*',
          '<DataBucketsArtifactsBucket.Arn>/work/*/written/*',
          '<DataBucketsArtifactsBucket.Arn>/work/*/assignments/*',
          '<DataBucketsArtifactsBucket.Arn>/models/*',
        ]),
        'StateMachine/Role/DefaultPolicy AwsSolutions-IAM5[Resource::<DistributedPipelineComputeFunction.Arn>:*]',
        'StateMachine/Role/DefaultPolicy AwsSolutions-IAM5[Resource::<DistributedPipelinePublishFunction.Arn>:*]',
        'StateMachine/Role/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
        'StateMachine/DistributedMapPolicy AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<execution>:*]',
        'StateMachine/DistributedMapPolicy AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<execution>/*:*]',
      ].sort(),
    );
  });
});
