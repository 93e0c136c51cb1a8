/**
 * The IAM policies of the stack as synthesized, for the local runtime: each function's role policy documents and the
 * bucket policies, taken from the CDK app's own template (synth.ts, in a child process) and resolved against the
 * local names (buckets, table, functions) in a fixed local account. So a grant removed in lib/ is removed locally
 * too, and the local pipeline fails where AWS would (lambdas/local/iam/authorizer.ts decides each request).
 *
 * The synth costs ~3 s, so its result is cached in .cache/iam/ together with the hash of every project file it read
 * (lib/, the lambdas modules lib imports, cdk.json) and the aws-cdk-lib version: any change there re-synthesizes.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { COMMON_ENV } from '../../contract/env';

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..', '..');
const CACHE_DIR = path.join(PROJECT_ROOT, '.cache', 'iam');
const CACHE_FORMAT = 3;

/**
 * The principals whose roles the local runtime enforces: the functions (compute and publish: the distributed path) and
 * the distributed path's state machine (its Task invocations and its Distributed Maps' item reads).
 */
export type FunctionKey = 'ingest' | 'train' | 'stability' | 'compute' | 'publish' | 'stateMachine';

/** Stack configuration that changes the policies (lib/config.ts): stability's invoke grant. */
export interface SynthOptions {
  autoRetrain?: boolean;
}

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Principal?: unknown;
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version?: string;
  Statement: PolicyStatement[];
}

/** What synth.ts prints: template fragments by logical id, intrinsics unresolved. */
export interface SynthesizedPolicies {
  options: SynthOptions;
  functions: Partial<Record<FunctionKey, { role: string; function: string; logGroup: string; failureQueue?: string; documents: unknown[] }>>;
  buckets: { raw: string; artifacts: string; accessLogs: string };
  table: string;
  /** The distributed path's state machine: its logical id and its definition (DefinitionString, intrinsics unresolved). */
  stateMachine: { id: string; definition: unknown };
  /** Bucket logical id -> its bucket policy document. */
  bucketPolicies: Record<string, unknown>;
  resourceTypes: Record<string, string>;
  /** Project-relative path -> sha256 of every file the synth read. */
  inputs: Record<string, string>;
}

/** Names of the local resources (lambdas/local/emulators.ts). */
export interface LocalNames {
  rawBucket: string;
  artifactsBucket: string;
  tableName: string;
}

export interface FunctionIdentity {
  key: FunctionKey;
  functionName: string;
  functionArn: string;
  roleArn: string;
  /** The principal of the function's requests: its role's session, named after the function as Lambda does. */
  principal: string;
  logGroupArn: string;
  /** The on-failure queue of an asynchronously invoked function (none for the distributed path's). */
  failureQueueArn?: string;
  policies: PolicyDocument[];
}

export interface LocalPolicies {
  account: string;
  region: string;
  options: SynthOptions;
  functions: Partial<Record<FunctionKey, FunctionIdentity>>;
  /** Bucket name -> bucket policy. */
  bucketPolicies: Record<string, PolicyDocument>;
  /** The state machine's definition (Amazon States Language) with the local names and ARNs, and its ARN. */
  stateMachine: { arn: string; definition: Record<string, unknown> };
}

/** A fixed, obviously local account id (no real account has it). */
export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'us-east-1';
const LOCAL_PREFIX = 'olist-segments';

/** The local function names (the stack lets CloudFormation name them). */
export const localFunctionName = (key: FunctionKey) => `${LOCAL_PREFIX}-${key === 'compute' || key === 'publish' ? `distributed-${key}` : key === 'stateMachine' ? 'distributed' : key}`;

// ---------------------------------------------------------------------------------------------------------------
// synth + cache

const memo = new Map<string, Promise<SynthesizedPolicies>>();

/** The synthesized policies for these options: from the cache when every input file is unchanged, else a new synth. */
export function synthesizedPolicies(options: SynthOptions = {}): Promise<SynthesizedPolicies> {
  const normalized = { autoRetrain: !!options.autoRetrain };
  const id = `${normalized.autoRetrain ? 'autoRetrain-' : ''}stack`;
  let p = memo.get(id);
  if (!p) {
    p = cachedOrSynth(id, normalized);
    memo.set(id, p);
    p.catch(() => memo.delete(id));
  }
  return p;
}

