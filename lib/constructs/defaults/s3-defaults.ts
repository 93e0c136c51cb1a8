/**
 * S3 defaults: the props of every bucket of the stack, and object grants scoped to key prefixes (with the cdk-nag
 * acknowledgement each prefix wildcard needs).
 */
import { CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { policyOf } from './iam-defaults';

export interface SecureBucketOptions {
  /** S3-managed keys (default) or a customer-managed KMS key. */
  readonly encryptionKey?: kms.IKey;
  /** Destination of the server access logs; undefined only for the log bucket itself. */
  readonly serverAccessLogsBucket?: s3.IBucket;
  readonly serverAccessLogsPrefix?: string;
  /** How long overwritten/deleted object versions are kept. */
  readonly noncurrentVersionExpiration?: Duration;
  /** Extra lifecycle rules (appended to the noncurrent-version rule). */
  readonly lifecycleRules?: s3.LifecycleRule[];
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Props for every bucket of the stack: encrypted (SSE-S3, or SSE-KMS with a bucket key), TLS-only bucket
 * policy, all public access blocked, ACLs disabled, versioned, noncurrent versions and incomplete
 * multipart uploads expired, server access logs to the dedicated log bucket, retained on stack deletion.
 */
export function secureBucketProps(options: SecureBucketOptions = {}): s3.BucketProps {
  return {
    ...(options.encryptionKey
      ? { encryption: s3.BucketEncryption.KMS, encryptionKey: options.encryptionKey, bucketKeyEnabled: true }
      : { encryption: s3.BucketEncryption.S3_MANAGED }),
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    versioned: true,
    serverAccessLogsBucket: options.serverAccessLogsBucket,
    serverAccessLogsPrefix: options.serverAccessLogsPrefix,
    lifecycleRules: [
      {
        id: 'expire-noncurrent-versions',
        enabled: true,
        noncurrentVersionExpiration: options.noncurrentVersionExpiration ?? Duration.days(30),
        abortIncompleteMultipartUploadAfter: Duration.days(7),
      },
      ...(options.lifecycleRules ?? []),
    ],
    removalPolicy: options.removalPolicy ?? RemovalPolicy.RETAIN,
  };
}

export interface PrefixAccess {
  /** Prefixes (ending with '/') whose objects may be read (s3:GetObject). */
  readonly read?: string[];
  /** Prefixes whose objects are written whole (s3:PutObject). */
  readonly write?: string[];
  /**
   * Prefixes whose objects may be uploaded in parts (BlobStore.putStream through @aws-sdk/lib-storage, above one 8 MiB
   * part): s3:PutObject, and s3:AbortMultipartUpload, which lib-storage calls when such an upload fails.
   */
  readonly writeMultipart?: string[];
  /** Prefixes that may be listed (s3:ListBucket on the bucket, with an s3:prefix condition). */
  readonly list?: string[];
  /** Prefixes whose objects may be tagged (s3:PutObjectTagging: marking superseded artifacts for their lifecycle rule). */
  readonly tag?: string[];
}

/** The cdk-nag finding id for an object-prefix resource `<bucket ARN>/<prefix>*` in a role's policy. */
function objectPrefixFinding(bucket: s3.IBucket, prefix: string): string {
  const cfnBucket = bucket.node.defaultChild as CfnElement;
  return `AwsSolutions-IAM5[Resource::<${Stack.of(bucket).getLogicalId(cfnBucket)}.Arn>/${prefix}*]`;
}

/**
 * Grants object access limited to key prefixes, with explicit actions (no `s3:*`, no `Get*`).
 * Object ARNs need a trailing `*` (object keys contain dataset ids / model versions only known at
 * run time); the prefix is the narrowest scope, so each of these exact findings is acknowledged here.
 */
export function grantPrefixAccess(role: iam.IRole, bucket: s3.IBucket, access: PrefixAccess): void {
  const acknowledged = new Set<string>();
  const objects = (prefixes: string[]) => prefixes.map((p) => bucket.arnForObjects(`${p}*`));
  const ack = (prefixes: string[]) => {
    for (const prefix of prefixes) {
      const id = objectPrefixFinding(bucket, prefix);
      if (acknowledged.has(id)) continue;
      acknowledged.add(id);
      // Scoped to this role's policy and to this exact bucket/prefix resource.
      Validations.of(policyOf(role)).acknowledge({
        id,
        reason: `Object-level access is limited to the "${prefix}" key prefix; object keys (dataset ids, model versions) are only known at run time, so a prefix wildcard is the narrowest possible resource.`,
      });
    }
  };
  if (access.read?.length) {
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: objects(access.read) }));
    ack(access.read);
  }
  if (access.write?.length) {
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: objects(access.write) }));
    ack(access.write);
  }
  if (access.writeMultipart?.length) {
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject', 's3:AbortMultipartUpload'], resources: objects(access.writeMultipart) }));
    ack(access.writeMultipart);
  }
  if (access.tag?.length) {
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:PutObjectTagging'], resources: objects(access.tag) }));
    ack(access.tag);
  }
  if (access.list?.length) {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': access.list.map((p) => `${p}*`) } },
      }),
    );
  }
}
