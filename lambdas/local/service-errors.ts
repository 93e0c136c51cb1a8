/**
 * HTTP error responses in each service's own wire format, for middlewares that answer instead of the emulator (the
 * fault injector, the local IAM enforcement): the SDK's deserializer turns them into the same exception class, status
 * code and retry classification as the real service's (S3: XML `<Code>`, or no body at all for HEAD; DynamoDB: JSON
 * 1.0 `__type`; EventBridge: JSON 1.1 `__type`).
 */
import { Readable } from 'node:stream';

export type WireService = 's3' | 'dynamodb' | 'events';

/** DynamoDB errors are modelled under this namespace in `__type` (awsJson1_0); the SDK reads the name after '#'. */
const DYNAMODB_ERROR_NAMESPACE = 'com.amazonaws.dynamodb.v20120810#';

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function serviceErrorResponse(service: WireService, status: number, code: string, message: string, options: { head?: boolean; requestId?: string } = {}) {
  const requestId = options.requestId ?? 'local';
  let body = '';
  let contentType = 'application/xml';
  if (service === 's3') {
    // S3 answers a HEAD request with the status alone: the SDK names the error after it (e.g. 403 Forbidden).
    if (!options.head) body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message><RequestId>${requestId}</RequestId></Error>`;
  } else {
    contentType = service === 'dynamodb' ? 'application/x-amz-json-1.0' : 'application/x-amz-json-1.1';
    body = JSON.stringify({ __type: (service === 'dynamodb' ? DYNAMODB_ERROR_NAMESPACE : '') + code, message });
  }
  return {
    statusCode: status,
    reason: code,
    headers: { 'content-type': contentType, 'x-amzn-requestid': requestId, 'x-amz-request-id': requestId },
    body: Readable.from([Buffer.from(body, 'utf8')]),
  };
}
