/**
 * What IAM authorizes for each AWS SDK command the functions send: the action(s), the resource ARN(s) and the
 * request's condition keys, as the services document them (Service Authorization Reference). A command without a
 * mapping fails loudly: a new call must be mapped here before it can run unchecked.
 */
import type { IamRequest } from './authorizer';

export type EnforcedService = 's3' | 'dynamodb' | 'events';

export interface Target {
  region: string;
  account: string;
}

const s3Object = (bucket: string, key: string) => `arn:aws:s3:::${bucket}/${key}`;
const s3Bucket = (bucket: string) => `arn:aws:s3:::${bucket}`;

/** The condition keys S3 puts on a listing (s3:prefix is absent when the request has no Prefix). */
function listContext(input: { Prefix?: string; Delimiter?: string; MaxKeys?: number }): Record<string, string> {
  const context: Record<string, string> = {};
  if (input.Prefix !== undefined) context['s3:prefix'] = input.Prefix;
  if (input.Delimiter !== undefined) context['s3:delimiter'] = input.Delimiter;
  if (input.MaxKeys !== undefined) context['s3:max-keys'] = String(input.MaxKeys);
  return context;
}

function s3Requests(command: string, input: any): IamRequest[] | undefined {
  switch (command) {
    // HeadObject is authorized as s3:GetObject.
    case 'GetObject':
    case 'HeadObject':
      return [{ action: input.VersionId ? 's3:GetObjectVersion' : 's3:GetObject', resource: s3Object(input.Bucket, input.Key) }];
    // A multipart upload is authorized as s3:PutObject at every step.
    case 'PutObject':
    case 'CreateMultipartUpload':
    case 'UploadPart':
    case 'CompleteMultipartUpload':
      return [{ action: 's3:PutObject', resource: s3Object(input.Bucket, input.Key) }];
    case 'AbortMultipartUpload':
      return [{ action: 's3:AbortMultipartUpload', resource: s3Object(input.Bucket, input.Key) }];
    case 'ListParts':
      return [{ action: 's3:ListMultipartUploadParts', resource: s3Object(input.Bucket, input.Key) }];
    case 'PutObjectTagging':
    case 'GetObjectTagging':
      return [{ action: `s3:${command}${input.VersionId ? 'Version' : ''}`.replace('ObjectTaggingVersion', 'ObjectVersionTagging'), resource: s3Object(input.Bucket, input.Key) }];
    case 'DeleteObject':
      return [{ action: input.VersionId ? 's3:DeleteObjectVersion' : 's3:DeleteObject', resource: s3Object(input.Bucket, input.Key) }];
    case 'CopyObject': {
      const [sourceBucket, ...sourceKey] = decodeURIComponent(String(input.CopySource).replace(/^\//, '')).split('/');
      return [
        { action: 's3:GetObject', resource: s3Object(sourceBucket, sourceKey.join('/')) },
        { action: 's3:PutObject', resource: s3Object(input.Bucket, input.Key) },
      ];
    }
    // Both listing versions are s3:ListBucket.
    case 'ListObjects':
    case 'ListObjectsV2':
      return [{ action: 's3:ListBucket', resource: s3Bucket(input.Bucket), context: listContext(input) }];
    case 'ListObjectVersions':
      return [{ action: 's3:ListBucketVersions', resource: s3Bucket(input.Bucket), context: listContext(input) }];
    default:
      return undefined;
  }
}

/** The partition key value of a Query's key condition (`<name> = :value ...`, names and values by placeholder or not). */
function leadingKey(input: { KeyConditionExpression?: string; ExpressionAttributeValues?: Record<string, { S?: string; N?: string }> }): string | undefined {
  const m = /^\s*\(?\s*[#\w]+\s*=\s*(:\w+)/.exec(input.KeyConditionExpression ?? '');
  const value = m ? input.ExpressionAttributeValues?.[m[1]] : undefined;
  return value?.S ?? value?.N;
}

function dynamoRequests(command: string, input: any, target: Target): IamRequest[] | undefined {
  const table = (name: string) => (name.startsWith('arn:') ? name : `arn:aws:dynamodb:${target.region}:${target.account}:table/${name}`);
  const action = `dynamodb:${command}`;
  switch (command) {
    case 'GetItem':
    case 'PutItem':
    case 'UpdateItem':
    case 'DeleteItem':
    case 'DescribeTable':
      return [{ action, resource: table(input.TableName) }];
    // Query and Scan on an index are authorized on the index's ARN; a Query carries the partition key it reads as
    // dynamodb:LeadingKeys (a grant may be limited to some partitions).
    case 'Query':
    case 'Scan': {
      const leading = command === 'Query' ? leadingKey(input) : undefined;
      return [{ action, resource: input.IndexName ? `${table(input.TableName)}/index/${input.IndexName}` : table(input.TableName), ...(leading !== undefined ? { context: { 'dynamodb:LeadingKeys': [leading] } } : {}) }];
    }
    // One authorization per table of the batch.
    case 'BatchWriteItem':
    case 'BatchGetItem':
      return Object.keys(input.RequestItems ?? {}).map((name) => ({ action, resource: table(name) }));
    default:
      return undefined;
  }
}

function eventsRequests(command: string, input: any, target: Target): IamRequest[] | undefined {
  if (command !== 'PutEvents') return undefined;
  // One authorization per bus, with the sources and detail types of its entries (multivalued keys).
  const byBus = new Map<string, { sources: Set<string>; types: Set<string> }>();
  for (const entry of input.Entries ?? []) {
    const name: string = entry.EventBusName || 'default';
    const arn = name.startsWith('arn:') ? name : `arn:aws:events:${target.region}:${target.account}:event-bus/${name}`;
    const bus = byBus.get(arn) ?? { sources: new Set(), types: new Set() };
    if (entry.Source !== undefined) bus.sources.add(entry.Source);
    if (entry.DetailType !== undefined) bus.types.add(entry.DetailType);
    byBus.set(arn, bus);
  }
  return [...byBus].map(([resource, bus]) => ({
    action: 'events:PutEvents',
    resource,
    context: { ...(bus.sources.size ? { 'events:source': [...bus.sources] } : {}), ...(bus.types.size ? { 'events:detail-type': [...bus.types] } : {}) },
  }));
}

/** The IAM requests of one SDK command (`commandName` without the `Command` suffix). */
export function iamRequestsFor(service: EnforcedService, command: string, input: unknown, target: Target): IamRequest[] {
  const requests = service === 's3' ? s3Requests(command, input) : service === 'dynamodb' ? dynamoRequests(command, input, target) : eventsRequests(command, input, target);
  if (!requests) throw new Error(`local IAM: no authorization mapping for ${service} ${command} (add it to lambdas/local/iam/requests.ts)`);
  return requests;
}

/** The invoke of another function (lambda:InvokeFunction on its unqualified ARN). */
export function invokeRequest(functionArn: string): IamRequest {
  return { action: 'lambda:InvokeFunction', resource: functionArn };
}
