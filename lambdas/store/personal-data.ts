/**
 * The table's side of a deletion request (`segments forget`, lambdas/pipeline/forget.ts) and of keeping a forgotten
 * person out of later trainings:
 *
 *   PK SUPPRESSION, SK SALT            { salt }     a random 32-byte salt, created with the first erasure
 *   PK SUPPRESSION, SK HASH#<hex>      { at }       HMAC-SHA256(salt, customer_unique_id): the id itself is never stored
 *
 * Ingest and train read the whole list (one Query: `Query PK = SUPPRESSION`, already in their grants) and leave out
 * every person whose salted hash is in it. What a salt does and does not protect: the hashes cannot be reversed or
 * looked up in a precomputed table, but whoever can read the table and holds a candidate id can test it; that is in the
 * nature of a list that must recognise the person when an export brings them back.
 *
 * The erasure of a person's items (`CUSTOMER#<id>`, every model version) and the redaction of run records go through
 * here too; both need `Scan` or `BatchWriteItem` deletes, which only the operator's credentials have (not the
 * functions': lib/README.md).
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { type DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand, ScanCommand, UpdateItemCommand, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { batchWrite } from './batch-writer';
import type { Item } from './codec';
import { customerPk, runPk } from './keys';
import { conditionally, S } from './table';

const RUN_PREFIX = runPk('');

export const SUPPRESSION_PK = 'SUPPRESSION';
const SALT_SK = 'SALT';
const HASH_PREFIX = 'HASH#';

/** The suppression list as trainings use it. */
export interface Suppression {
  /** How many people are on the list. */
  readonly size: number;
  has(customerId: string): boolean;
}

export const EMPTY_SUPPRESSION: Suppression = { size: 0, has: () => false };

export function saltedHash(salt: string, customerId: string): string {
  return createHmac('sha256', Buffer.from(salt, 'hex')).update(customerId, 'utf8').digest('hex');
}

/** A short, non-reversible tag for reports and logs (the first 12 hex digits of a plain SHA-256 of the salted hash). */
export function hashTag(hash: string): string {
  return createHash('sha256').update(hash).digest('hex').slice(0, 12);
}


export class PersonalDataStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  /** The list (salt and hashes) in one paged Query; empty when nobody was ever forgotten. */
  async suppression(): Promise<Suppression> {
    const items = await this.queryAll({ KeyConditionExpression: 'PK = :pk', ExpressionAttributeValues: { ':pk': S(SUPPRESSION_PK) } });
    const salt = items.find((i) => i.SK?.S === SALT_SK)?.salt?.S;
    const hashes = new Set(items.filter((i) => i.SK?.S?.startsWith(HASH_PREFIX)).map((i) => i.SK.S!.slice(HASH_PREFIX.length)));
    if (!salt || hashes.size === 0) return EMPTY_SUPPRESSION;
    return { size: hashes.size, has: (id) => hashes.has(saltedHash(salt, id)) };
  }

  /** The salt, created on first use (conditional put: concurrent first erasures agree on one). */
  async salt(): Promise<string> {
    const get = async () => (await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: { PK: S(SUPPRESSION_PK), SK: S(SALT_SK) }, ConsistentRead: true }))).Item?.salt?.S;
    const existing = await get();
    if (existing) return existing;
    const salt = randomBytes(32).toString('hex');
    return conditionally(
      async () => {
        await this.client.send(new PutItemCommand({ TableName: this.tableName, Item: { PK: S(SUPPRESSION_PK), SK: S(SALT_SK), salt: S(salt) }, ConditionExpression: 'attribute_not_exists(PK)' }));
        return salt;
      },
      async () => (await get())!, // another first erasure won: its salt
    );
  }

  /** Puts the person on the list; returns the salted hash stored. */
  async suppress(customerId: string, at = new Date()): Promise<string> {
    const hash = saltedHash(await this.salt(), customerId);
    await this.client.send(new PutItemCommand({ TableName: this.tableName, Item: { PK: S(SUPPRESSION_PK), SK: S(HASH_PREFIX + hash), at: S(at.toISOString()) } }));
    return hash;
  }

  /** Deletes the person's assignment in every model version; returns the versions they were in. */
  async deleteCustomer(customerId: string): Promise<string[]> {
    const items = await this.queryAll({ KeyConditionExpression: 'PK = :pk', ExpressionAttributeValues: { ':pk': S(customerPk(customerId)) }, ProjectionExpression: 'PK, SK' });
    const requests: WriteRequest[] = items.map((i) => ({ DeleteRequest: { Key: { PK: i.PK, SK: i.SK } } }));
    if (requests.length) await batchWrite(this.client, this.tableName, requests, { label: 'forget' });
    return items.map((i) => i.SK.S!.replace(/^MODEL#/, ''));
  }

  /**
   * Every run record (`Scan` filtered on `begins_with(PK, RUN#)`: there is no index of runs; only an operator's
   * credentials may scan). Their reasons quote the values of rejected rows, so an erasure looks at each.
   */
  async runRecords(): Promise<Item[]> {
    const out: Item[] = [];
    let start: Item | undefined;
    do {
      const res = await this.client.send(new ScanCommand({ TableName: this.tableName, FilterExpression: 'begins_with(PK, :run)', ExpressionAttributeValues: { ':run': S(RUN_PREFIX) }, ExclusiveStartKey: start }));
      out.push(...(res.Items ?? []));
      start = res.LastEvaluatedKey;
    } while (start);
    return out;
  }

  /** Replaces a run record's reasons (lists of strings) with redacted ones. */
  async setReasons(key: Item, reasons: { reasons?: string[]; previousReasons?: string[] }): Promise<void> {
    const sets: string[] = [];
    const values: Record<string, { L: { S: string }[] }> = {};
    const names: Record<string, string> = {};
    for (const [name, list] of Object.entries(reasons)) {
      if (!list) continue;
      names[`#${name}`] = name;
      values[`:${name}`] = { L: list.map(S) };
      sets.push(`#${name} = :${name}`);
    }
    if (!sets.length) return;
    await this.client.send(new UpdateItemCommand({ TableName: this.tableName, Key: key, UpdateExpression: `SET ${sets.join(', ')}`, ExpressionAttributeNames: names, ExpressionAttributeValues: values }));
  }

  private async queryAll(input: { KeyConditionExpression: string; ExpressionAttributeValues: Record<string, { S: string }>; ProjectionExpression?: string }): Promise<Item[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const res = await this.client.send(new QueryCommand({ ...input, TableName: this.tableName, ConsistentRead: true, ExclusiveStartKey: start }));
      items.push(...(res.Items ?? []));
      start = res.LastEvaluatedKey;
    } while (start);
    return items;
  }
}
