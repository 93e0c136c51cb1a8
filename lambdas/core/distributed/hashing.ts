/**
 * Stable hashes that decide where a customer's data lives in the distributed path.
 *
 * FNV-1a (32 bit) over UTF-16 code units with an avalanche finaliser (routingHash): tiny, deterministic across
 * processes and runtimes. Each use has its own salt so that the routing decisions are independent:
 * - `partitionOf` (customer_unique_id -> feature partition) must not correlate with the GSI shard of the
 *   segment table (lambdas/store/keys.ts shardOf: unsalted FNV-1a mod shards). Without the salt, P = 8
 *   partitions and 8 shards would send all writes of partition p into GSI shard p.
 * - `bucketOf` (join key -> shuffle bucket) is independent of the partition so a bucket holds keys of all partitions.
 * - `inSample` picks a deterministic sample of customers (seeding, profiles), the same whatever P is.
 */

// Module-scope aliases of globals used per element: under a vm context (Jest's sandbox) every global lookup in a
// loop goes through the context's interceptors (10-80x slower); a module binding is resolved once.
const { imul } = Math;

const OFFSET = 0x811c9dc5;
const PRIME = 0x01000193;

export function fnv1a32(s: string): number {
  let h = OFFSET;
  for (let i = 0; i < s.length; i++) h = imul(h ^ s.charCodeAt(i), PRIME);
  return h >>> 0;
}

/**
 * FNV-1a followed by MurmurHash3's finaliser. FNV-1a's low bits mix poorly (bit 0 of the hash is the XOR of the
 * characters' bit 0), and routing takes the hash modulo small counts (often powers of two), so every routing
 * decision goes through the finaliser, which makes every output bit depend on every input bit.
 */
export function routingHash(s: string): number {
  let h = fnv1a32(s);
  h ^= h >>> 16;
  h = imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function check(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`${what} must be a positive integer, got ${n}`);
}

/** Feature partition of a person (customer_unique_id): all their orders, items, payments and reviews go there. */
export function partitionOf(customerUniqueId: string, partitions: number): number {
  check(partitions, 'partitions');
  return routingHash(`partition:${customerUniqueId}`) % partitions;
}

/** Shuffle bucket of a join key (customer_id in pass A, order_id in pass B). */
export function bucketOf(joinKey: string, buckets: number): number {
  check(buckets, 'buckets');
  return routingHash(`bucket:${joinKey}`) % buckets;
}

/** Whether a person belongs to the deterministic sample of the given rate (0..1). */
export function inSample(customerUniqueId: string, rate: number): boolean {
  if (!(rate >= 0 && rate <= 1)) throw new Error(`sample rate must be in [0, 1], got ${rate}`);
  return routingHash(`sample:${customerUniqueId}`) < rate * 4294967296;
}
