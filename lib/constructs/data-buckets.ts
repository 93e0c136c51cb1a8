/**
 * The stack's S3 buckets: raw uploads, pipeline artifacts, and the server-access-log bucket of both.
 *
 * Key layout:
 *   raw        incoming/<dataset-id>/<table>.csv     uploads; ObjectCreated here starts ingestion
 *   artifacts  features/<dataset-id>/...             written by ingest, read by train / stability
 *              models/<version>/model.json           written by train
 *              reports/<version>/*.html              written by train (stability reports too)
 *              exports/<version>/segment-<id>.csv    the campaign lists and their manifest.json, written by train
 *              errors/<dataset-id or version>/...    rejected inputs / failed runs, for humans
 * The artifacts bucket has no event notifications at all, so pipeline writes can never re-trigger
 * ingestion (or anything else).
 */
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { SUPERSEDED_TAG } from '../../lambdas/store/lifecycle';
import { ARTIFACT_PREFIXES, INCOMING_PREFIX, type ArtifactPrefix } from '../../lambdas/contract';
import { grantPrefixAccess, PrefixAccess, secureBucketProps } from './defaults/s3-defaults';

// The key layout is the functions' too: the prefixes live in the contract (lambdas/contract/prefixes.ts).
export { ARTIFACT_PREFIXES, INCOMING_PREFIX, type ArtifactPrefix };

/** How long personal data is kept (days): CDK context retainIncomingDays, retainFeaturesDays, retainSupersededDays. */
export interface RetentionDays {
  /** Raw exports under incoming/ (raw bucket). */
  readonly incoming: number;
  /** features/ (feature tables, dataset facts) and errors/ (error reports quote values of the rows) of the artifacts bucket. */
  readonly features: number;
  /** A model version's per-customer artifacts (assignments.csv) once a newer version is active. */
  readonly superseded: number;
}

export interface DataBucketsProps {
  /** Lifecycle of the personal data; older object versions then go after the noncurrent-version expiration. */
  readonly retention?: RetentionDays;
  /** How long overwritten raw uploads are kept (versioning). @default 30 days */
  readonly rawNoncurrentVersionExpiration?: Duration;
  /** How long server access logs are kept. @default 365 days */
  readonly accessLogsExpiration?: Duration;
}

export class DataBuckets extends Construct {
  /** Raw Olist tables; versioned; uploads under `incoming/` start ingestion. */
  readonly raw: s3.Bucket;
  /** features/, models/, reports/, errors/; never notifies anything. */
  readonly artifacts: s3.Bucket;
  /** Server access logs of the two data buckets. */
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: DataBucketsProps = {}) {
    super(scope, id);
    const retention = props.retention;

    // Server access logs must go to an SSE-S3 bucket (SSE-KMS is not supported as a log destination).
    // The log-delivery permission is a bucket policy for logging.s3.amazonaws.com scoped to the source
    // buckets (feature flag @aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy), not an ACL.
    this.accessLogs = new s3.Bucket(this, 'AccessLogsBucket', {
      ...secureBucketProps({
        lifecycleRules: [{ id: 'expire-access-logs', enabled: true, expiration: props.accessLogsExpiration ?? Duration.days(365) }],
      }),
    });
    // Not logged itself (that would loop); cdk-nag's S1 rule recognises it as the log destination of the others.

    this.raw = new s3.Bucket(this, 'RawBucket', {
      ...secureBucketProps({
        serverAccessLogsBucket: this.accessLogs,
        serverAccessLogsPrefix: 'raw/',
        noncurrentVersionExpiration: props.rawNoncurrentVersionExpiration ?? Duration.days(30),
        lifecycleRules: retention ? [{ id: 'expire-incoming', enabled: true, prefix: INCOMING_PREFIX, expiration: Duration.days(retention.incoming) }] : [],
      }),
    });

    this.artifacts = new s3.Bucket(this, 'ArtifactsBucket', {
      ...secureBucketProps({
        serverAccessLogsBucket: this.accessLogs,
        serverAccessLogsPrefix: 'artifacts/',
        lifecycleRules: retention
          ? [
              { id: 'expire-features', enabled: true, prefix: ARTIFACT_PREFIXES.features, expiration: Duration.days(retention.features) },
              { id: 'expire-errors', enabled: true, prefix: ARTIFACT_PREFIXES.errors, expiration: Duration.days(retention.features) },
              // Tagged by train when a newer version becomes active (S3 rules cannot select by key suffix or status).
              { id: 'expire-superseded', enabled: true, tagFilters: { [SUPERSEDED_TAG.key]: SUPERSEDED_TAG.value }, expiration: Duration.days(retention.superseded) },
            ]
          : [],
      }),
    });
  }

  /** Read + list the raw tables under `incoming/` (nothing else of the raw bucket). */
  grantReadIncoming(role: iam.IRole): void {
    grantPrefixAccess(role, this.raw, { read: [INCOMING_PREFIX], list: [INCOMING_PREFIX] });
  }

  /** Object access to named artifact prefixes only. */
  grantArtifacts(role: iam.IRole, access: { read?: ArtifactPrefix[]; write?: ArtifactPrefix[]; writeMultipart?: ArtifactPrefix[]; list?: ArtifactPrefix[]; tag?: ArtifactPrefix[] }): void {
    const toPrefixes = (names?: ArtifactPrefix[]) => names?.map((n) => ARTIFACT_PREFIXES[n]);
    const prefixAccess: PrefixAccess = {
      read: toPrefixes(access.read),
      write: toPrefixes(access.write),
      writeMultipart: toPrefixes(access.writeMultipart),
      list: toPrefixes(access.list),
      tag: toPrefixes(access.tag),
    };
    grantPrefixAccess(role, this.artifacts, prefixAccess);
  }
}
