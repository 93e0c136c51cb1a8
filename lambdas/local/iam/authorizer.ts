/**
 * Decides each request a function makes locally as IAM would in AWS, with a maintained evaluator
 * (@cloud-copilot/iam-simulate, the AWS policy evaluation logic: identity policies, resource policies, explicit denies,
 * condition operators and set operators), against the function's role policies and the bucket policies as synthesized
 * (stack-policies.ts). This module only builds the request (principal, action, resource, context) and caches the
 * decision: the same (function, action, resource, context) always gets the same answer, so a pipeline's thousands of
 * BatchWriteItem calls cost one evaluation.
 *
 * It also keeps the distinct requests it decided (allowed or not), which test/iam/grants.test.ts compares with the
 * grants of each role.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import type { FunctionKey, LocalPolicies, PolicyDocument } from './stack-policies';

export interface IamRequest {
  action: string;
  resource: string;
  /** Condition keys of the request (e.g. s3:prefix, events:source); only the keys some policy uses are evaluated. */
  context?: Record<string, string | string[]>;
}

export interface IamDecision {
  allowed: boolean;
  /** Denied by a Deny statement (as opposed to no statement allowing it). */
  explicit: boolean;
  /** The service's message, as AWS words it ("User: ... is not authorized to perform: ..."). */
  message: string;
}

export interface DecidedRequest extends Required<IamRequest> {
  fn: FunctionKey;
  allowed: boolean;
}

/**
 * Keys every request carries in AWS: the SDK always calls over TLS 1.2+ (the emulators' plain HTTP is a local transport
 * detail), which the buckets' TLS-only policies check.
 */
const TRANSPORT_CONTEXT: Record<string, string> = { 'aws:SecureTransport': 'true', 's3:TlsVersion': '1.3' };

function conditionKeysOf(documents: PolicyDocument[]): Set<string> {
  const keys = new Set<string>();
  for (const doc of documents) for (const s of doc.Statement) for (const block of Object.values(s.Condition ?? {})) for (const k of Object.keys(block)) keys.add(k.toLowerCase());
  return keys;
}

export class IamAuthorizer {
  private readonly cache = new Map<string, Promise<IamDecision>>();
  /** Keys used in any condition: the only request keys that can change a decision (and so the only ones cached on). */
  private readonly conditionKeys: Set<string>;
  /** Every distinct request decided so far, in order. */
  readonly decided: DecidedRequest[] = [];
  /** The denied ones. */
  readonly denials: DecidedRequest[] = [];

  constructor(
    readonly policies: LocalPolicies,
    private readonly onDenied: (request: DecidedRequest, decision: IamDecision) => void = () => undefined,
  ) {
    this.conditionKeys = conditionKeysOf([...Object.values(policies.functions).flatMap((f) => f!.policies), ...Object.values(policies.bucketPolicies)]);
  }

  identity(fn: FunctionKey) {
    const identity = this.policies.functions[fn];
    if (!identity) throw new Error(`local IAM: the stack has no ${fn} function with these options (${JSON.stringify(this.policies.options)})`);
    return identity;
  }

  authorize(fn: FunctionKey, request: IamRequest): Promise<IamDecision> {
    const context: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries({ ...TRANSPORT_CONTEXT, ...request.context })) if (this.conditionKeys.has(k.toLowerCase())) context[k] = v;
    const key = JSON.stringify([fn, request.action, request.resource, context]);
    let decision = this.cache.get(key);
    if (!decision) {
      decision = this.evaluate(fn, request.action, request.resource, context).then((d) => {
        const decided: DecidedRequest = { fn, action: request.action, resource: request.resource, context, allowed: d.allowed };
        this.decided.push(decided);
        if (!d.allowed) {
          this.denials.push(decided);
          this.onDenied(decided, d);
        }
        return d;
      });
      this.cache.set(key, decision);
    }
    return decision;
  }

  private async evaluate(fn: FunctionKey, action: string, resource: string, context: Record<string, string | string[]>): Promise<IamDecision> {
    const identity = this.identity(fn);
    const bucket = resource.startsWith('arn:aws:s3:::') ? resource.slice('arn:aws:s3:::'.length).split('/')[0] : undefined;
    const result = await runSimulation(
      {
        request: { principal: identity.principal, action, resource: { resource, accountId: this.policies.account }, contextVariables: context },
        identityPolicies: identity.policies.map((policy, i) => ({ name: `${identity.functionName}-policy-${i}`, policy })),
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: bucket ? this.policies.bucketPolicies[bucket] : undefined,
      },
      {},
    );
    if (result.resultType === 'error') throw new Error(`local IAM: cannot evaluate ${action} on ${resource}: ${JSON.stringify(result.errors)}`);
    const outcome = result.overallResult;
    const allowed = outcome === 'Allowed';
    const explicit = outcome === 'ExplicitlyDenied';
    // AWS's wording; S3 quotes the resource.
    const shown = bucket ? `"${resource}"` : resource;
    const why = explicit ? `with an explicit deny in ${bucket ? 'a resource-based' : 'an identity-based'} policy` : `because no identity-based policy allows the ${action} action`;
    return { allowed, explicit, message: allowed ? '' : `User: ${identity.principal} is not authorized to perform: ${action} on resource: ${shown} ${why}` };
  }
}
