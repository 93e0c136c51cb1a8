/**
 * Shared helpers of the infrastructure tests: the app is built exactly like bin/app.ts does
 * (lib/app.ts, context from cdk.json), so the tests check what `cdk synth` produces.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CfnElement, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

export const CDK_JSON_CONTEXT: Record<string, unknown> = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8'),
).context;

/** Logical id of an L2 construct's CloudFormation resource (or of a CfnElement itself). */
export function logicalId(construct: IConstruct): string {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return Stack.of(construct).getLogicalId(element);
}

export type Statement = {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
};

export const asArray = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);
