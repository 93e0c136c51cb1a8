/**
 * The segment profiles' median (quickselect) is the number the definition gives: sort the values that are not NaN,
 * take the middle one, or the mean of the two middle ones. Checked on random arrays with NaN, ties and signed zeros
 * (a sort puts -0 before 0, and the result keeps that sign), and on the edge cases by hand.
 */
import { median } from '../../lambdas/core/segments/profile';

function bySort(values: Float64Array): number {
  const s = values.filter((v) => !Number.isNaN(v)).sort();
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

test('edge cases: empty, all NaN, one value, two values, NaN left out', () => {
  expect(median(new Float64Array())).toBeNaN();
  expect(median(Float64Array.of(NaN, NaN))).toBeNaN();
  expect(median(Float64Array.of(4))).toBe(4);
  expect(median(Float64Array.of(5, 1))).toBe(3);
  expect(median(Float64Array.of(NaN, 9, 1, NaN, 5))).toBe(5);
  expect(Object.is(median(Float64Array.of(0, -0, -0)), -0)).toBe(true);
  expect(Object.is(median(Float64Array.of(0, -0, 0)), 0)).toBe(true);
});

test('equals the sorted middle on 5,000 random arrays (NaN, ties, signed zeros, sizes 0-2,000), the input untouched', () => {
  let seed = 12345;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const mismatches: string[] = [];
  for (let t = 0; t < 5000; t++) {
    const n = Math.floor(rnd() * (t % 25 === 0 ? 2000 : 30));
    const kind = t % 4;
    const a = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      if (rnd() < 0.1) a[i] = NaN;
      else if (kind === 0) a[i] = Math.floor(rnd() * 5);
      else if (kind === 1) a[i] = rnd() * 100 - 50;
      else if (kind === 2) a[i] = rnd() < 0.5 ? 0 : -0;
      else a[i] = Math.round(rnd() * 4 - 2) * 1.5;
    }
    const copy = a.slice();
    const got = median(a);
    const want = bySort(a);
    if (!Object.is(got, want)) mismatches.push(`[${Array.from(a).join(', ')}]: ${got} instead of ${want}`);
    if (!a.every((v, i) => Object.is(v, copy[i]))) mismatches.push(`input changed (n=${n})`);
  }
  expect(mismatches.slice(0, 3)).toEqual([]);
});
