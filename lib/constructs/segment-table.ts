/**
 * The single DynamoDB table (see /work/shared/design/architecture.md and lambdas/store/table-schema.ts):
 * PK/SK strings, GSI1 (GSI1PK/GSI1SK strings, sharded segment members), GSI2 (GSI2PK/GSI2SK, the sparse borderline
 * index), on-demand, PITR, encrypted,
 * deletion protection and RETAIN. No TTL: old model versions are deleted by the retention after each stability check
 * (lambdas/pipeline/retention.ts), which keeps the active version and its rollback target whatever their age.
 *
 * Key names come from lambdas/store/table-schema.ts (plain constants, type-only SDK import), so the
 * stack and the local emulators cannot drift apart.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { GSI1_NAME, GSI2_NAME, SEGMENT_TABLE_SCHEMA, TABLE_PARTITION_KEY, TABLE_SORT_KEY } from '../../lambdas/store/table-schema';

/**
 * Item-level actions a role may be granted: what lambdas/store uses. No Scan (every access pattern of the single-table
 * design is key-based), no DeleteItem (deletes go through BatchWriteItem), no transactions (dynalite has none).
 */
export type TableItemAction = 'GetItem' | 'Query' | 'PutItem' | 'UpdateItem' | 'BatchWriteItem';

/**
 * What one function does with the table: item actions on the table itself, Query on GSI1 (members, model list) and
 * Query on GSI2 (the borderline index: activation counts it).
 */
export interface TableAccess {
  readonly table: TableItemAction[];
  readonly queryIndex?: boolean;
  readonly queryBorderlineIndex?: boolean;
}

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
      deletionProtection: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    // Every index of the one schema (GSI1, GSI2), in its order. CloudFormation adds one index per update: a stack
    // deployed before GSI2 existed gets it in one deploy (its backfill finds no item with GSI2 keys).
    for (const g of SEGMENT_TABLE_SCHEMA.globalSecondaryIndexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: g.indexName,
        partitionKey: { name: g.partitionKey.name, type: dynamodb.AttributeType.STRING },
        sortKey: { name: g.sortKey.name, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
  }

  /**
   * Exactly the actions a function uses (test/iam/grants.test.ts fails on a grant no code path exercises), on the table
   * ARN and, for Query, on each index's ARN (explicitly: grantReadWriteData would add an `index/*` wildcard). Index items
   * are maintained by DynamoDB, so writes are granted on the table only.
   */
  grantItems(role: iam.IRole, access: TableAccess): void {
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: access.table.map((a) => `dynamodb:${a}`), resources: [this.table.tableArn] }));
    const indexes = [...(access.queryIndex ? [GSI1_NAME] : []), ...(access.queryBorderlineIndex ? [GSI2_NAME] : [])];
    if (indexes.length) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['dynamodb:Query'], resources: indexes.map((name) => `${this.table.tableArn}/index/${name}`) }));
    }
  }
}
