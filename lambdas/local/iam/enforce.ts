/**
 * IAM enforcement on a function's real AWS SDK clients: an SDK middleware that authorizes every request before it
 * reaches the emulator (authorizer.ts) and, when denied, answers with the service's own AccessDenied response, which
 * the SDK's deserializer turns into the same exception as in AWS (S3 `AccessDenied` 403, DynamoDB and EventBridge
 * `AccessDeniedException` 400), not retried.
 *
 * One S3 behaviour the emulator lacks is added: a GetObject or HeadObject of a missing key answers 403 AccessDenied,
 * not 404, when the caller may not s3:ListBucket the bucket (S3 does not reveal whether a key exists to a caller who
 * cannot list it). That permission is checked without s3:prefix, as S3 does: a prefix-conditioned ListBucket grant does
 * not cover it, so existence checks must be listings (S3BlobStore.exists).
 *
 * Placed in the deserialize step below the deserializer, like the fault injector (lambdas/local/faults.ts): it runs for
 * every attempt of the SDK's retry loop and the SDK parses what it returns.
 */
import type { IamAuthorizer } from './authorizer';
import { iamRequestsFor, type EnforcedService } from './requests';
import type { FunctionKey } from './stack-policies';
import { serviceErrorResponse } from '../service-errors';

const ACCESS_DENIED: Record<EnforcedService, { status: number; code: string }> = {
  s3: { status: 403, code: 'AccessDenied' },
  dynamodb: { status: 400, code: 'AccessDeniedException' },
  events: { status: 400, code: 'AccessDeniedException' },
};

interface MiddlewareClient {
  middlewareStack: { add(middleware: unknown, options: Record<string, unknown>): void };
}

export function enforceIam(client: MiddlewareClient, service: EnforcedService, fn: FunctionKey, authorizer: IamAuthorizer): void {
  const target = { region: authorizer.policies.region, account: authorizer.policies.account };
  const denied = (message: string, head: boolean) => ({ response: serviceErrorResponse(service, ACCESS_DENIED[service].status, ACCESS_DENIED[service].code, message, { head, requestId: 'local-iam' }) });
  client.middlewareStack.add(
    (next: (args: any) => Promise<any>, context: { commandName?: string }) => async (args: any) => {
      const command = (context.commandName ?? '').replace(/Command$/, '');
      const head = command === 'HeadObject';
      for (const request of iamRequestsFor(service, command, args.input, target)) {
        const decision = await authorizer.authorize(fn, request);
        if (!decision.allowed) return denied(decision.message, head);
      }
      const result = await next(args);
      if (service === 's3' && (command === 'GetObject' || head) && result?.response?.statusCode === 404) {
        const list = await authorizer.authorize(fn, { action: 's3:ListBucket', resource: `arn:aws:s3:::${args.input.Bucket}` });
        if (!list.allowed) {
          result.response.body?.destroy?.();
          return denied(list.message, head);
        }
      }
      return result;
    },
    { step: 'deserialize', priority: 'low', name: `localIamEnforcement-${service}`, override: true },
  );
}
