/**
 * Cloud faults on demand, for the local stack: an AWS SDK v3 middleware on the real S3 and DynamoDB clients,
 * so that every request really goes to s3rver / dynalite except the ones a rule picks, which
 * - return an HTTP error response built like the service's own (DynamoDB's JSON `__type`, S3's XML `<Code>`):
 *   the SDK's deserializer turns it into the same exception class, status code and retry classification as
 *   in AWS (ProvisionedThroughputExceededException / ThrottlingException / SlowDown are throttling errors,
 *   500/503 transient ones), and the SDK's own retry strategy handles it;
 * - answer BatchWriteItem with part of the items written and the rest as UnprocessedItems (what DynamoDB
 *   does under load without any error);
 * - break a GetObject body with ECONNRESET after K bytes (the request succeeded; the socket dies mid-file);
 * - crash the "container": the request, and every later one from the same clients, never completes, which
 *   is what a Lambda that timed out or ran out of memory looks like from outside (no catch block runs, no
 *   failure is recorded, its lease stops being renewed);
 * - or delay a request.
 *
 * Two middlewares: errors, body breaks, crashes and delays sit in the deserialize step below the SDK's
 * deserializer and retry middleware (so each retry attempt is counted and may be hit again); UnprocessedItems
 * sit in the initialize step (a successful response: the SDK does not retry it, our batch writer does).
 */
import { PassThrough, Readable } from 'node:stream';
import type { DynamoDBClient, WriteRequest } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { serviceErrorResponse } from './service-errors';

export type Fault =
  /** BatchWriteItem: write the first part, report floor(n * fraction) items (default half) as UnprocessedItems. */
  | { kind: 'unprocessed'; fraction?: number }
  /** An HTTP error response with the service's error code (e.g. 400 ProvisionedThroughputExceededException, 503 SlowDown). */
  | { kind: 'error'; status: number; code: string; message?: string }
  /** GetObject: the body breaks with ECONNRESET after this many bytes. */
  | { kind: 'body-reset'; afterBytes: number }
  /** The container dies: this request and every later one from its clients never complete. */
  | { kind: 'crash'; message?: string }
  | { kind: 'delay'; ms: number };

export interface FaultRule {
  /** Shown in the log of injected faults. */
  name: string;
  service: 's3' | 'dynamodb';
  /** Operation names (the command name without 'Command'), e.g. ['BatchWriteItem'], ['PutItem', 'UpdateItem']. */
  operations: string[];
  /** Only requests whose command input matches (e.g. a key, a table item). */
  when?: (input: any) => boolean;
  /** Which of the matching requests are hit, 1-based and inclusive, counting every SDK attempt (default: all). */
  from?: number;
  to?: number;
  fault: Fault;
}

export interface InjectedFault {
  rule: string;
  operation: string;
  /** The rule's match counter at this request. */
  call: number;
}

/** A set of clients that crash together (one emulated Lambda container). */
export interface FaultContainer {
  readonly dead: boolean;
  kill(reason: string): void;
}

const never = () => new Promise<never>(() => undefined);


export class FaultInjector {
  private rules: FaultRule[] = [];
  private readonly counts = new Map<FaultRule, number>();
  /** Every fault injected so far, in order (kept across set() and clear(): a test reads it after clearing). */
  readonly injected: InjectedFault[] = [];

  /** Replaces the rules (counters restart). */
  set(rules: FaultRule[]): void {
    this.rules = rules;
    this.counts.clear();
  }

  clear(): void {
    this.set([]);
  }

  /** How many requests matched the named rule so far (hit or not). */
  matched(name: string): number {
    const rule = this.rules.find((r) => r.name === name);
    return rule ? (this.counts.get(rule) ?? 0) : 0;
  }

  hits(name: string): number {
    return this.injected.filter((i) => i.rule === name).length;
  }

  /** A new container: its clients crash together. onCrash is told when a crash rule kills it. */
  container(onCrash: (reason: string) => void = () => undefined): FaultContainer {
    let dead = false;
    return {
      get dead() {
        return dead;
      },
      kill(reason: string) {
        if (dead) return;
        dead = true;
        onCrash(reason);
      },
    };
  }

