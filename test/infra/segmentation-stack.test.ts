/**
 * Infrastructure assertions on the synthesized SegmentationStack (one synth, shared by every test) and
 * cdk-nag (AWS Solutions + Serverless packs) with zero unacknowledged findings.
 *
 * The synth uses real esbuild bundling of lambdas/handlers/*.ts and runs the cdk-nag policy-validation
 * plugins exactly as `npx cdk synth` does: an unacknowledged finding makes the synth itself throw in beforeAll
 * (and the cdk-nag tests below list the findings readably).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, NagPack, ServerlessChecks } from 'cdk-nag';
import { createApp, STACK_NAME } from '../../lib/app';
import { INCOMING_PREFIX } from '../../lib/constructs/data-buckets';
import { KMEANS_WORKER_BUNDLE } from '../../lambdas/contract';
import { SecureFunction } from '../../lib/constructs/defaults/lambda-defaults';
import { SegmentationStack } from '../../lib/segmentation-stack';
import { asArray, CDK_JSON_CONTEXT, logicalId, Statement } from './helpers';
import { assetDirOf, runBundledWorker } from './worker-bundle';

let app: App;
let stack: SegmentationStack;
let nagPacks: NagPack[];
let template: Template;
let resources: Record<string, { Type: string; Properties?: any; DeletionPolicy?: string; UpdateReplacePolicy?: string }>;

beforeAll(() => {
  ({ app, stack, nagPacks } = createApp({
    appProps: {
      context: CDK_JSON_CONTEXT,
      // CDK's built-in CloudFormation validation (a WASM validator) adds ~10 s and leaves a handle open that
      // keeps the Jest worker alive; `npx cdk synth` runs it. cdk-nag runs here exactly as in `cdk synth`.
      builtinCloudFormationValidation: false,
    },
  }));
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources;
});

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
/** The asynchronously invoked functions (the distributed path's, invoked by its state machine: test/infra/distributed-pipeline.test.ts). */
const fns = (): SecureFunction[] => [stack.pipeline.ingest, stack.pipeline.train, stack.stabilitySchedule.stability];
const allFns = (): SecureFunction[] => [...fns(), stack.distributed.compute, stack.distributed.publish];
const getAtt = (construct: Parameters<typeof logicalId>[0], attr = 'Arn') => ({ 'Fn::GetAtt': [logicalId(construct), attr] });
const ref = (construct: Parameters<typeof logicalId>[0]) => ({ Ref: logicalId(construct) });

describe('stack', () => {
  test('is named SegmentationStack and uses the cdk.json defaults', () => {
    expect(stack.stackName).toBe(STACK_NAME);
    expect(STACK_NAME).toBe('SegmentationStack');
    expect(stack.config).toMatchObject({
      scheduleRate: 'rate(7 days)',
      ariThreshold: 0.8,
      k: undefined,
      lambdaMemoryMb: { ingest: 2048, train: 3008, stability: 1769 },
      autoRetrain: false,
    });
  });

  test('has every output', () => {
    const outputs = template.toJSON().Outputs;
    expect(Object.keys(outputs).sort()).toEqual(
      [
        'AlarmTopicArn',
        'ArtifactsBucketName',
        'DistributedStateMachineArn',
        'IngestFunctionName',
        'RawBucketName',
        'StabilityFunctionName',
        'TableName',
        'TrainFunctionName',
      ].sort(),
    );
    expect(outputs.RawBucketName.Value).toEqual(ref(stack.buckets.raw));
    expect(outputs.ArtifactsBucketName.Value).toEqual(ref(stack.buckets.artifacts));
    expect(outputs.TableName.Value).toEqual(ref(stack.segmentTable.table));
    expect(outputs.IngestFunctionName.Value).toEqual(ref(stack.pipeline.ingest.function));
    expect(outputs.TrainFunctionName.Value).toEqual(ref(stack.pipeline.train.function));
    expect(outputs.StabilityFunctionName.Value).toEqual(ref(stack.stabilitySchedule.stability.function));
    expect(outputs.AlarmTopicArn.Value).toEqual(ref(stack.monitoring.topic));
  });
});

