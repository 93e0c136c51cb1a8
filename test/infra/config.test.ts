/**
 * Stack configuration: defaults, context parsing (cdk.json values and `-c key=value` strings), validation,
 * and one non-default variant of the stack (bundling skipped: the default synth in
 * segmentation-stack.test.ts already bundles the handlers for real).
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { createApp } from '../../lib/app';
import { configFromContext, DEFAULT_CONFIG, resolveConfig } from '../../lib/config';
import { asArray, CDK_JSON_CONTEXT, logicalId, Statement } from './helpers';

describe('resolveConfig', () => {
  test('defaults', () => {
    expect(resolveConfig()).toEqual({
      scheduleRate: 'rate(7 days)',
      ariThreshold: 0.8,
      k: undefined,
      lambdaMemoryMb: { ingest: 2048, train: 3008, stability: 1769 },
      maxUploadBytes: 256 * 1024 * 1024,
      maxInvalidRows: 0,
      autoRetrain: false,
      assignmentWriteRate: 1000,
      reserveConcurrency: true,
      distributedAbove: undefined,
      keepVersions: 3,
      retainIncomingDays: 90,
      retainFeaturesDays: 90,
      retainSupersededDays: 30,
    });
    expect(DEFAULT_CONFIG.lambdaMemoryMb.train).toBe(3008);
  });

  test('cdk.json context equals the defaults', () => {
    const app = new App({ context: CDK_JSON_CONTEXT });
    expect(resolveConfig(configFromContext(app.node))).toEqual(resolveConfig());
  });

  test('partial memory overrides keep the other defaults', () => {
    expect(resolveConfig({ lambdaMemoryMb: { train: 4096 } }).lambdaMemoryMb).toEqual({ ingest: 2048, train: 4096, stability: 1769 });
  });

  test('command-line context arrives as strings and is parsed', () => {
    const app = new App({
      context: {
        scheduleRate: 'rate(1 day)',
        ariThreshold: '0.75',
        k: '6',
        lambdaMemoryMb: '{"train": 4096}',
        maxUploadBytes: '1048576',
        maxInvalidRows: '25',
        autoRetrain: 'true',
        assignmentWriteRate: '250',
        reserveConcurrency: 'false',
        distributedAbove: '2000000',
        keepVersions: '5',
        retainIncomingDays: '30',
        retainFeaturesDays: '14',
        retainSupersededDays: '7',
      },
    });
    expect(resolveConfig(configFromContext(app.node))).toEqual({
      scheduleRate: 'rate(1 day)',
      ariThreshold: 0.75,
      k: 6,
      lambdaMemoryMb: { ingest: 2048, train: 4096, stability: 1769 },
      maxUploadBytes: 1048576,
      maxInvalidRows: 25,
      autoRetrain: true,
      assignmentWriteRate: 250,
      reserveConcurrency: false,
      distributedAbove: 2_000_000,
      keepVersions: 5,
      retainIncomingDays: 30,
      retainFeaturesDays: 14,
      retainSupersededDays: 7,
    });
  });

  test.each([null, '', 'auto'])('k=%p means "choose k with the sweep"', (k) => {
    const app = new App({ context: { k } });
    expect(resolveConfig(configFromContext(app.node)).k).toBeUndefined();
  });

  test.each(['rate(7 days)', 'rate(1 day)', 'rate(12 hours)', 'cron(0 3 ? * MON *)'])('accepts schedule %s', (scheduleRate) => {
    expect(resolveConfig({ scheduleRate }).scheduleRate).toBe(scheduleRate);
  });

  test.each([
    [{ scheduleRate: 'rate(7 day)' }, /plural/],
    [{ scheduleRate: 'rate(1 days)' }, /singular/],
    [{ scheduleRate: 'weekly' }, /scheduleRate/],
    [{ ariThreshold: 0 }, /ariThreshold/],
    [{ ariThreshold: 1.2 }, /ariThreshold/],
    [{ k: 1 }, /k must be/],
    [{ k: 2.5 }, /k must be/],
    [{ lambdaMemoryMb: { train: 64 } }, /lambdaMemoryMb.train/],
    [{ maxUploadBytes: 0 }, /maxUploadBytes/],
    [{ maxInvalidRows: -1 }, /maxInvalidRows/],
    [{ assignmentWriteRate: -1 }, /assignmentWriteRate/],
    [{ keepVersions: 0 }, /keepVersions/],
    [{ keepVersions: 2.5 }, /keepVersions/],
    [{ distributedAbove: -1 }, /distributedAbove/],
    [{ distributedAbove: 1.5 }, /distributedAbove/],
  ])('rejects %p', (input, message) => {
    expect(() => resolveConfig(input)).toThrow(message);
  });

  test('rejects unparsable context', () => {
    expect(() => configFromContext(new App({ context: { ariThreshold: 'high' } }).node)).toThrow(/ariThreshold/);
    expect(() => configFromContext(new App({ context: { autoRetrain: 'yes' } }).node)).toThrow(/autoRetrain/);
    expect(() => configFromContext(new App({ context: { lambdaMemoryMb: '{"trainer": 1024}' } }).node)).toThrow(/trainer/);
  });
});

describe('variant stack: autoRetrain, fixed k, cron schedule, no reserved concurrency', () => {
  let built: ReturnType<typeof createApp>;
  let template: Template;

  beforeAll(() => {
    built = createApp({
      appProps: {
        // Skip bundling (assets are not under test here) and the built-in CloudFormation validation (slow;
        // it runs on the default synth). cdk-nag still runs.
        builtinCloudFormationValidation: false,
        context: {
          ...CDK_JSON_CONTEXT,
          'aws:cdk:bundling-stacks': [],
          autoRetrain: 'true',
          k: '6',
          scheduleRate: 'cron(0 3 ? * MON *)',
          reserveConcurrency: 'false',
          assignmentWriteRate: '250',
          keepVersions: '7',
        },
      },
      config: { lambdaMemoryMb: { train: 4096 } },
    });
    template = Template.fromStack(built.stack);
  });

  test('stability may invoke train (unqualified ARN only) and is told so', () => {
    const { stack } = built;
    const stabilityRole = { Ref: logicalId(stack.stabilitySchedule.stability.role) };
    const statements: Statement[] = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes(JSON.stringify(stabilityRole)))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
    const invoke = statements.filter((s) => asArray(s.Action).includes('lambda:InvokeFunction'));
    expect(invoke).toEqual([
      expect.objectContaining({ Resource: { 'Fn::GetAtt': [logicalId(stack.pipeline.train.function), 'Arn'] } }),
    ]);
    const env = template.toJSON().Resources[logicalId(stack.stabilitySchedule.stability.function)].Properties.Environment.Variables;
    expect(env.AUTO_RETRAIN).toBe('true');
    expect(env.KEEP_VERSIONS).toBe('7');
  });

  test('train gets FIXED_K, the write budget and the memory override; nothing reserves concurrency', () => {
    const resources = template.toJSON().Resources;
    const train = resources[logicalId(built.stack.pipeline.train.function)].Properties;
    expect(train.Environment.Variables).toMatchObject({ FIXED_K: '6', WRITE_RATE_PER_SECOND: '250' });
    expect(train.MemorySize).toBe(4096);
    for (const fn of Object.values(template.findResources('AWS::Lambda::Function'))) {
      expect(fn.Properties.ReservedConcurrentExecutions).toBeUndefined();
    }
  });

  test('the rule uses the configured schedule', () => {
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(0 3 ? * MON *)' });
  });

  test('cdk-nag still reports zero unacknowledged findings', () => {
    for (const pack of built.nagPacks) expect(pack.validateScope(built.app).violations).toEqual([]);
  });
});
