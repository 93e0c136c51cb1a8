import { adjustedRandIndex } from '../../../lambdas/core/cluster/ari';
import { alignByCustomer, ariByCustomer, ariByCustomerIndex } from '../../../lambdas/core/stability/compare';
import { createRng } from '../../../lambdas/core/util/random';

describe('adjusted Rand index through the customer join', () => {
  test('known values', () => {
    // Identical partitions up to label names.
    expect(ariByCustomer({ ids: ['a', 'b', 'c', 'd'], labels: [0, 0, 1, 1] }, { ids: ['a', 'b', 'c', 'd'], labels: [5, 5, 2, 2] }).ari).toBe(1);
    // Classic example (scikit-learn docs): [0,0,1,1] vs [0,0,1,2] -> 0.5714285714
    expect(ariByCustomer({ ids: [1, 2, 3, 4], labels: [0, 0, 1, 1] }, { ids: [1, 2, 3, 4], labels: [0, 0, 1, 2] }).ari).toBeCloseTo(4 / 7, 10);
    // [0,0,1,1] vs [0,1,0,1]: ARI = -0.5
    expect(ariByCustomer({ ids: [1, 2, 3, 4], labels: [0, 0, 1, 1] }, { ids: [1, 2, 3, 4], labels: [0, 1, 0, 1] }).ari).toBeCloseTo(-0.5, 10);
    // Hubert & Arabie / R mclust example: a = 1 1 1 2 2 2, b = 1 1 2 2 3 3 -> 0.2424242
    expect(ariByCustomer({ ids: [1, 2, 3, 4, 5, 6], labels: [1, 1, 1, 2, 2, 2] }, { ids: [1, 2, 3, 4, 5, 6], labels: [1, 1, 2, 2, 3, 3] }).ari).toBeCloseTo(0.2424242424, 8);
  });

  test('labels are compared by customer, not by position', () => {
    const rng = createRng(11);
    const n = 2000;
    const ids = Array.from({ length: n }, (_, i) => `cust-${i}`);
    const labels = Int32Array.from({ length: n }, () => rng.int(4));
    // The same partition listed in another order (e.g. a table computed at another date) and with other label names.
    const order = Array.from({ length: n }, (_, i) => i).sort(() => rng.next() - 0.5);
    const shuffled = { ids: order.map((i) => ids[i]), labels: Int32Array.from(order, (i) => (labels[i] + 1) % 4) };
    expect(ariByCustomer({ ids, labels }, shuffled).ari).toBe(1);
    // The classic mistake (rows by position) reads the same partition as unrelated.
    expect(Math.abs(adjustedRandIndex(labels, shuffled.labels))).toBeLessThan(0.05);
    // Integer-key variant used by the simulation gives the same answer.
    const idx = Int32Array.from({ length: n }, (_, i) => i);
    expect(ariByCustomerIndex({ ids: idx, labels }, { ids: Int32Array.from(order), labels: shuffled.labels }, n).ari).toBe(1);
  });

  test('only customers present in both count, optionally filtered', () => {
    const a = { ids: ['x', 'y', 'z', 'w'], labels: [0, 0, 1, 1] };
    const b = { ids: ['w', 'z', 'v', 'y', 'x'], labels: [1, 1, 0, 0, 1] };
    const al = alignByCustomer(a, b);
    expect(al.ids).toEqual(['x', 'y', 'z', 'w']);
    expect(Array.from(al.b)).toEqual([1, 0, 1, 1]);
    expect(ariByCustomer(a, b, (id) => id !== 'x')).toEqual({ ari: 1, customers: 3 });
    const keep = new Uint8Array(5);
    keep[2] = keep[3] = 1;
    const r = ariByCustomerIndex({ ids: Int32Array.from([0, 1, 2, 3]), labels: Int32Array.from([0, 0, 1, 1]) }, { ids: Int32Array.from([3, 2, 4, 1, 0]), labels: Int32Array.from([1, 1, 0, 0, 1]) }, 5, keep);
    expect(r).toEqual({ ari: 1, customers: 2 });
    expect(() => alignByCustomer(a, { ids: ['x', 'x'], labels: [0, 1] })).toThrow(/twice/);
  });
});
