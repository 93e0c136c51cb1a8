/**
 * The contract between the stack and the functions (lambdas/contract/): every variable the stack sets is a contract
 * name, each function's config parser reads contract names only and reads what its stack sets, a bad value names its
 * variable, and no name of the contract is written out again as a literal in lib/ or lambdas/.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { createApp } from '../../lib/app';
import type { SecureFunction } from '../../lib/constructs/defaults/lambda-defaults';
import {
  ARTIFACT_PREFIXES,
  COMMON_ENV,
  DETAIL_TYPES,
  ENV_NAMES,
  EVENT_SOURCE,
  INCOMING_PREFIX,
  KMEANS_WORKER_BUNDLE,
  METRIC_NAMES,
  METRICS_NAMESPACE,
  STORE_ENV,
  type HandlerName,
} from '../../lambdas/contract';
import { CONFIG_PARSERS, configOf, parsePublishConfig, parseStabilityConfig, parseTrainConfig, type Env } from '../../lambdas/handlers/config';
import { powertools } from '../../lambdas/handlers/observability';
import { awsRuntime } from '../../lambdas/handlers/runtime';
import { silentLog } from '../../lambdas/pipeline/log';
import { ENV as STORE_CONFIG_ENV } from '../../lambdas/store/config';
import { CDK_JSON_CONTEXT, logicalId } from './helpers';

const ROOT = path.join(__dirname, '..', '..');

/** Variables the AWS SDK itself defines (read by lambdas/store/config.ts), not ours to name. */
const SDK_ENV = new Set(['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_MAX_ATTEMPTS', 'AWS_RETRY_MODE']);

/** An environment that records every name read from it (every value unset: the parsers' defaults). */
function recordingEnv(): { env: Env; read: Set<string> } {
  const read = new Set<string>();
  const env = new Proxy({} as Env, {
    get: (_t, name) => {
      if (typeof name === 'string') read.add(name);
      return undefined;
    },
  });
  return { env, read };
}

/** Every name a function reads: its config parser, its runtime (transports, stores) and Powertools' settings. */
function namesReadBy(handler: HandlerName): Set<string> {
  const { env, read } = recordingEnv();
  CONFIG_PARSERS[handler](env);
  const rt = awsRuntime(handler, env, { log: silentLog });
  rt.stores.s3.destroy();
  rt.stores.dynamo.destroy();
  powertools(handler, env);
  return read;
}

describe('the contract with the stack', () => {
  // Every optional setting on (k, distributedAbove), so every variable the stack can set is set.
  const built = createApp({
    appProps: { builtinCloudFormationValidation: false, context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [], k: '6', distributedAbove: '2000000' } },
  });
  const resources = Template.fromStack(built.stack).toJSON().Resources as Record<string, { Properties: { Environment?: { Variables?: Record<string, unknown> } } }>;
  const { pipeline, stabilitySchedule, distributed } = built.stack;
  const functions: SecureFunction[] = [pipeline.ingest, pipeline.train, stabilitySchedule.stability, distributed.compute, distributed.publish];
  const envOf = (fn: SecureFunction) => Object.keys(resources[logicalId(fn.function)].Properties.Environment?.Variables ?? {});

  test('every variable the stack sets on a function is a name of the contract', () => {
    const unknown = functions.flatMap((fn) => envOf(fn).filter((name) => !ENV_NAMES.has(name)).map((name) => `${fn.handlerName}: ${name}`));
    expect(unknown).toEqual([]);
  });

  test.each(functions.map((fn) => [fn.handlerName, fn] as const))('%s reads only contract names, and every variable its stack sets', (name, fn) => {
    const read = namesReadBy(name);
    expect([...read].filter((n) => !ENV_NAMES.has(n) && !SDK_ENV.has(n))).toEqual([]);
    // NODE_OPTIONS is Node's; everything else the stack sets is read by the function.
    expect(envOf(fn).filter((n) => n !== COMMON_ENV.nodeOptions && !read.has(n))).toEqual([]);
  });
});