describe('buckets', () => {
  test('every bucket is encrypted, blocks public access, owner-enforced, versioned, expires noncurrent versions and is retained', () => {
    const buckets = ofType('AWS::S3::Bucket');
    expect(buckets).toHaveLength(3);
    for (const [, b] of buckets) {
      expect(b.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toMatch(
        /^(AES256|aws:kms)$/,
      );
      expect(b.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(b.Properties.OwnershipControls.Rules).toEqual([{ ObjectOwnership: 'BucketOwnerEnforced' }]);
      expect(b.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
      expect(b.Properties.LifecycleConfiguration.Rules).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ Status: 'Enabled', NoncurrentVersionExpiration: expect.objectContaining({ NoncurrentDays: expect.any(Number) }) }),
        ]),
      );
      expect(b.DeletionPolicy).toBe('Retain');
    }
  });

  test('personal data expires: raw exports, feature tables and error reports, superseded versions\' assignments (tagged by train)', () => {
    const rules = (bucket: typeof stack.buckets.raw) => resources[logicalId(bucket)].Properties.LifecycleConfiguration.Rules;
    expect(rules(stack.buckets.raw)).toEqual(expect.arrayContaining([{ Id: 'expire-incoming', Status: 'Enabled', Prefix: 'incoming/', ExpirationInDays: 90 }]));
    expect(rules(stack.buckets.artifacts)).toEqual(
      expect.arrayContaining([
        { Id: 'expire-features', Status: 'Enabled', Prefix: 'features/', ExpirationInDays: 90 },
        { Id: 'expire-errors', Status: 'Enabled', Prefix: 'errors/', ExpirationInDays: 90 },
        { Id: 'expire-superseded', Status: 'Enabled', TagFilters: [{ Key: 'lifecycle', Value: 'superseded' }], ExpirationInDays: 30 },
      ]),
    );
    // and their older versions after the noncurrent-version expiration of every bucket
    for (const bucket of [stack.buckets.raw, stack.buckets.artifacts]) expect(rules(bucket)).toEqual(expect.arrayContaining([expect.objectContaining({ NoncurrentVersionExpiration: { NoncurrentDays: 30 } })]));
  });

  test('raw and artifacts buckets send server access logs to the dedicated log bucket', () => {
    const logBucket = ref(stack.buckets.accessLogs);
    for (const bucket of [stack.buckets.raw, stack.buckets.artifacts]) {
      expect(resources[logicalId(bucket)].Properties.LoggingConfiguration).toEqual({
        DestinationBucketName: logBucket,
        LogFilePrefix: expect.stringMatching(/\/$/),
      });
    }
    // Log delivery is granted by bucket policy (no ACLs), only for the two source buckets.
    const logPolicy = ofType('AWS::S3::BucketPolicy').find(([, p]) => JSON.stringify(p.Properties.Bucket) === JSON.stringify(logBucket));
    const statements: Statement[] = logPolicy![1].Properties.PolicyDocument.Statement;
    const delivery = statements.filter((s) => JSON.stringify(s).includes('logging.s3.amazonaws.com'));
    expect(delivery.map((s) => s.Condition!.ArnLike['aws:SourceArn'])).toEqual(
      expect.arrayContaining([getAtt(stack.buckets.raw), getAtt(stack.buckets.artifacts)]),
    );
  });

  test('every bucket policy denies non-TLS requests', () => {
    const policies = ofType('AWS::S3::BucketPolicy');
    expect(policies).toHaveLength(3);
    for (const [, p] of policies) {
      expect(p.Properties.PolicyDocument.Statement).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Effect: 'Deny',
            Action: 's3:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      );
    }
  });

  test('the raw bucket notifies only the ingest function, only for ObjectCreated under incoming/', () => {
    const notifications = ofType('Custom::S3BucketNotifications');
    expect(notifications).toHaveLength(1);
    const [, n] = notifications[0];
    expect(n.Properties.BucketName).toEqual(ref(stack.buckets.raw));
    expect(n.Properties.NotificationConfiguration).toEqual({
      LambdaFunctionConfigurations: [
        {
          Events: ['s3:ObjectCreated:*'],
          Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: INCOMING_PREFIX }] } },
          LambdaFunctionArn: getAtt(stack.pipeline.ingest.function),
        },
      ],
    });
    expect(INCOMING_PREFIX).toBe('incoming/');
  });

  test('the artifacts bucket notifies nothing (pipeline writes never trigger ingestion)', () => {
    const artifacts = ref(stack.buckets.artifacts);
    for (const [, n] of ofType('Custom::S3BucketNotifications')) {
      expect(n.Properties.BucketName).not.toEqual(artifacts);
    }
    expect(resources[logicalId(stack.buckets.artifacts)].Properties.NotificationConfiguration).toBeUndefined();
    // S3 may invoke ingest only from the raw bucket.
    const s3Permissions = ofType('AWS::Lambda::Permission').filter(([, p]) => p.Properties.Principal === 's3.amazonaws.com');
    expect(s3Permissions).toHaveLength(1);
    expect(s3Permissions[0][1].Properties).toMatchObject({
      FunctionName: getAtt(stack.pipeline.ingest.function),
      SourceArn: getAtt(stack.buckets.raw),
      SourceAccount: { Ref: 'AWS::AccountId' },
    });
  });
});