async function hashFile(rel: string): Promise<string | undefined> {
  try {
    return createHash('sha256').update(await readFile(path.join(PROJECT_ROOT, rel))).digest('hex');
  } catch {
    return undefined;
  }
}

async function cachedOrSynth(id: string, options: SynthOptions): Promise<SynthesizedPolicies> {
  const file = path.join(CACHE_DIR, `${id}.json`);
  try {
    const cached = JSON.parse(await readFile(file, 'utf8')) as { format: number; policies: SynthesizedPolicies };
    if (cached.format === CACHE_FORMAT) {
      const current = await Promise.all(Object.entries(cached.policies.inputs).map(async ([rel, hash]) => (await hashFile(rel)) === hash));
      if (current.every(Boolean)) return cached.policies;
    }
  } catch {
    // no cache yet, or unreadable: synthesize
  }
  const { stdout } = await promisify(execFile)(process.execPath, ['-r', 'tsx/cjs', path.join(__dirname, 'synth.ts'), JSON.stringify(options)], {
    cwd: PROJECT_ROOT,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, [COMMON_ENV.nodeOptions]: '' },
  });
  const policies = JSON.parse(stdout) as SynthesizedPolicies;
  for (const rel of Object.keys(policies.inputs)) policies.inputs[rel] = (await hashFile(rel)) ?? '';
  await mkdir(CACHE_DIR, { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, JSON.stringify({ format: CACHE_FORMAT, policies }));
  await rename(tmp, file); // atomic: parallel test workers may race to write the same entry
  return policies;
}

// ---------------------------------------------------------------------------------------------------------------
// resolution against the local names

