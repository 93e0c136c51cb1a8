/**
 * What the four aggregate stores (models/, assignments/, runs/, stability/) share: the table (client and name) with
 * its few read helpers, the clock, the batch writer's default retry policy, and the one place that turns a failed
 * condition of a conditional write into the caller's domain outcome (`conditionally`).
 */
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type PutItemCommandInput,
  type QueryCommandInput,
  type QueryCommandOutput,
  type UpdateItemCommandInput,
  type UpdateItemCommandOutput,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { batchWrite, type BatchWriteOptions, type BatchWriteResult, type RetryOptions } from './batch-writer';
import { marshallValue, unmarshallItem, type Item } from './codec';

export const S = (value: string): { S: string } => ({ S: value });
export const N = (value: number): AttributeValue => marshallValue(value);

/** The `Key` of an item. */
export const itemKey = (PK: string, SK: string): Item => ({ PK: S(PK), SK: S(SK) });

/**
 * Runs a conditional write. When DynamoDB refuses it because its ConditionExpression is false, `onConditionFailed`
 * decides what that means for the caller: throw the domain error (ModelStateError, LeaseLostError...) or return the
 * value that stands for "someone else got there first" (false, undefined...). Every other error propagates unchanged.
 */
export async function conditionally<T, F>(write: () => Promise<T>, onConditionFailed: (err: Error) => F | Promise<F>): Promise<T | F> {
  try {
    return await write();
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
    return onConditionFailed(err as Error);
  }
}

export function isConditionFailure(err: unknown): boolean {
  // By name too: a client from another copy of the SDK throws another class of the same name.
  return err instanceof ConditionalCheckFailedException || (err as Error)?.name === 'ConditionalCheckFailedException';
}

/** One DynamoDB table (single-table design: keys.ts, table-schema.ts). */
export class Table {
  constructor(
    readonly client: DynamoDBClient,
    readonly name: string,
  ) {}

  async getItem(PK: string, SK: string, consistent = true): Promise<Record<string, any> | undefined> {
    const res = await this.client.send(new GetItemCommand({ TableName: this.name, Key: itemKey(PK, SK), ConsistentRead: consistent }));
    return res.Item ? unmarshallItem(res.Item) : undefined;
  }

  put(input: Omit<PutItemCommandInput, 'TableName'>): Promise<unknown> {
    return this.client.send(new PutItemCommand({ ...input, TableName: this.name }));
  }

  update(input: Omit<UpdateItemCommandInput, 'TableName'>): Promise<UpdateItemCommandOutput> {
    return this.client.send(new UpdateItemCommand({ ...input, TableName: this.name }));
  }

  query(input: Omit<QueryCommandInput, 'TableName'>): Promise<QueryCommandOutput> {
    return this.client.send(new QueryCommand({ ...input, TableName: this.name }));
  }

  /** Every item of a query, all pages (raw attribute values). */
  async queryAll(input: Omit<QueryCommandInput, 'TableName'>): Promise<Item[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const res = await this.query({ ...input, ExclusiveStartKey: start });
      items.push(...(res.Items ?? []));
      start = res.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /** The number of items a query matches, all pages. */
  async countAll(input: Omit<QueryCommandInput, 'TableName' | 'Select'>): Promise<number> {
    let count = 0;
    let start: Item | undefined;
    do {
      const res = await this.query({ ...input, Select: 'COUNT', ExclusiveStartKey: start });
      count += res.Count ?? 0;
      start = res.LastEvaluatedKey;
    } while (start);
    return count;
  }

  batchWrite(requests: WriteRequest[], options: BatchWriteOptions): Promise<BatchWriteResult> {
    return batchWrite(this.client, this.name, requests, options);
  }
}

/** Time as the stores record it (ISO strings); injectable so that lease tests can move the clock. */
export class Clock {
  constructor(private readonly now: () => Date = () => new Date()) {}

  iso(): string {
    return this.now().toISOString();
  }

  /** The ISO time `ms` from now. */
  isoIn(ms: number): string {
    return new Date(this.now().getTime() + ms).toISOString();
  }
}

/** What every aggregate store of the segment table is built from (dynamo-segment-store.ts builds one). */
export interface TableContext {
  table: Table;
  clock: Clock;
  /** Default retry policy of batch writes. */
  retry: RetryOptions;
}