describe('segment table', () => {
  test('single table PK/SK strings, GSI1 (GSI1PK/GSI1SK strings), GSI2 (the sparse borderline index), on-demand, PITR, encrypted, no TTL (retention deletes), protected', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        KeySchema: [
          { AttributeName: 'PK', KeyType: 'HASH' },
          { AttributeName: 'SK', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: Match.arrayEquals([
          { AttributeName: 'PK', AttributeType: 'S' },
          { AttributeName: 'SK', AttributeType: 'S' },
          { AttributeName: 'GSI1PK', AttributeType: 'S' },
          { AttributeName: 'GSI1SK', AttributeType: 'S' },
          { AttributeName: 'GSI2PK', AttributeType: 'S' },
          { AttributeName: 'GSI2SK', AttributeType: 'S' },
        ]),
        GlobalSecondaryIndexes: [
          {
            IndexName: 'GSI1',
            KeySchema: [
              { AttributeName: 'GSI1PK', KeyType: 'HASH' },
              { AttributeName: 'GSI1SK', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
          {
            IndexName: 'GSI2',
            KeySchema: [
              { AttributeName: 'GSI2PK', KeyType: 'HASH' },
              { AttributeName: 'GSI2SK', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        TimeToLiveSpecification: Match.absent(),
        DeletionProtectionEnabled: true,
      },
    });
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
  });
});

describe('functions', () => {
  test('three functions of ours: nodejs22.x, arm64, active tracing, explicit memory/timeout, own log group with retention', () => {
    const memory = { ingest: 2048, train: 3008, stability: 1769 };
    for (const fn of fns()) {
      const props = resources[logicalId(fn.function)].Properties;
      expect(props).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        MemorySize: memory[fn.handlerName as keyof typeof memory],
        Handler: 'index.handler',
        Role: getAtt(fn.role),
        LoggingConfig: { LogGroup: ref(fn.logGroup) },
      });
      expect(props.Timeout).toBeGreaterThan(60);
      expect(props.Timeout).toBeLessThanOrEqual(900);
      expect(resources[logicalId(fn.logGroup)].Properties.RetentionInDays).toBe(90);
    }
    // Every Lambda function of the stack is ours, except CDK's bucket-notification custom resource handler.
    const others = ofType('AWS::Lambda::Function').filter(([id]) => !allFns().some((f) => logicalId(f.function) === id));
    expect(others.map(([id]) => id)).toEqual([expect.stringMatching(/^BucketNotificationsHandler/)]);
  });

  test('every log group has a retention', () => {
    const groups = ofType('AWS::Logs::LogGroup');
    expect(groups).toHaveLength(6); // five functions and the state machine
    for (const [, g] of groups) expect(g.Properties.RetentionInDays).toEqual(expect.any(Number));
  });

  test('train and stability reserve concurrency 1; ingest is unreserved', () => {
    expect(resources[logicalId(stack.pipeline.train.function)].Properties.ReservedConcurrentExecutions).toBe(1);
    expect(resources[logicalId(stack.stabilitySchedule.stability.function)].Properties.ReservedConcurrentExecutions).toBe(1);
    expect(resources[logicalId(stack.pipeline.ingest.function)].Properties.ReservedConcurrentExecutions).toBeUndefined();
  });

  test('every asynchronously invoked function has retries and an encrypted SQS on-failure destination', () => {
    const configs = ofType('AWS::Lambda::EventInvokeConfig');
    expect(configs).toHaveLength(3);
    for (const fn of fns()) {
      const config = configs.find(([, c]) => JSON.stringify(c.Properties.FunctionName) === JSON.stringify(ref(fn.function)));
      expect(config).toBeDefined();
      expect(config![1].Properties).toMatchObject({
        Qualifier: '$LATEST',
        MaximumRetryAttempts: expect.any(Number),
        MaximumEventAgeInSeconds: expect.any(Number),
        DestinationConfig: { OnFailure: { Destination: getAtt(fn.asyncFailureQueue()) } },
      });
    }
  });

  test('environment variables: the contract with the handlers', () => {
    const env = (fn: SecureFunction) => resources[logicalId(fn.function)].Properties.Environment.Variables;
    const common = {
      ARTIFACTS_BUCKET: ref(stack.buckets.artifacts),
      TABLE_NAME: ref(stack.segmentTable.table),
      EVENT_BUS_NAME: 'default',
      EVENT_SOURCE: 'olist.segments',
      // Powertools Metrics' namespace (the alarm's) and the service name of each function's log lines.
      POWERTOOLS_METRICS_NAMESPACE: 'Segments',
      NODE_OPTIONS: '--enable-source-maps',
    };
    // KMEANS_THREADS, on the functions that fit models only: the vCPU share of the memory size, rounded (3,008 MB -> 2, 1,769 MB -> 1).
    expect(env(stack.pipeline.ingest)).toEqual({
      ...common,
      POWERTOOLS_SERVICE_NAME: 'ingest',
      RAW_BUCKET: ref(stack.buckets.raw),
      TRAIN_FUNCTION_NAME: ref(stack.pipeline.train.function),
      MAX_UPLOAD_BYTES: String(256 * 1024 * 1024),
      MAX_INVALID_ROWS: '0',
      // The routing (lambdas/pipeline/route.ts): the distributed path's state machine and the single path's limits.
      STATE_MACHINE_ARN: ref(stack.distributed.stateMachine),
      SINGLE_PATH_LIMITS: JSON.stringify({ ingestTimeoutSeconds: 600, ingestMemoryMb: 2048, trainTimeoutSeconds: 900, trainMemoryMb: 3008, writeRatePerSecond: 1000 }),
    });
    // FIXED_K is absent when k is chosen by the sweep (see the variant test for a fixed k).
    expect(env(stack.pipeline.train)).toEqual({ ...common, POWERTOOLS_SERVICE_NAME: 'train', KMEANS_THREADS: '2', WRITE_RATE_PER_SECOND: '1000' });
    expect(env(stack.stabilitySchedule.stability)).toEqual({
      ...common,
      POWERTOOLS_SERVICE_NAME: 'stability',
      KMEANS_THREADS: '1',
      RAW_BUCKET: ref(stack.buckets.raw),
      ARI_THRESHOLD: '0.8',
      AUTO_RETRAIN: 'false',
      MAX_INVALID_ROWS: '0',
      MAX_UPLOAD_BYTES: String(256 * 1024 * 1024),
      TRAIN_FUNCTION_NAME: ref(stack.pipeline.train.function),
      KEEP_VERSIONS: '3',
    });
  });
});

describe('bundles', () => {
  const assetDir = (fn: SecureFunction) => assetDirOf(app, resources[logicalId(fn.function)]);

  test('every function bundle ships the k-means worker; the handlers that fit models look for it', () => {
    const shipped = allFns().map((fn) => [fn.handlerName, fs.existsSync(path.join(assetDir(fn), KMEANS_WORKER_BUNDLE))]);
    expect(shipped).toEqual(allFns().map((fn) => [fn.handlerName, true]));
    // workerPool.entryPoint() is in the bundles that fit models (the distributed compute trains on its sample), with
    // the file name it looks for.
    const looksUp = [stack.pipeline.train, stack.stabilitySchedule.stability, stack.distributed.compute].map((fn) => [
      fn.handlerName,
      fs.readFileSync(path.join(assetDir(fn), 'index.js'), 'utf8').includes(KMEANS_WORKER_BUNDLE),
    ]);
    expect(looksUp).toEqual([['train', true], ['stability', true], ['distributed/compute', true]]);
  });

  test.each(['train', 'stability'] as const)(
    "the %s bundle's worker starts in plain Node and answers k-means and silhouette jobs exactly as this process does",
    async (name) => {
      const fn = name === 'train' ? stack.pipeline.train : stack.stabilitySchedule.stability;
      const dir = assetDir(fn);
      const r = await runBundledWorker(dir);
      // Found as the bundled file, without tsx: what the deployed pool starts.
      expect({ entry: r.entry, loader: r.loader }).toEqual({ entry: path.join(dir, KMEANS_WORKER_BUNDLE), loader: undefined });
      expect({ started: r.started, done: r.done }).toEqual({ started: true, done: true });
      // Several centre updates per initialisation, so the comparison covers the Lloyd iterations.
      expect(Math.min(r.inProcess.stats[1], r.inProcess.stats[4], r.inProcess.stats[7])).toBeGreaterThan(2);
      expect(r.worker.stats).toEqual(r.inProcess.stats);
      expect(r.worker.centers).toEqual(r.inProcess.centers);
      expect(r.worker.labels).toEqual(r.inProcess.labels);
      // Silhouette tiles: every one claimed and summed by the bundled worker exactly as here.
      expect(r.tiles.done).toBe(true);
      expect(r.tiles.worker.some((v) => v > 0)).toBe(true);
      expect(r.tiles.worker).toEqual(r.tiles.inProcess);
    },
    60_000,
  );
});

describe('IAM', () => {
  const policies = () => ofType('AWS::IAM::Policy');
  const statementsOf = (role: SecureFunction['role']): Statement[] =>
    policies()
      .filter(([, p]) => p.Properties.Roles.some((r: unknown) => JSON.stringify(r) === JSON.stringify(ref(role))))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
  const allows = (role: SecureFunction['role'], action: string) =>
    statementsOf(role).filter((s) => s.Effect === 'Allow' && asArray(s.Action).includes(action));

  test('no policy of the stack allows a wildcard action', () => {
    for (const [, p] of policies()) {
      for (const s of p.Properties.PolicyDocument.Statement as Statement[]) {
        if (s.Effect !== 'Allow') continue;
        for (const action of asArray(s.Action)) expect(action).not.toContain('*');
      }
    }
  });

  test('Resource "*" only where AWS requires it: X-Ray (metrics go out as EMF log lines, no PutMetricData)', () => {
    // The state machine role's are aws-cdk-lib's for log delivery (test/infra/distributed-pipeline.test.ts).
    const stateMachineRole = JSON.stringify(ref(stack.distributed.stateMachine.role));
    for (const [, p] of policies().filter(([, x]) => !x.Properties.Roles.some((r: unknown) => JSON.stringify(r) === stateMachineRole))) {
      for (const s of p.Properties.PolicyDocument.Statement as Statement[]) {
        expect(asArray(s.Action)).not.toContain('cloudwatch:PutMetricData');
        if (!asArray(s.Resource).includes('*')) continue;
        expect(asArray(s.Action).sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
      }
    }
  });

  test('our roles have no AWS managed policy and only the function log group for logs', () => {
    for (const fn of fns()) {
      expect(resources[logicalId(fn.role)].Properties.ManagedPolicyArns).toBeUndefined();
      const logs = statementsOf(fn.role).filter((s) => asArray(s.Action).some((a) => a.startsWith('logs:')));
      expect(logs).toEqual([expect.objectContaining({ Resource: getAtt(fn.logGroup) })]);
    }
  });

  test('ingest reads the raw bucket under incoming/ only and writes features/ and errors/', () => {
    const role = stack.pipeline.ingest.role;
    const rawIncoming = { 'Fn::Join': ['', [getAtt(stack.buckets.raw), '/incoming/*']] };
    const reads = allows(role, 's3:GetObject').flatMap((s) => asArray(s.Resource));
    expect(reads).toContainEqual(rawIncoming);
    expect(reads.filter((r) => JSON.stringify(r).includes(logicalId(stack.buckets.raw)))).toEqual([rawIncoming]);
    const list = allows(role, 's3:ListBucket').find((s) => JSON.stringify(s.Resource) === JSON.stringify(getAtt(stack.buckets.raw)));
    expect(list?.Condition).toEqual({ StringLike: { 's3:prefix': ['incoming/*'] } });
    const writes = allows(role, 's3:PutObject').flatMap((s) => asArray(s.Resource));
    expect(writes).toEqual(
      expect.arrayContaining([
        { 'Fn::Join': ['', [getAtt(stack.buckets.artifacts), '/features/*']] },
        { 'Fn::Join': ['', [getAtt(stack.buckets.artifacts), '/errors/*']] },
      ]),
    );
    expect(writes).toHaveLength(2);
    // Nothing may write to the raw bucket.
    for (const fn of fns()) {
      const anyWrite = allows(fn.role, 's3:PutObject').flatMap((s) => asArray(s.Resource));
      expect(JSON.stringify(anyWrite)).not.toContain(logicalId(stack.buckets.raw));
    }
  });

  test('object access is always prefix-scoped (never a whole bucket)', () => {
    for (const fn of fns()) {
      for (const action of ['s3:GetObject', 's3:PutObject']) {
        for (const resource of allows(fn.role, action).flatMap((s) => asArray(s.Resource))) {
          const suffix = (resource as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1][1];
          expect(suffix).toMatch(/^\/(incoming|features|models|reports|errors|exports)\/\*$/);
        }
      }
    }
  });

  test('only train may tag objects, and only under models/ and exports/ (superseded assignments.csv and campaign lists, for their lifecycle rule); no function deletes versions or scans', () => {
    const tagged = fns().map((fn) => [fn.handlerName, allows(fn.role, 's3:PutObjectTagging').flatMap((s) => asArray(s.Resource)).map((r) => (r as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1][1]).sort()]);
    expect(tagged.filter(([, r]) => (r as unknown[]).length)).toEqual([['train', ['/exports/*', '/models/*']]]);
    for (const fn of fns()) for (const action of ['s3:DeleteObjectVersion', 's3:ListBucketVersions', 'dynamodb:Scan']) expect(allows(fn.role, action)).toEqual([]);
  });

  test('train writes models/, reports/, errors/, exports/ (multipart aborts on models/ and exports/ only); stability writes nothing', () => {
    const suffixes = (fn: SecureFunction, action: string) =>
      allows(fn.role, action)
        .flatMap((s) => asArray(s.Resource))
        .map((r) => (r as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1][1])
        .sort();
    expect(suffixes(stack.pipeline.train, 's3:PutObject')).toEqual(['/errors/*', '/exports/*', '/models/*', '/reports/*']);
    expect(suffixes(stack.pipeline.train, 's3:AbortMultipartUpload')).toEqual(['/exports/*', '/models/*']);
    expect(suffixes(stack.pipeline.ingest, 's3:AbortMultipartUpload')).toEqual(['/features/*']);
    expect(suffixes(stack.stabilitySchedule.stability, 's3:PutObject')).toEqual([]);
  });

  test('table access: item actions on the table, Query on GSI1 and GSI2 only (no index wildcard, no Scan)', () => {
    const tableArn = getAtt(stack.segmentTable.table);
    const gsi1 = { 'Fn::Join': ['', [tableArn, '/index/GSI1']] };
    const gsi2 = { 'Fn::Join': ['', [tableArn, '/index/GSI2']] };
    for (const fn of fns()) {
      const dynamo = statementsOf(fn.role).filter((s) => asArray(s.Action).some((a) => a.startsWith('dynamodb:')));
      expect(dynamo.length).toBeGreaterThan(0);
      for (const s of dynamo) {
        for (const r of asArray(s.Resource)) expect([tableArn, gsi1, gsi2]).toContainEqual(r);
        expect(asArray(s.Action)).not.toContain('dynamodb:Scan');
      }
      expect(allows(fn.role, 'dynamodb:PutItem')).toHaveLength(1);
    }
    // Exactly what each function calls (test/iam/grants.test.ts): ingest claims and updates runs, nothing more.
    const on = (fn: SecureFunction, resource: unknown) =>
      statementsOf(fn.role)
        .filter((s) => asArray(s.Resource).some((r) => JSON.stringify(r) === JSON.stringify(resource)))
        .flatMap((s) => asArray(s.Action).filter((a) => a.startsWith('dynamodb:')))
        .sort();
    expect(on(stack.pipeline.ingest, tableArn)).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
    expect(on(stack.pipeline.ingest, gsi1)).toEqual([]);
    for (const fn of [stack.pipeline.train, stack.stabilitySchedule.stability]) {
      expect(on(fn, tableArn)).toEqual(['dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
      expect(on(fn, gsi1)).toEqual(['dynamodb:Query']);
    }
    // The borderline index: only train counts it at activation.
    expect(on(stack.pipeline.train, gsi2)).toEqual(['dynamodb:Query']);
    expect(on(stack.stabilitySchedule.stability, gsi2)).toEqual([]);
    expect(on(stack.pipeline.ingest, gsi2)).toEqual([]);
  });

  test('the stability function can prune model versions: Query on GSI1, BatchWriteItem (deletes) and UpdateItem on the table', () => {
    const tableArn = getAtt(stack.segmentTable.table);
    const gsi1 = { 'Fn::Join': ['', [tableArn, '/index/GSI1']] };
    const role = stack.stabilitySchedule.stability.role;
    const on = (action: string) => allows(role, action).flatMap((s) => asArray(s.Resource));
    expect(on('dynamodb:Query')).toContainEqual(gsi1);
    expect(on('dynamodb:BatchWriteItem')).toEqual([tableArn]);
    expect(on('dynamodb:UpdateItem')).toEqual([tableArn]); // the 'deleting' mark
    expect(on('dynamodb:DeleteItem')).toEqual([]); // deleteModelVersion deletes through BatchWriteItem only
  });

  test('the on-failure destination: sqs:SendMessage on the function\'s own queue, nothing else of SQS', () => {
    for (const fn of fns()) {
      const sqs = statementsOf(fn.role).filter((s) => asArray(s.Action).some((a) => a.startsWith('sqs:')));
      expect(sqs).toEqual([expect.objectContaining({ Action: 'sqs:SendMessage', Resource: getAtt(fn.asyncFailureQueue()) })]);
    }
  });

  test('only ingest may invoke train (stability too only with autoRetrain; train itself, to continue a write), on the unqualified ARN', () => {
    const invoke = allows(stack.pipeline.ingest.role, 'lambda:InvokeFunction');
    expect(invoke).toEqual([expect.objectContaining({ Resource: getAtt(stack.pipeline.train.function) })]);
    expect(allows(stack.stabilitySchedule.stability.role, 'lambda:InvokeFunction')).toEqual([]);
    // In a policy of its own (the function depends on its default policy, which cannot name its ARN).
    expect(allows(stack.pipeline.train.role, 'lambda:InvokeFunction')).toEqual([expect.objectContaining({ Resource: getAtt(stack.pipeline.train.function) })]);
    expect(allows(stack.pipeline.ingest.role, 'states:StartExecution')).toEqual([expect.objectContaining({ Resource: ref(stack.distributed.stateMachine) })]);
  });

  test('events:PutEvents only on the default bus, only source olist.segments and each function its own detail type', () => {
    const detailTypes = (fn: SecureFunction) => {
      const found = allows(fn.role, 'events:PutEvents');
      if (!found.length) return undefined;
      const [s] = found;
      expect(JSON.stringify(s.Resource)).toMatch(/:event-bus\/default"/);
      // Multivalued keys: a set operator, and Null false so that a request without them is not allowed.
      expect(s.Condition).toEqual({
        'ForAllValues:StringEquals': { 'events:source': ['olist.segments'], 'events:detail-type': expect.any(Array) },
        Null: { 'events:source': 'false', 'events:detail-type': 'false' },
      });
      return s.Condition!['ForAllValues:StringEquals']['events:detail-type'];
    };
    expect(detailTypes(stack.pipeline.ingest)).toBeUndefined();
    expect(detailTypes(stack.pipeline.train)).toEqual(['Segmentation model activated']);
    expect(detailTypes(stack.stabilitySchedule.stability)).toEqual(['Segmentation drift detected']);
  });
});

describe('queues and topic', () => {
  test('every queue is encrypted, TLS-only and keeps messages 14 days', () => {
    const queues = ofType('AWS::SQS::Queue');
    expect(queues).toHaveLength(5); // + the distributed path's ExecutionEnded dead letters
    for (const [id, q] of queues) {
      expect(q.Properties.SqsManagedSseEnabled ?? q.Properties.KmsMasterKeyId).toBeTruthy();
      expect(q.Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
      const policy = ofType('AWS::SQS::QueuePolicy').find(([, p]) => JSON.stringify(p.Properties.Queues).includes(id));
      expect(policy?.[1].Properties.PolicyDocument.Statement).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      );
    }
  });

  test('the alarm topic is KMS-encrypted with a rotating key CloudWatch can use, and TLS-only', () => {
    const topicId = logicalId(stack.monitoring.topic);
    expect(resources[topicId].Properties.KmsMasterKeyId).toEqual(getAtt(stack.monitoring.topicKey));
    expect(resources[logicalId(stack.monitoring.topicKey)].Properties.EnableKeyRotation).toBe(true);
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topicId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish' }),
        ]),
      },
    });
  });
});

describe('stability schedule', () => {
  test('rule with the configured rate targets the stability function with a DLQ and a retry policy', () => {
    // (The distributed path's ExecutionEnded rule: test/infra/distributed-pipeline.test.ts.)
    const rules = ofType('AWS::Events::Rule').filter(([, r]) => r.Properties.ScheduleExpression);
    expect(rules).toHaveLength(1);
    const [, rule] = rules[0];
    expect(rule.Properties.ScheduleExpression).toBe('rate(7 days)');
    expect(rule.Properties.State).toBe('ENABLED');
    expect(rule.Properties.Targets).toEqual([
      expect.objectContaining({
        Arn: getAtt(stack.stabilitySchedule.stability.function),
        DeadLetterConfig: { Arn: getAtt(stack.stabilitySchedule.scheduleDeadLetterQueue) },
        RetryPolicy: { MaximumRetryAttempts: expect.any(Number), MaximumEventAgeInSeconds: expect.any(Number) },
      }),
    ]);
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'events.amazonaws.com',
      FunctionName: getAtt(stack.stabilitySchedule.stability.function),
      SourceArn: getAtt(stack.stabilitySchedule.rule),
    });
  });
});

