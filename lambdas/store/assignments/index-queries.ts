/**
 * A version's assignments as the indexes hold them, for the model store: activation counts them (GSIs are eventually
 * consistent in AWS: the pointer flips only once the indexes hold every member) and deletion finds their keys.
 */
import type { Item } from '../codec';
import { borderlinePk, segmentShardPk } from '../keys';
import { S, type Table } from '../table';
import { GSI1_NAME, GSI2_NAME } from '../table-schema';

/** Members of one segment in GSI1, all shards (queried in parallel). */
export async function countSegmentMembers(table: Table, version: string, segmentId: number, shards: number): Promise<number> {
  const counts = await Promise.all(
    Array.from({ length: shards }, (_, shard) =>
      table.countAll({ IndexName: GSI1_NAME, KeyConditionExpression: 'GSI1PK = :pk', ExpressionAttributeValues: { ':pk': S(segmentShardPk(version, segmentId, shard)) } }),
    ),
  );
  return counts.reduce((a, b) => a + b, 0);
}

/** Borderline members of one segment in GSI2. */
export function countBorderlineMembers(table: Table, version: string, segmentId: number): Promise<number> {
  return table.countAll({ IndexName: GSI2_NAME, KeyConditionExpression: 'GSI2PK = :pk', ExpressionAttributeValues: { ':pk': S(borderlinePk(version, segmentId)) } });
}

/** The keys (PK, SK) of one segment's assignment items found through GSI1, all shards. */
export async function segmentMemberKeys(table: Table, version: string, segmentId: number, shards: number): Promise<Item[]> {
  const found = await Promise.all(
    Array.from({ length: shards }, (_, shard) =>
      table.queryAll({
        IndexName: GSI1_NAME,
        KeyConditionExpression: 'GSI1PK = :pk',
        ExpressionAttributeValues: { ':pk': S(segmentShardPk(version, segmentId, shard)) },
        ProjectionExpression: 'PK, SK',
      }),
    ),
  );
  return found.flat();
}
