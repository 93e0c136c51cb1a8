/**
 * Child-process entry of stack-policies.ts: synthesizes the CDK app (lib/app.ts, the cdk.json context, no bundling and
 * no cdk-nag: neither changes a policy) and prints, as JSON on stdout, what the local IAM enforcement needs from the
 * template: each function's role policies and resources (by logical id, intrinsics unresolved), the state machine's
 * role and definition, the bucket policies, the resource types, and the project files the synth loaded (so the cache is invalidated when any of them changes).
 *
 *   node -r tsx/cjs lambdas/local/iam/synth.ts '{"autoRetrain":false}'
 *
 * In a child process because loading aws-cdk-lib costs ~2 s and ~150 MB that the local stack would otherwise carry.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CfnElement, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { createApp } from '../../../lib/app';
import type { SecureFunction } from '../../../lib/constructs/defaults/lambda-defaults';
import { PROJECT_ROOT, type FunctionKey, type SynthesizedPolicies, type SynthOptions } from './stack-policies';

const logicalIdOf = (construct: IConstruct) => Stack.of(construct).getLogicalId((construct.node.defaultChild ?? construct) as CfnElement);

function main(): void {
  const options = JSON.parse(process.argv[2] ?? '{}') as SynthOptions;
  const cdkJson = path.join(PROJECT_ROOT, 'cdk.json');
  const context = JSON.parse(readFileSync(cdkJson, 'utf8')).context as Record<string, unknown>;
  const outdir = mkdtempSync(path.join(tmpdir(), 'segments-iam-synth-'));
  try {
    const { app, stack } = createApp({
      // No bundling, no cdk-nag, no CloudFormation schema validation (a WASM validator, ~10 s): none changes a policy.
      appProps: { outdir, context: { ...context, nag: false, 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false },
      config: { autoRetrain: options.autoRetrain },
    });
    const template = app.synth().getStackByName(stack.stackName).template as { Resources: Record<string, { Type: string; Properties?: any }> };
    const resources = template.Resources;

    const functions: Partial<Record<FunctionKey, Pick<SecureFunction, 'role' | 'function' | 'logGroup' | 'failureQueue'>>> = {
      ingest: stack.pipeline.ingest,
      train: stack.pipeline.train,
      stability: stack.stabilitySchedule.stability,
      compute: stack.distributed.compute,
      publish: stack.distributed.publish,
      // Not a function, but a principal with a role the same way: the tasks it invokes, the items its maps read.
      stateMachine: { role: stack.distributed.stateMachine.role as SecureFunction['role'], function: stack.distributed.stateMachine as never, logGroup: stack.distributed.logGroup, failureQueue: undefined },
    };
    const out: SynthesizedPolicies = {
      options,
      functions: {},
      buckets: { raw: logicalIdOf(stack.buckets.raw), artifacts: logicalIdOf(stack.buckets.artifacts), accessLogs: logicalIdOf(stack.buckets.accessLogs) },
      table: logicalIdOf(stack.segmentTable.table),
      stateMachine: { id: logicalIdOf(stack.distributed.stateMachine), definition: resources[logicalIdOf(stack.distributed.stateMachine)].Properties.DefinitionString },
      bucketPolicies: {},
      resourceTypes: Object.fromEntries(Object.entries(resources).map(([id, r]) => [id, r.Type])),
      inputs: {},
    };
    for (const [key, fn] of Object.entries(functions) as [FunctionKey, Pick<SecureFunction, 'role' | 'function' | 'logGroup' | 'failureQueue'>][]) {
      const role = logicalIdOf(fn.role);
      const roleProps = resources[role].Properties ?? {};
      if (roleProps.ManagedPolicyArns?.length) throw new Error(`role of ${key} has managed policies, which the local enforcement cannot read`);
      const attached = Object.values(resources)
        .filter((r) => r.Type === 'AWS::IAM::Policy' && (r.Properties.Roles ?? []).some((ref: unknown) => JSON.stringify(ref) === JSON.stringify({ Ref: role })))
        .map((r) => r.Properties.PolicyDocument);
      out.functions[key] = {
        role,
        function: logicalIdOf(fn.function),
        logGroup: logicalIdOf(fn.logGroup),
        failureQueue: fn.failureQueue ? logicalIdOf(fn.failureQueue) : undefined,
        documents: [...(roleProps.Policies ?? []).map((p: { PolicyDocument: unknown }) => p.PolicyDocument), ...attached],
      };
    }
    for (const r of Object.values(resources)) {
      if (r.Type === 'AWS::S3::BucketPolicy') out.bucketPolicies[r.Properties.Bucket.Ref] = r.Properties.PolicyDocument;
    }
    // Every project file this synth read: the cache key of its result (stack-policies.ts).
    const loaded = [...Object.keys(require.cache), cdkJson].filter((f) => f.startsWith(PROJECT_ROOT + path.sep) && !f.includes(`${path.sep}node_modules${path.sep}`));
    loaded.push(require.resolve('aws-cdk-lib/package.json'));
    out.inputs = Object.fromEntries([...new Set(loaded)].sort().map((f) => [path.relative(PROJECT_ROOT, f), '']));
    process.stdout.write(JSON.stringify(out));
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

main();
