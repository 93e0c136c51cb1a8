/**
 * Decides each request a function makes locally as IAM would in AWS, with a maintained evaluator
 * (@cloud-copilot/iam-simulate, the AWS policy evaluation logic: identity policies, resource policies, explicit denies,
 * condition operators and set operators), against the function's role policies and the bucket policies as synthesized
 * (stack-policies.ts). This module only builds the request (principal, action, resource, context) and caches the
 * decision: the same (function, action, resource, context) always gets the same answer, so a pipeline's thousands of
 * BatchWriteItem calls cost one evaluation. Beyond that, requests are evaluated once per class: a policy sees an S3
 * object's ARN only through the Resource and NotResource patterns it is matched against, and a condition key used only
 * with string operators (StringEquals, StringLike and their negations, case-insensitive forms, ForAllValues and
 * ForAnyValue sets) only through which of the policies' values it equals or matches. Two requests of one function and
 * action whose object (same bucket) matches the same patterns and whose keys match the same values get the same
 * decision. Without classes every distinct partition key of a Query (dynamodb:LeadingKeys) and every object key cost
 * an evaluation of its own (2-4 ms each). A policy variable (${...}) in a pattern or value, or a key used with any
 * other operator (Bool, Numeric, Arn, Date, IpAddress), keeps the exact value in the class.
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

const STRING_OPERATOR = /^(For(All|Any)Values:)?String(Not)?(Equals|Like)(IgnoreCase)?(IfExists)?$/;

/**
 * For each condition key used only with string operators (and Null, which only looks at presence), every value the
 * policies compare it with, as expressions of its readings; keys used otherwise, or with a policy variable, are left out.
 */
function stringConditionValuesOf(documents: PolicyDocument[]): Map<string, RegExp[]> {
  const values = new Map<string, Set<string>>();
  const exact = new Set<string>();
  for (const doc of documents)
    for (const s of doc.Statement)
      for (const [operator, block] of Object.entries(s.Condition ?? {}))
        for (const [key, value] of Object.entries(block)) {
          const k = key.toLowerCase();
          if (operator === 'Null') continue;
          const list = [value].flat() as unknown[];
          if (!STRING_OPERATOR.test(operator) || list.some((v) => typeof v !== 'string' || v.includes('${'))) exact.add(k);
          else for (const v of list as string[]) (values.get(k) ?? values.set(k, new Set()).get(k)!).add(v);
        }
  // StringEquals reads * and ? literally, StringLike as wildcards: a class agrees on both readings, in both cases.
  const readings = (v: string) => [wildcardRegExp(v, ''), wildcardRegExp(v, 'i'), literalRegExp(v, ''), literalRegExp(v, 'i')];
  return new Map([...values].filter(([k]) => !exact.has(k)).map(([k, vs]) => [k, [...vs].flatMap(readings)]));
}

/** Which of the expressions a value matches, as a string of 0 and 1. */
function matches(value: string, expressions: RegExp[]): string {
  let out = '';
  for (const e of expressions) out += e.test(value) ? '1' : '0';
  return out;
}

/** Every Resource and NotResource pattern of the documents. */
function resourcePatternsOf(documents: PolicyDocument[]): string[] {
  const patterns = new Set<string>();
  for (const doc of documents) for (const s of doc.Statement) for (const p of [s.Resource ?? [], s.NotResource ?? []].flat()) patterns.add(p);
  return [...patterns];
}

/** An IAM wildcard pattern as a regular expression: `*` any run of characters (slashes included), `?` any one. */
function wildcardRegExp(pattern: string, flags: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, flags);
}

/** Equality with the value, as a regular expression. */
function literalRegExp(value: string, flags: string): RegExp {
  return new RegExp(`^${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, flags);
}

const S3_ARN = 'arn:aws:s3:::';

export class IamAuthorizer {
  /** Decisions by exact request (what `decided` lists) and by class of request (what is evaluated). */
  private readonly cache = new Map<string, Promise<IamDecision>>();
  private readonly classes = new Map<string, Promise<Omit<IamDecision, 'message'>>>();
  /** Each resource pattern, matched both case-sensitively and not (whichever the evaluator does, a class agrees on both). */
  private readonly patterns: RegExp[] | undefined;
  /** The condition keys whose values are classed, with the policies' values they are compared with (both cases too). */
  private readonly conditionValues: Map<string, RegExp[]>;
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
    const documents = [...Object.values(policies.functions).flatMap((f) => f!.policies), ...Object.values(policies.bucketPolicies)];
    this.conditionKeys = conditionKeysOf(documents);
    const patterns = resourcePatternsOf(documents);
    this.patterns = patterns.some((p) => p.includes('${')) ? undefined : patterns.flatMap((p) => [wildcardRegExp(p, ''), wildcardRegExp(p, 'i')]);
    this.conditionValues = stringConditionValuesOf(documents);
  }

  /** The condition keys as the policies see them: a classed key as the policy values it matches. */
  private contextClass(context: Record<string, string | string[]>): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(context)) {
      const expressions = this.conditionValues.get(k.toLowerCase());
      if (!expressions) out[k] = v;
      else if (typeof v === 'string') out[k] = `<matching ${matches(v, expressions)}>`;
      // The set of the values' classes (what ForAllValues and ForAnyValue read), and how many values there are (a
      // single-valued operator on a multivalued key may depend on it).
      else out[k] = [`<${v.length} values>`, ...[...new Set(v.map((x) => matches(x, expressions)))].sort()];
    }
    return out;
  }

  /** The resource as the policies see it: an S3 object as its bucket and the patterns it matches, anything else as is. */
  private resourceClass(resource: string): string {
    if (!this.patterns || !resource.startsWith(S3_ARN)) return resource;
    const slash = resource.indexOf('/', S3_ARN.length);
    if (slash < 0) return resource; // a bucket
    return `${resource.slice(0, slash)}/<object matching ${matches(resource, this.patterns)}>`;
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
      const classKey = JSON.stringify([fn, request.action, this.resourceClass(request.resource), this.contextClass(context)]);
      let outcome = this.classes.get(classKey);
      if (!outcome) {
        outcome = this.evaluate(fn, request.action, request.resource, context);
        this.classes.set(classKey, outcome);
      }
      decision = outcome.then((o) => {
        const d: IamDecision = { ...o, message: this.message(fn, request.action, request.resource, o) };
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

  private async evaluate(fn: FunctionKey, action: string, resource: string, context: Record<string, string | string[]>): Promise<Omit<IamDecision, 'message'>> {
    const identity = this.identity(fn);
    const bucket = resource.startsWith(S3_ARN) ? resource.slice(S3_ARN.length).split('/')[0] : undefined;
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
    return { allowed: result.overallResult === 'Allowed', explicit: result.overallResult === 'ExplicitlyDenied' };
  }

  /** AWS's wording of a denial; S3 quotes the resource. */
  private message(fn: FunctionKey, action: string, resource: string, outcome: Omit<IamDecision, 'message'>): string {
    if (outcome.allowed) return '';
    const s3 = resource.startsWith(S3_ARN);
    const shown = s3 ? `"${resource}"` : resource;
    const why = outcome.explicit ? `with an explicit deny in ${s3 ? 'a resource-based' : 'an identity-based'} policy` : `because no identity-based policy allows the ${action} action`;
    return `User: ${this.identity(fn).principal} is not authorized to perform: ${action} on resource: ${shown} ${why}`;
  }
}
