/**
 * A version's META item as the other aggregates read it: the assignment store needs its status, segment ids and shard
 * count before writing or listing members. The shard count is immutable once drafted, so it is cached per version
 * (one cache shared by the model and assignment stores of one table: a deleted version is forgotten by both).
 */
import { META_SK, modelPk } from '../keys';
import type { Table } from '../table';

export class VersionMeta {
  private readonly shards = new Map<string, number>();

  constructor(private readonly table: Table) {}

  /** The META item (consistent read), unmarshalled; undefined when the version does not exist. */
  get(version: string): Promise<Record<string, any> | undefined> {
    return this.table.getItem(modelPk(version), META_SK);
  }

  async shardsOf(version: string): Promise<number | undefined> {
    const cached = this.shards.get(version);
    if (cached !== undefined) return cached;
    const meta = await this.get(version);
    if (!meta) return undefined;
    this.shards.set(version, meta.shards);
    return meta.shards;
  }

  remember(version: string, shards: number): void {
    this.shards.set(version, shards);
  }

  forget(version: string): void {
    this.shards.delete(version);
  }
}
