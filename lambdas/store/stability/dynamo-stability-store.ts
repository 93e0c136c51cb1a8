/** StabilityStore on the segment table: items `STABILITY / <checkedAt>#<modelVersion>`, read newest first. */
import { marshallItem, unmarshallItem, type Item } from '../codec';
import { InvalidInputError } from '../errors';
import { STABILITY_PK, stabilitySk } from '../keys';
import { S, type TableContext } from '../table';
import type { StabilityCheckRecord, StabilityStore } from './stability-store';

export class DynamoStabilityStore implements StabilityStore {
  constructor(private readonly ctx: TableContext) {}

  async putStabilityCheck(record: StabilityCheckRecord): Promise<void> {
    await this.ctx.table.put({
      Item: marshallItem({ PK: STABILITY_PK, SK: stabilitySk(record.checkedAt, record.modelVersion), type: 'stability', ...record }, 'stability check'),
    });
  }

  async listStabilityChecks(limit = 20): Promise<StabilityCheckRecord[]> {
    if (!Number.isInteger(limit) || limit < 1) throw new InvalidInputError('limit must be a positive integer');
    const out: StabilityCheckRecord[] = [];
    let start: Item | undefined;
    do {
      const res = await this.ctx.table.query({
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': S(STABILITY_PK) },
        ScanIndexForward: false,
        Limit: limit - out.length,
        ExclusiveStartKey: start,
      });
      for (const raw of res.Items ?? []) {
        const { PK, SK, type, ...record } = unmarshallItem(raw);
        out.push(record as StabilityCheckRecord);
      }
      start = res.LastEvaluatedKey;
    } while (start && out.length < limit);
    return out;
  }
}
