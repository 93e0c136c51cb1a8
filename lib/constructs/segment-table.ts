/**
 * The single DynamoDB table (see /work/shared/design/architecture.md and lambdas/store/table-schema.ts):
 * PK/SK strings, GSI1 (GSI1PK/GSI1SK strings, sharded segment members), on-demand, PITR, encrypted,
 * TTL on `expiresAt`, deletion protection and RETAIN.
 *
 * Key names come from lambdas/store/table-schema.ts (plain constants, type-only SDK import), so the
 * stack and the local emulators cannot drift apart.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import {
  GSI1_NAME,
  GSI1_PARTITION_KEY,
  GSI1_SORT_KEY,
  TABLE_PARTITION_KEY,
  TABLE_SORT_KEY,
} from '../../lambdas/store/table-schema';

/** TTL attribute (epoch seconds): old model versions' items expire in the background. */
export const TTL_ATTRIBUTE = 'expiresAt';

/** Item-level read actions the store uses (no Scan: every access pattern of the single-table design is key-based). */
export const TABLE_READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:Query'];
/** Item-level write actions the store uses (deletes go through BatchWriteItem; no transactions: dynalite has none). */
export const TABLE_WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem'];

export interface SegmentTableProps {
  /** @default RETAIN (segment assignments are the product's output) */
  readonly removalPolicy?: RemovalPolicy;
}

export class SegmentTable extends Construct {
  readonly table: dynamodb.Table;
  readonly gsi1Name = GSI1_NAME;

  constructor(scope: Construct, id: string, props: SegmentTableProps = {}) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: TABLE_PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_SORT_KEY, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TTL_ATTRIBUTE,
      deletionProtection: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: GSI1_NAME,
      partitionKey: { name: GSI1_PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      sortKey: { name: GSI1_SORT_KEY, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
  }

  /** The table and GSI1 ARNs, explicitly (grantReadWriteData would add an `index/*` wildcard). */
  private resources(): string[] {
    return [this.table.tableArn, `${this.table.tableArn}/index/${GSI1_NAME}`];
  }

  grantReadItems(role: iam.IRole): void {
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: TABLE_READ_ACTIONS, resources: this.resources() }));
  }

  /** Reads on the table and GSI1; writes on the table only (index items are maintained by DynamoDB). */
  grantReadWriteItems(role: iam.IRole): void {
    this.grantReadItems(role);
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: TABLE_WRITE_ACTIONS, resources: [this.table.tableArn] }));
  }
}
