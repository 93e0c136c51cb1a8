import { FEATURE_NAMES } from '../../../lambdas/core/domain/types';
import { binShares, driftLevel, featureDrift, ksAgainstSummary, ksPValue, ksTwoSample, psi, summarizeDistribution } from '../../../lambdas/core/stability/drift';
import { createMatrix } from '../../../lambdas/core/util/matrix';
import { createRng } from '../../../lambdas/core/util/random';

const nf = FEATURE_NAMES.length;

/** A feature matrix whose column j is gen(i, j). */
function matrix(rows: number, gen: (i: number, j: number) => number) {
  const m = createMatrix(rows, nf);
  for (let i = 0; i < rows; i++) for (let j = 0; j < nf; j++) m.data[i * nf + j] = gen(i, j);
  return m;
}

describe('population stability index', () => {
  test('known value: 0 for equal shares, hand-computed for a shift', () => {
    expect(psi([0.25, 0.25, 0.5], [0.25, 0.25, 0.5])).toBe(0);
    // (0.5-0.25) ln(2) + (0.25-0.25) ln 1 + (0.25-0.5) ln(0.5) = 0.5 ln 2
    expect(psi([0.25, 0.25, 0.5], [0.5, 0.25, 0.25])).toBeCloseTo(0.5 * Math.log(2), 12);
    // An empty bin gives a large but finite value (shares floored at 0.5%).
    expect(Number.isFinite(psi([0.5, 0.5], [1, 0]))).toBe(true);
    expect(driftLevel(0.05)).toBe('stable');
    expect(driftLevel(0.2)).toBe('moderate');
    expect(driftLevel(0.3)).toBe('major');
  });

  test('bins are right-closed on de-duplicated deciles: a discrete feature keeps a bin per mass point', () => {
    // frequency-like column: 90% ones, 10% twos
    const m = matrix(1000, (i) => (i < 900 ? 1 : 2));
    const f = summarizeDistribution(m, { asOf: 0 }).features[0];
    expect(f.edges.slice(1)).toEqual([1, 2]);
    expect(f.edges[0]).toBeLessThan(1);
    expect(f.edges[0]).toBeGreaterThan(1 - 1e-12);
    expect(f.proportions).toEqual([0, 0.9, 0.1, 0]);
    expect(binShares([1, 1, 2, 3], [1, 2])).toEqual([0.5, 0.25, 0.25]);
  });

  test('a feature constant in training still shows drift when new values appear outside its range', () => {
    const train = matrix(1000, () => 0); // e.g. lateShare when no delivery was late
    const summary = summarizeDistribution(train, { asOf: 0 });
    expect(featureDrift(summary, matrix(1000, () => 0))[0].psi).toBe(0);
    const later = featureDrift(summary, matrix(1000, (i) => (i < 200 ? 1 : 0)))[0];
    expect(later.level).toBe('major');
    expect(later.ks).toBeCloseTo(0.2, 9);
    const below = featureDrift(summary, matrix(1000, (i) => (i < 200 ? -1 : 0)))[0];
    expect(below.level).toBe('major');
  });

  test('the same distribution is stable; a shifted one is a major drift; the summary is compact', () => {
    const rng = createRng(1);
    const train = matrix(20000, () => rng.normal());
    const same = matrix(20000, () => rng.normal());
    const shifted = matrix(20000, (_, j) => rng.normal() + (j === 2 ? 1 : 0));
    const summary = summarizeDistribution(train, { asOf: Date.UTC(2018, 0, 1), modelVersion: 'v1' });
    expect(summary.asOf).toBe('2018-01-01T00:00:00.000Z');
    expect(JSON.stringify(summary).length).toBeLessThan(40_000);
    const stable = featureDrift(summary, same);
    expect(stable.every((d) => d.psi < 0.01 && d.level === 'stable' && d.ks < 0.03)).toBe(true);
    const drift = featureDrift(summary, shifted);
    expect(drift[2].name).toBe(FEATURE_NAMES[2]);
    expect(drift[2].level).toBe('major');
    expect(drift[2].ks).toBeGreaterThan(0.3); // KS of N(0,1) vs N(1,1) is 2 Phi(0.5) - 1 = 0.383
    expect(drift[2].ks).toBeLessThan(0.42);
    expect(drift[2].ksPValue).toBeLessThan(1e-6);
    expect(drift.filter((d) => d.level !== 'stable').map((d) => d.name)).toEqual([FEATURE_NAMES[2]]);
  });
});

describe('Kolmogorov-Smirnov', () => {
  test('exact two-sample statistic on small samples', () => {
    expect(ksTwoSample([1, 2, 3], [1, 2, 3])).toBe(0);
    expect(ksTwoSample([1, 2, 3, 4], [3, 4, 5, 6])).toBe(0.5);
    expect(ksTwoSample([1, 1, 1], [2, 2])).toBe(1);
  });

  test('the summary-based statistic is within 0.01 of the exact one', () => {
    const rng = createRng(3);
    const a = Float64Array.from({ length: 5000 }, () => rng.normal()).sort();
    const b = Float64Array.from({ length: 5000 }, () => rng.normal() * 1.3 + 0.2).sort();
    const m = createMatrix(a.length, nf);
    for (let i = 0; i < a.length; i++) for (let j = 0; j < nf; j++) m.data[i * nf + j] = a[i];
    const cdf = summarizeDistribution(m, { asOf: 0 }).features[0].cdf;
    expect(Math.abs(ksAgainstSummary(cdf, b) - ksTwoSample(a, b))).toBeLessThan(0.01);
  });

  test('p-value: about 1 for no difference, tiny for a large one', () => {
    expect(ksPValue(0, 100, 100)).toBe(1);
    expect(ksPValue(0.05, 100, 100)).toBeGreaterThan(0.9);
    expect(ksPValue(0.3, 1000, 1000)).toBeLessThan(1e-10);
    // Critical value at 5% for n1 = n2 = 1000: 1.358 * sqrt(2/1000) = 0.0607
    expect(ksPValue(0.0607, 1000, 1000)).toBeCloseTo(0.05, 1);
  });
});