describe('monitoring', () => {
  const alarms = () => ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
  const topic = () => ref(stack.monitoring.topic);

  test('an Errors alarm per function', () => {
    for (const fn of fns()) {
      const alarm = alarms().find(
        (a) => a.MetricName === 'Errors' && JSON.stringify(a.Dimensions) === JSON.stringify([{ Name: 'FunctionName', Value: ref(fn.function) }]),
      );
      expect(alarm).toMatchObject({ Namespace: 'AWS/Lambda', Threshold: 1, AlarmActions: [topic()] });
    }
  });

  test('a visible-messages alarm per failure queue / DLQ', () => {
    const queues = [...fns().map((f) => f.asyncFailureQueue()), stack.stabilitySchedule.scheduleDeadLetterQueue];
    for (const queue of queues) {
      const alarm = alarms().find(
        (a) =>
          a.MetricName === 'ApproximateNumberOfMessagesVisible' &&
          JSON.stringify(a.Dimensions) === JSON.stringify([{ Name: 'QueueName', Value: getAtt(queue, 'QueueName') }]),
      );
      expect(alarm).toMatchObject({ Namespace: 'AWS/SQS', Threshold: 1, AlarmActions: [topic()] });
    }
  });

  test('an alarm on the custom metric Segments/FailedRuns', () => {
    expect(alarms()).toContainEqual(
      expect.objectContaining({ Namespace: 'Segments', MetricName: 'FailedRuns', Statistic: 'Sum', Threshold: 1, AlarmActions: [topic()] }),
    );
  });

  test('every alarm notifies the topic', () => {
    expect(alarms()).toHaveLength(3 + 4 + 1 + 2); // + the distributed path's failed executions and dead letters
    for (const a of alarms()) expect(a.AlarmActions).toEqual([topic()]);
  });
});