  /** Installs the middleware on one client of a container. */
  install(client: S3Client | DynamoDBClient, service: 's3' | 'dynamodb', container: FaultContainer): void {
    const stack = (client as DynamoDBClient).middlewareStack as any;
    stack.add(
      (next: any, context: any) => async (args: any) => {
        if (container.dead) return never();
        const rule = this.pick(service, context.commandName, args.input, (f) => f.kind === 'unprocessed');
        if (!rule || rule.fault.kind !== 'unprocessed') return next(args);
        return this.unprocessed(next, args, rule.fault.fraction ?? 0.5);
      },
      { step: 'initialize', name: `faultInjectorOutput-${service}`, override: true },
    );
    stack.add(
      (next: any, context: any) => async (args: any) => {
        if (container.dead) return never();
        const rule = this.pick(service, context.commandName, args.input, (f) => f.kind !== 'unprocessed');
        if (!rule) return next(args);
        const fault = rule.fault;
        switch (fault.kind) {
          case 'crash':
            container.kill(fault.message ?? `injected crash (${rule.name})`);
            return never();
          case 'delay':
            await new Promise((resolve) => setTimeout(resolve, fault.ms));
            return next(args);
          case 'error':
            return { response: serviceErrorResponse(service, fault.status, fault.code, fault.message ?? `injected by fault rule ${rule.name}`, { requestId: 'injected' }) };
          case 'body-reset': {
            const result = await next(args);
            result.response.body = breakAfter(result.response.body as Readable, fault.afterBytes);
            return result;
          }
          default:
            return next(args);
        }
      },
      // Below the deserializer (normal priority in the same step), so the SDK parses what we return.
      { step: 'deserialize', priority: 'low', name: `faultInjectorWire-${service}`, override: true },
    );
  }

  private pick(service: string, commandName: string | undefined, input: unknown, accept: (f: Fault) => boolean): FaultRule | undefined {
    const operation = (commandName ?? '').replace(/Command$/, '');
    for (const rule of this.rules) {
      if (rule.service !== service || !rule.operations.includes(operation) || !accept(rule.fault)) continue;
      if (rule.when && !rule.when(input)) continue;
      const call = (this.counts.get(rule) ?? 0) + 1;
      this.counts.set(rule, call);
      if (call < (rule.from ?? 1) || call > (rule.to ?? Infinity)) continue;
      this.injected.push({ rule: rule.name, operation, call });
      return rule;
    }
    return undefined;
  }

  /** Writes the first part of the batch for real; the rest comes back as UnprocessedItems. */
  private async unprocessed(next: any, args: any, fraction: number): Promise<any> {
    const requestItems = args.input.RequestItems as Record<string, WriteRequest[]>;
    const [table, requests] = Object.entries(requestItems)[0];
    // floor: a batch of one item goes through, so a batch always makes progress (as under real throttling, eventually)
    const keep = requests.length - Math.floor(requests.length * fraction);
    if (keep === 0) {
      return { output: { $metadata: { httpStatusCode: 200 }, UnprocessedItems: { [table]: requests } }, response: undefined };
    }
    const result = await next({ ...args, input: { ...args.input, RequestItems: { [table]: requests.slice(0, keep) } } });
    result.output.UnprocessedItems = { [table]: requests.slice(keep) };
    return result;
  }
}

/** The body as a stream that fails like a reset socket after afterBytes bytes. */
function breakAfter(source: Readable, afterBytes: number): Readable {
  const out = new PassThrough();
  let seen = 0;
  let broken = false;
  const reset = () => {
    const err = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', errno: -104, syscall: 'read' });
    source.destroy();
    out.destroy(err);
  };
  source.on('data', (chunk: Buffer) => {
    if (broken) return;
    if (seen + chunk.length >= afterBytes) {
      broken = true;
      out.write(chunk.subarray(0, afterBytes - seen));
      // Let the consumer read the bytes that did arrive before the error surfaces.
      setImmediate(reset);
      return;
    }
    seen += chunk.length;
    out.write(chunk);
  });
  source.on('end', () => {
    if (!broken) out.end(); // never a clean end after the break: that would be silently truncated data
  });
  source.on('error', (err) => out.destroy(err));
  return out;
}
