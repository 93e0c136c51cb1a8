/**
 * Comparing two labellings of customers: always joined by customer (customer_unique_id, or its index in
 * OlistData.customerIds), never by row position, because two feature tables computed at different dates or
 * in a different order do not list the same customers in the same rows.
 */
import { adjustedRandIndex } from '../cluster/ari';

export interface Labelling<K> {
  /** The customer of each row. */
  ids: ArrayLike<K>;
  labels: ArrayLike<number>;
}

/** The labels of the customers present in both labellings (and accepted by `keep`), in a common order. */
export function alignByCustomer<K>(a: Labelling<K>, b: Labelling<K>, keep?: (id: K) => boolean): { ids: K[]; a: Int32Array; b: Int32Array } {
  if (a.ids.length !== a.labels.length || b.ids.length !== b.labels.length) throw new Error('each labelling needs one label per customer');
  const rowOfB = new Map<K, number>();
  for (let i = 0; i < b.ids.length; i++) {
    if (rowOfB.has(b.ids[i])) throw new Error(`customer ${String(b.ids[i])} appears twice`);
    rowOfB.set(b.ids[i], i);
  }
  const ids: K[] = [];
  const la: number[] = [];
  const lb: number[] = [];
  for (let i = 0; i < a.ids.length; i++) {
    const id = a.ids[i];
    const j = rowOfB.get(id);
    if (j === undefined || (keep && !keep(id))) continue;
    ids.push(id);
    la.push(a.labels[i]);
    lb.push(b.labels[j]);
  }
  return { ids, a: Int32Array.from(la), b: Int32Array.from(lb) };
}

/** Adjusted Rand index over the customers both labellings share (NaN when they share fewer than 2). */
export function ariByCustomer<K>(a: Labelling<K>, b: Labelling<K>, keep?: (id: K) => boolean): { ari: number; customers: number } {
  const al = alignByCustomer(a, b, keep);
  return { ari: al.ids.length >= 2 ? adjustedRandIndex(al.a, al.b) : NaN, customers: al.ids.length };
}

/**
 * The same join for integer customer keys (indices into OlistData.customerIds) without a hash map: `size`
 * bounds the keys. Used in the simulation's inner loop.
 */
export function ariByCustomerIndex(
  a: { ids: Int32Array; labels: Int32Array },
  b: { ids: Int32Array; labels: Int32Array },
  size: number,
  keep?: Uint8Array,
): { ari: number; customers: number } {
  const rowOfB = new Int32Array(size).fill(-1);
  for (let i = 0; i < b.ids.length; i++) rowOfB[b.ids[i]] = i;
  const la = new Int32Array(a.ids.length);
  const lb = new Int32Array(a.ids.length);
  let n = 0;
  for (let i = 0; i < a.ids.length; i++) {
    const id = a.ids[i];
    const j = rowOfB[id];
    if (j < 0 || (keep && !keep[id])) continue;
    la[n] = a.labels[i];
    lb[n] = b.labels[j];
    n++;
  }
  return { ari: n >= 2 ? adjustedRandIndex(la.subarray(0, n), lb.subarray(0, n)) : NaN, customers: n };
}