/** Names and ARNs of the template's resources, locally. */
function localResources(s: SynthesizedPolicies, names: LocalNames) {
  const arn = (service: string, resource: string) => `arn:aws:${service}:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${resource}`;
  const byLogicalId = new Map<string, { ref: string; arn: string }>();
  const functionKeys = new Map(Object.entries(s.functions).map(([key, f]) => [f!.function, key as FunctionKey]));
  const bucketNames = new Map([
    [s.buckets.raw, names.rawBucket],
    [s.buckets.artifacts, names.artifactsBucket],
    [s.buckets.accessLogs, `${LOCAL_PREFIX}-access-logs`],
  ]);
  const owner = (kind: 'logGroup' | 'failureQueue' | 'role', id: string) => Object.entries(s.functions).find(([, f]) => f![kind] === id)?.[0] as FunctionKey | undefined;
  for (const [id, type] of Object.entries(s.resourceTypes)) {
    const generic = `${LOCAL_PREFIX}-${id.toLowerCase()}`;
    switch (type) {
      case 'AWS::S3::Bucket': {
        const name = bucketNames.get(id) ?? generic;
        byLogicalId.set(id, { ref: name, arn: `arn:aws:s3:::${name}` });
        break;
      }
      case 'AWS::DynamoDB::Table':
        byLogicalId.set(id, { ref: id === s.table ? names.tableName : generic, arn: arn('dynamodb', `table/${id === s.table ? names.tableName : generic}`) });
        break;
      case 'AWS::Lambda::Function': {
        const key = functionKeys.get(id);
        const name = key ? localFunctionName(key) : generic;
        byLogicalId.set(id, { ref: name, arn: arn('lambda', `function:${name}`) });
        break;
      }
      case 'AWS::Logs::LogGroup': {
        const key = owner('logGroup', id);
        const name = key ? `/aws/lambda/${localFunctionName(key)}` : generic;
        byLogicalId.set(id, { ref: name, arn: arn('logs', `log-group:${name}:*`) });
        break;
      }
      case 'AWS::SQS::Queue': {
        const key = owner('failureQueue', id);
        const name = key ? `${localFunctionName(key)}-failures` : generic;
        byLogicalId.set(id, { ref: `https://sqs.${LOCAL_REGION}.amazonaws.com/${LOCAL_ACCOUNT}/${name}`, arn: arn('sqs', name) });
        break;
      }
      case 'AWS::IAM::Role': {
        const key = owner('role', id);
        const name = key ? `${localFunctionName(key)}-role` : generic;
        byLogicalId.set(id, { ref: name, arn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/${name}` });
        break;
      }
      case 'AWS::StepFunctions::StateMachine': {
        const name = id === s.stateMachine.id ? localFunctionName('stateMachine') : generic;
        byLogicalId.set(id, { ref: arn('states', `stateMachine:${name}`), arn: arn('states', `stateMachine:${name}`) });
        break;
      }
      case 'AWS::SNS::Topic':
        byLogicalId.set(id, { ref: arn('sns', generic), arn: arn('sns', generic) });
        break;
      default:
      // Not referenced by any role policy we enforce; resolve() fails loudly if one ever is.
    }
  }
  return byLogicalId;
}

const PSEUDO: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::Region': LOCAL_REGION, 'AWS::AccountId': LOCAL_ACCOUNT, 'AWS::URLSuffix': 'amazonaws.com' };

/** Replaces CloudFormation intrinsics (Ref, Fn::GetAtt Arn, Fn::Join, Fn::Select, Fn::Split) by their local values. */
function resolver(resources: Map<string, { ref: string; arn: string }>) {
  const resolve = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(resolve);
    if (!v || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'))) {
      const arg = o[keys[0]] as any;
      switch (keys[0]) {
        case 'Ref': {
          const value = PSEUDO[arg] ?? resources.get(arg)?.ref;
          if (value === undefined) throw new Error(`local IAM: cannot resolve {Ref: ${arg}} (add its resource type to lambdas/local/iam/stack-policies.ts)`);
          return value;
        }
        case 'Fn::GetAtt': {
          const [id, attr] = arg as [string, string];
          const value = attr === 'Arn' ? resources.get(id)?.arn : undefined;
          if (value === undefined) throw new Error(`local IAM: cannot resolve {Fn::GetAtt: [${id}, ${attr}]}`);
          return value;
        }
        case 'Fn::Join':
          return (resolve(arg[1]) as unknown[]).join(arg[0]);
        case 'Fn::Select':
          return (resolve(arg[1]) as unknown[])[Number(resolve(arg[0]))];
        case 'Fn::Split':
          return String(resolve(arg[1])).split(arg[0]);
        default:
          throw new Error(`local IAM: unsupported intrinsic ${keys[0]}`);
      }
    }
    return Object.fromEntries(keys.map((k) => [k, resolve(o[k])]));
  };
  return resolve;
}

/** The synthesized policies with every intrinsic replaced by the local names (a fresh copy: callers may edit it). */
export function resolvePolicies(s: SynthesizedPolicies, names: LocalNames): LocalPolicies {
  const resources = localResources(s, names);
  const resolve = resolver(resources);
  const functions: LocalPolicies['functions'] = {};
  for (const [key, f] of Object.entries(s.functions) as [FunctionKey, NonNullable<SynthesizedPolicies['functions'][FunctionKey]>][]) {
    const functionName = localFunctionName(key);
    const roleArn = resources.get(f.role)!.arn;
    functions[key] = {
      key,
      functionName,
      functionArn: resources.get(f.function)!.arn,
      roleArn,
      principal: `arn:aws:sts::${LOCAL_ACCOUNT}:assumed-role/${roleArn.split('/').pop()}/${functionName}`,
      logGroupArn: resources.get(f.logGroup)!.arn,
      failureQueueArn: f.failureQueue ? resources.get(f.failureQueue)!.arn : undefined,
      // The state machine's "function ARN" is its own ARN (what ingest starts).
      policies: resolve(f.documents) as PolicyDocument[],
    };
  }
  const bucketPolicies = Object.fromEntries(Object.entries(s.bucketPolicies).map(([id, doc]) => [resources.get(id)!.ref, resolve(doc) as PolicyDocument]));
  const stateMachine = { arn: resources.get(s.stateMachine.id)!.arn, definition: JSON.parse(resolve(s.stateMachine.definition) as string) as Record<string, unknown> };
  return { account: LOCAL_ACCOUNT, region: LOCAL_REGION, options: s.options, functions, bucketPolicies, stateMachine };
}

/** The stack's policies for the local resources: what startLocalStack enforces by default. */
export async function loadStackPolicies(names: LocalNames, options: SynthOptions = {}): Promise<LocalPolicies> {
  return resolvePolicies(await synthesizedPolicies(options), names);
}
