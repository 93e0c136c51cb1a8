/**
 * The loader's two hand-written fast paths against their definitions: parseTimestamp's digit parser against
 * the RegExp + Date.UTC it replaced, and IdIndex against a Map.
 */
import { parseTimestamp } from '../../lambdas/core/csv/schema';
import { IdIndex } from '../../lambdas/core/util/idIndex';
import { createRng } from '../../lambdas/core/util/random';

const { floor } = Math;

/** The definition parseTimestamp had before its fast path (kept verbatim as the oracle). */
function reference(s: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$/.exec(s);
  if (!m) return NaN;
  const [y, mo, d, h, mi, se] = [+m[1], +m[2], +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0)];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59) return NaN;
  const t = Date.UTC(y, mo - 1, d, h, mi, se);
  if (new Date(t).getUTCDate() !== d) return NaN;
  return t;
}

describe('parseTimestamp', () => {
  test('agrees with the RegExp + Date.UTC definition on valid, impossible and malformed timestamps', () => {
    const rng = createRng(3);
    const pad = (n: number, w: number) => String(n).padStart(w, '0');
    const cases = ['2018-02-29 00:00:00', '2016-02-29 23:59:59', '2000-02-29', '1900-02-29', '2018-04-31 10:00', '2018-01-01T10:00:00', '2018-01-01 10:00:00.123', '0018-01-01', '0099-12-31 10:00:00', '2018-1-01', '2018-01-01 24:00:00', '2018-01-01 10:60:00', '2018-01-01 10:00:60', '2018/01/01', '2018-01-01 10:00:00Z', '', '２０１８-01-01', ' 2018-01-01', '2018-13-01', '2018-00-10', '2018-01-00', '1969-12-31 23:59:59', '9999-12-31 23:59:59', '1600-02-29', '2018-01-01x10:00:00', '2018-01-01 10-00-00', '2018-01-01 10:00:0a'];
    for (let i = 0; i < 20_000; i++) {
      const y = rng.next() < 0.1 ? rng.int(10_000) : 1990 + rng.int(40);
      const parts = [pad(y, 4), '-', pad(rng.int(14), 2), '-', pad(rng.int(33), 2), ' ', pad(rng.int(25), 2), ':', pad(rng.int(61), 2), ':', pad(rng.int(61), 2)];
      let s = parts.join('');
      const cut = rng.next();
      if (cut < 0.1) s = s.slice(0, 10);
      else if (cut < 0.2) s = s.slice(0, 16);
      else if (cut < 0.3) s = s.slice(0, floor(rng.next() * s.length));
      else if (cut < 0.4) s = s.slice(0, rng.int(s.length)) + ' -:T0a.'[rng.int(7)] + s.slice(rng.int(s.length));
      cases.push(s);
    }
    for (const s of cases) {
      const got = parseTimestamp(s);
      if (!Object.is(got, reference(s))) expect({ s, got }).toEqual({ s, got: reference(s) });
    }
  });
});

describe('IdIndex', () => {
  test('behaves as a Map for hex ids, other shapes, updates and growth', () => {
    const rng = createRng(5);
    const hex = () => Array.from({ length: 32 }, () => '0123456789abcdef'[rng.int(16)]).join('');
    const keys: string[] = [];
    for (let i = 0; i < 5000; i++) {
      const r = rng.next();
      if (r < 0.7 || keys.length === 0) keys.push(hex());
      else if (r < 0.8) keys.push(hex().toUpperCase()); // not the same id as its lowercase form
      else if (r < 0.9) keys.push(hex().slice(0, 31 - rng.int(3)) + 'g');
      else keys.push(`c_${rng.int(1000)}`);
    }
    const index = new IdIndex();
    const map = new Map<string, number>();
    for (let i = 0; i < 20_000; i++) {
      const k = keys[rng.int(keys.length)];
      if (rng.next() < 0.4) {
        index.set(k, i);
        map.set(k, i);
      }
      const probe = rng.next() < 0.5 ? k : hex();
      // One expect per disagreement only: an expect per lookup is what would make this test slow.
      if (index.get(probe) !== (map.get(probe) ?? -1) || index.has(probe) !== map.has(probe)) expect({ probe, got: index.get(probe) }).toEqual({ probe, got: map.get(probe) ?? -1 });
    }
    expect(index.size).toBe(map.size);
    for (const [k, v] of map) expect(index.get(k)).toBe(v);
    index.clear();
    expect([index.size, index.get(keys[0])]).toEqual([0, -1]);
  });
});