describe('cdk-nag', () => {
  const ACK_KEY = Validations.ACKNOWLEDGED_RULES_METADATA_KEY;
  const acknowledgements = () =>
    app.node
      .findAll()
      .flatMap((c) =>
        c.node.metadata
          .filter((m) => m.type === ACK_KEY)
          .flatMap((m) => Object.entries(m.data as Record<string, string>))
          .map(([id, reason]) => ({ path: c.node.path, id: id.replace(/^annotation::/i, ''), reason })),
      );

  test('AwsSolutions and Serverless packs are registered and report zero unacknowledged findings', () => {
    expect(nagPacks.map((p) => p.name).sort()).toEqual(['AwsSolutions', 'Serverless']);
    for (const pack of nagPacks) {
      const report = pack.validateScope(app);
      const findings = report.violations.map((v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
      expect(findings).toEqual([]);
      expect(report.success).toBe(true);
    }
  });

  test('every acknowledgement is justified and matches a real finding at or below its construct (none is stale)', () => {
    // Raw findings: the same packs with acknowledgements ignored.
    const raw = [new AwsSolutionsChecks(), new ServerlessChecks()].flatMap((pack) => {
      (pack as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
      return pack.validateScope(app).violations;
    });
    const acks = acknowledgements();
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.reason.length).toBeGreaterThan(60);
      const used = raw.some(
        (v) => v.ruleName === ack.id && v.violatingResources.some((r) => r.constructPath === ack.path || r.constructPath?.startsWith(`${ack.path}/`)),
      );
      if (!used) throw new Error(`Stale acknowledgement ${ack.id} at ${ack.path}`);
    }
  });

  test('acknowledgements are the reviewed list, scoped to resources (never to the stack or a whole construct)', () => {
    // The distributed path's are reviewed in test/infra/distributed-pipeline.test.ts.
    const summary = acknowledgements()
      .filter(({ path }) => !path.includes('/DistributedPipeline/'))
      .map(({ path, id }) => `${path.replace(/^SegmentationStack\//, '')} ${id.replace(/<DataBuckets(Raw|Artifacts)Bucket[0-9A-F]{8}\.Arn>/, '<$1Bucket.Arn>')}`)
      .sort();
    const perFunction = (fn: string, objectPrefixes: string[]) => [
      `${fn}/Function/Resource AwsSolutions-L1`,
      `${fn}/Function/Resource Serverless-LambdaLatestVersion`,
      `${fn}/Function/Resource Serverless-LambdaDLQ`,
      `${fn}/Role/DefaultPolicy AwsSolutions-IAM5[Resource::*]`,
      ...objectPrefixes.map((p) => `${fn}/Role/DefaultPolicy AwsSolutions-IAM5[Resource::${p}]`),
      `${fn}/FailureQueue/Resource AwsSolutions-SQS3`,
      `${fn}/FailureQueue/Resource Serverless-SQSRedrivePolicy`,
    ];
    expect(summary).toEqual(
      [
        'BucketNotificationsHandler050a0587b7544547bf325f094a3db834/Role AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        ...perFunction('PipelineFunctions/Ingest', ['<RawBucket.Arn>/incoming/*', '<ArtifactsBucket.Arn>/features/*', '<ArtifactsBucket.Arn>/errors/*']),
        ...perFunction('PipelineFunctions/Train', [
          '<ArtifactsBucket.Arn>/features/*',
          '<ArtifactsBucket.Arn>/models/*',
          '<ArtifactsBucket.Arn>/reports/*',
          '<ArtifactsBucket.Arn>/errors/*',
          '<ArtifactsBucket.Arn>/exports/*',
        ]),
        ...perFunction('StabilitySchedule/Stability', ['<RawBucket.Arn>/incoming/*', '<ArtifactsBucket.Arn>/features/*', '<ArtifactsBucket.Arn>/models/*']),
        'StabilitySchedule/ScheduleDeadLetterQueue/Resource AwsSolutions-SQS3',
        'StabilitySchedule/ScheduleDeadLetterQueue/Resource Serverless-SQSRedrivePolicy',
      ].sort(),
    );
  });
});
