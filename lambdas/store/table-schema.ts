/**
 * The segment table's physical schema, in one place: the CDK construct (lib/) and the local emulators
 * both build the table from these names, so the stack and `lambdas/local` cannot drift apart.
 * No AWS SDK or CDK imports here (only a type), so any layer can import it.
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/** Table key attributes (both strings). */
export const TABLE_PARTITION_KEY = 'PK';
export const TABLE_SORT_KEY = 'SK';

/** The one global secondary index (overloaded: segment members, model list). Keys are strings. */
export const GSI1_NAME = 'GSI1';
export const GSI1_PARTITION_KEY = 'GSI1PK';
export const GSI1_SORT_KEY = 'GSI1SK';
/** Projection of GSI1: ALL, so a member page is served from the index without reading the table. */
export const GSI1_PROJECTION = 'ALL' as const;

/** Number of GSI1 partition shards per (version, segment) for new model versions (stored in each model's META). */
export const DEFAULT_SEGMENT_SHARDS = 8;

/** Everything the CDK construct needs, as plain data. */
export const SEGMENT_TABLE_SCHEMA = {
  partitionKey: { name: TABLE_PARTITION_KEY, type: 'S' },
  sortKey: { name: TABLE_SORT_KEY, type: 'S' },
  globalSecondaryIndexes: [
    {
      indexName: GSI1_NAME,
      partitionKey: { name: GSI1_PARTITION_KEY, type: 'S' },
      sortKey: { name: GSI1_SORT_KEY, type: 'S' },
      projectionType: GSI1_PROJECTION,
    },
  ],
  billingMode: 'PAY_PER_REQUEST',
} as const;

/** The CreateTable request for the emulators (and any script that creates the table without CDK). */
export function createTableInput(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: TABLE_PARTITION_KEY, AttributeType: 'S' },
      { AttributeName: TABLE_SORT_KEY, AttributeType: 'S' },
      { AttributeName: GSI1_PARTITION_KEY, AttributeType: 'S' },
      { AttributeName: GSI1_SORT_KEY, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: TABLE_PARTITION_KEY, KeyType: 'HASH' },
      { AttributeName: TABLE_SORT_KEY, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: GSI1_NAME,
        KeySchema: [
          { AttributeName: GSI1_PARTITION_KEY, KeyType: 'HASH' },
          { AttributeName: GSI1_SORT_KEY, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: GSI1_PROJECTION },
      },
    ],
  };
}
