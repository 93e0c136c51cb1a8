/**
 * A local table created before an index of the schema existed (GSI2, the borderline index, came after GSI1) cannot get
 * it in place: dynalite's UpdateTable does not create indexes. The table is rebuilt with the schema of
 * lambdas/store/table-schema.ts and every item kept: items are copied to `<table>-migrating`, the table is recreated, the
 * items are copied back, then the copy is deleted. An interrupted migration is finished by the next start (the copy is
 * still there; puts are idempotent). Items written before the new index existed carry none of its keys: nothing old is
 * indexed, as on AWS after the index is added.
 */
import { CreateTableCommand, DeleteTableCommand, DescribeTableCommand, ScanCommand, type DynamoDBClient, type TableDescription } from '@aws-sdk/client-dynamodb';
import { batchWrite } from '../store/batch-writer';
import type { Item } from '../store/codec';
import { createTableInput } from '../store/table-schema';

export const migratingName = (tableName: string) => `${tableName}-migrating`;

export async function describeTable(client: DynamoDBClient, tableName: string): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (err) {
    if ((err as Error).name === 'ResourceNotFoundException') return undefined;
    throw err;
  }
}

export async function waitActive(client: DynamoDBClient, tableName: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const t = await describeTable(client, tableName);
    if (t?.TableStatus === 'ACTIVE' && (t.GlobalSecondaryIndexes ?? []).every((g) => g.IndexStatus === 'ACTIVE')) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`table ${tableName} did not become ACTIVE`);
}

async function waitGone(client: DynamoDBClient, tableName: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (!(await describeTable(client, tableName))) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`table ${tableName} was not deleted`);
}

async function copyItems(client: DynamoDBClient, from: string, to: string): Promise<number> {
  let copied = 0;
  let start: Item | undefined;
  do {
    const res = await client.send(new ScanCommand({ TableName: from, ExclusiveStartKey: start }));
    const items = res.Items ?? [];
    if (items.length) await batchWrite(client, to, items.map((Item) => ({ PutRequest: { Item } })), { label: `copy ${from} -> ${to}` });
    copied += items.length;
    start = res.LastEvaluatedKey;
  } while (start);
  return copied;
}

async function recreate(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(new CreateTableCommand(createTableInput(tableName)));
  await waitActive(client, tableName);
}

/** Rebuilds `tableName` with the current schema, keeping its items (or finishes an interrupted rebuild). */
export async function rebuildWithSchema(client: DynamoDBClient, tableName: string): Promise<{ items: number }> {
  const temp = migratingName(tableName);
  if (!(await describeTable(client, temp))) {
    await recreate(client, temp);
    await copyItems(client, tableName, temp);
  }
  if (await describeTable(client, tableName)) {
    await client.send(new DeleteTableCommand({ TableName: tableName }));
    await waitGone(client, tableName);
  }
  await recreate(client, tableName);
  const items = await copyItems(client, temp, tableName);
  await client.send(new DeleteTableCommand({ TableName: temp }));
  await waitGone(client, temp);
  return { items };
}