describe('typed config per function', () => {
  test('a bad value fails with the variable and what was expected', () => {
    expect(() => parseTrainConfig({ WRITE_RATE_PER_SECOND: 'fast' })).toThrow('environment variable WRITE_RATE_PER_SECOND=fast is not a number');
    expect(() => parseTrainConfig({ FIXED_K: '2.5' })).toThrow('environment variable FIXED_K=2.5 is not a positive integer');
    expect(() => parseTrainConfig({ TRAIN_REPORTS: 'no' })).toThrow("environment variable TRAIN_REPORTS=no is not 'true' or 'false'");
    expect(() => parseStabilityConfig({ AUTO_RETRAIN: 'yes' })).toThrow("environment variable AUTO_RETRAIN=yes is not 'true' or 'false'");
    // A bad KEEP_VERSIONS does not stop the check: the retention after it reports it (test/store/retention.test.ts).
    expect(parseStabilityConfig({ KEEP_VERSIONS: '0' }).keepVersions).toEqual(new Error('environment variable KEEP_VERSIONS=0 must be an integer >= 1'));
    expect(() => parsePublishConfig({ WRITERS: '0' })).toThrow('environment variable WRITERS=0 is not a positive integer');
    expect(() => CONFIG_PARSERS.ingest({ SINGLE_PATH_LIMITS: '{oops' })).toThrow('environment variable SINGLE_PATH_LIMITS is not JSON: {oops');
  });

  test('values as the handlers use them', () => {
    expect(parseTrainConfig({ WRITE_RATE_PER_SECOND: '1000', FIXED_K: '6', TRAIN_SWEEP: 'false', KMEANS_THREADS: '2' })).toMatchObject({
      writeRatePerSecond: 1000,
      writeConcurrency: 4,
      fixedK: 6,
      kmeansThreads: 2,
      trainOptions: { sweep: false, stabilityFits: 1 },
      reports: true,
    });
    // Each writer takes its share of the table's budget.
    expect(parsePublishConfig({ WRITE_RATE_PER_SECOND: '1000', WRITERS: '4' })).toMatchObject({ writers: 4, writeRatePerWriter: 250, writeConcurrency: 2 });
    expect(parseStabilityConfig({})).toMatchObject({ autoRetrain: false, keepVersions: 3, kmeansThreads: 'auto', ariThreshold: undefined });
  });

  test('parsed once per runtime (a Lambda container), again for another', () => {
    let parses = 0;
    const parse = (env: Env) => (parses++, env.FIXED_K);
    const rt = { env: { FIXED_K: '3' } };
    expect([configOf(rt, parse), configOf(rt, parse)]).toEqual(['3', '3']);
    expect(parses).toBe(1);
    expect(configOf({ env: { FIXED_K: '4' } }, parse)).toBe('4');
    expect(parses).toBe(2);
  });

  test("the store's variable names are the contract's", () => {
    expect(STORE_CONFIG_ENV).toBe(STORE_ENV);
  });
});

describe('one name in one place', () => {
  /** Source files of lib/ and lambdas/, without their comments. */
  const sources = (dir: string): { file: string; code: string }[] =>
    fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
      .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)))
      .map((file) => ({ file, code: fs.readFileSync(path.join(ROOT, file), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1') }));
  // Where a name is defined: the contract; the store's own ENV (until the store split imports the contract). The
  // core is not scanned: it imports nothing above it, owns the worker's file name (the contract takes it from there)
  // and may quote an event's name in text for people.
  const owners = [/^lambdas\/contract\//, /^lambdas\/store\/config\.ts$/, /^lambdas\/core\//];

  test('no contract name is written as a literal outside its definition', () => {
    const names = [
      ...[...ENV_NAMES].filter((n) => !n.startsWith('AWS_')),
      EVENT_SOURCE,
      ...Object.values(DETAIL_TYPES),
      METRICS_NAMESPACE,
      ...Object.values(METRIC_NAMES),
      KMEANS_WORKER_BUNDLE,
      INCOMING_PREFIX,
      ...Object.values(ARTIFACT_PREFIXES),
    ];
    const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    const found: string[] = [];
    for (const { file, code } of [...sources('lib'), ...sources('lambdas')]) {
      if (owners.some((o) => o.test(file))) continue;
      for (const name of names) {
        // A quoted literal of the whole name, or an unquoted object key (`FIXED_K: ...`).
        const literal = new RegExp(`(['"\`])${escape(name)}\\1|(^|[{,\\s])${escape(name)}\\s*:(?!:)`, 'm');
        if (literal.test(code)) found.push(`${file}: ${name}`);
      }
    }
    expect(found).toEqual([]);
  });
});
