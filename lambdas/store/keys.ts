/**
 * Key formats of the single-table design (see README.md). Every PK/SK/GSI1 value is built here.
 */
import { InvalidInputError } from './errors';

export const ACTIVE_KEY = { PK: 'MODEL', SK: 'ACTIVE' } as const;
export const META_SK = 'META';
export const MODELS_GSI1PK = 'MODELS';
export const STABILITY_PK = 'STABILITY';

export const modelPk = (version: string) => `MODEL#${version}`;
export const segmentSkPrefix = 'SEGMENT#';
/** Segment ids zero-padded to 4 digits so that the segments of a version sort by id. */
export const segmentSk = (segmentId: number) => `${segmentSkPrefix}${String(segmentId).padStart(4, '0')}`;
export const customerPk = (customerId: string) => `CUSTOMER#${customerId}`;
export const assignmentSk = (version: string) => `MODEL#${version}`;
export const runPk = (datasetId: string) => `RUN#${datasetId}`;
export const modelListSk = (createdAt: string, version: string) => `${createdAt}#${version}`;
export const stabilitySk = (checkedAt: string, modelVersion: string) => `${checkedAt}#${modelVersion}`;

/** GSI1 partition of one shard of one segment of one version. */
export const segmentShardPk = (version: string, segmentId: number, shard: number) => `SEG#${version}#${segmentId}#${shard}`;

/**
 * Shard of a customer: 32-bit FNV-1a over the UTF-8 bytes of the customer id, modulo shards.
 * (Portable: any language can compute it; no per-item crypto object.)
 */
export function shardOf(customerId: string, shards: number): number {
  let h = 0x811c9dc5;
  const bytes = Buffer.from(customerId, 'utf8');
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % shards;
}

/** GSI2 partition of the borderline members of one segment of one version (sparse: only margins below the threshold). */
export const borderlinePk = (version: string, segmentId: number) => `BORDER#${version}#${segmentId}`;

/** Margins in the GSI2 sort key: 1e-4 units, zero-padded (margins are stored at 4 decimals, in [0, 1]). */
export const MARGIN_DIGITS = 5;

/** GSI2 sort key: the margin in 1e-4 units, zero-padded, then '#', then the customer id (smallest margin first). */
export function marginSortKey(margin: number, customerId: string): string {
  const units = Math.round(margin * 1e4);
  if (!(units >= 0 && units < 10 ** MARGIN_DIGITS)) throw new InvalidInputError(`customer ${customerId}: margin ${margin} must be in [0, 1]`);
  return `${String(units).padStart(MARGIN_DIGITS, '0')}#${customerId}`;
}

export const SPEND_DIGITS = 15;

/** GSI1 sort key of an assignment: spend in whole cents, zero-padded to 15 digits, then '#', then the customer id. */
export function spendSortKey(spend: number, customerId: string): string {
  const cents = Math.round(spend * 100);
  if (!Number.isFinite(spend) || cents < 0 || cents >= 10 ** SPEND_DIGITS) {
    throw new InvalidInputError(`customer ${customerId}: spend (features.monetary) ${spend} must be finite, >= 0 and < 1e13`);
  }
  return `${String(cents).padStart(SPEND_DIGITS, '0')}#${customerId}`;
}

/** The customer id inside a GSI1 or GSI2 sort key (spendSortKey, marginSortKey). */
export function customerIdFromSortKey(sk: string): string {
  return sk.slice(sk.indexOf('#') + 1);
}

/** Versions, segment ids and dataset ids become key parts; '#' would make them ambiguous. */
export function assertKeyPart(kind: string, value: string): void {
  if (!value || value.includes('#')) throw new InvalidInputError(`${kind} "${value}" must be non-empty and must not contain '#'`);
}

/** DynamoDB orders string keys by their UTF-8 bytes; compare the same way. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
