/**
 * The segment table's physical schema, in one place: the CDK construct (lib/) and the local emulators
 * both build the table from these names, so the stack and `lambdas/local` cannot drift apart.
 * No AWS SDK or CDK imports here (only a type), so any layer can import it.
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/** Table key attributes (both strings). */
export const TABLE_PARTITION_KEY = 'PK';
export const TABLE_SORT_KEY = 'SK';

/** The first global secondary index (overloaded: segment members, model list). Keys are strings. */
export const GSI1_NAME = 'GSI1';
export const GSI1_PARTITION_KEY = 'GSI1PK';
export const GSI1_SORT_KEY = 'GSI1SK';
/** Projection of GSI1: ALL, so a member page is served from the index without reading the table. */
export const GSI1_PROJECTION = 'ALL' as const;

/**
 * The borderline index: sparse, only the assignments whose margin is below BORDERLINE_MARGIN (core/model/explain.ts)
 * carry its keys, one partition per (version, segment), sorted by margin. Projection ALL: a page is served from the index
 * (an index write costs one write unit per KB whatever the projection, and the items are under 1 KB).
 */
export const GSI2_NAME = 'GSI2';
export const GSI2_PARTITION_KEY = 'GSI2PK';
export const GSI2_SORT_KEY = 'GSI2SK';
export const GSI2_PROJECTION = 'ALL' as const;

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
    {
      indexName: GSI2_NAME,
      partitionKey: { name: GSI2_PARTITION_KEY, type: 'S' },
      sortKey: { name: GSI2_SORT_KEY, type: 'S' },
      projectionType: GSI2_PROJECTION,
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
      ...SEGMENT_TABLE_SCHEMA.globalSecondaryIndexes.flatMap((g) => [
        { AttributeName: g.partitionKey.name, AttributeType: g.partitionKey.type },
        { AttributeName: g.sortKey.name, AttributeType: g.sortKey.type },
      ]),
    ],
    KeySchema: [
      { AttributeName: TABLE_PARTITION_KEY, KeyType: 'HASH' },
      { AttributeName: TABLE_SORT_KEY, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: SEGMENT_TABLE_SCHEMA.globalSecondaryIndexes.map((g) => ({
      IndexName: g.indexName,
      KeySchema: [
        { AttributeName: g.partitionKey.name, KeyType: 'HASH' },
        { AttributeName: g.sortKey.name, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: g.projectionType },
    })),
  };
}
