/**
 * The mergeable pieces of the fit: moments (Welford / Chan / Pébay) give fitTransforms' parameters over any split,
 * and distributed Lloyd over P partitions gives kmeansSingle's centroids and labels from the same seeding.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { kmeansSingle } from '../../../lambdas/core/cluster/kmeans';
import { meanColumnVariance } from '../../../lambdas/core/cluster/distance';
import { computeFeatures } from '../../../lambdas/core/features/customerFeatures';
import { applyTransforms, fitReviewImputation, fitTransforms, imputeReviews, skewness } from '../../../lambdas/core/features/transforms';
import { generateDataset } from '../../../lambdas/core/generate/generator';
import { loadOlist } from '../../../lambdas/core/olist/load';
import { directorySource } from '../../../lambdas/core/olist/source';
import { distributedLloyd, lloydUpdate, meanColumnVarianceOf, mergePartials, nearest, partialStep } from '../../../lambdas/core/distributed/lloyd';
import { emptyMoments, fitFromPartial, mergeMoments, mergeTransformPartials, pushValue, skewnessOf, transformPartial } from '../../../lambdas/core/distributed/moments';
import { createRng } from '../../../lambdas/core/util/random';
import { createMatrix, selectRows, type Matrix } from '../../../lambdas/core/util/matrix';

let raw: Matrix;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'segments-fit-'));
  await generateDataset({ customers: 3000, seed: 8, outDir: dir });
  raw = computeFeatures(await loadOlist(directorySource(dir))).values;
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Rows split into P parts of uneven sizes (a random assignment), as hashing would. */
function split(X: Matrix, P: number, seed = 3): Matrix[] {
  const rng = createRng(seed);
  const idx: number[][] = Array.from({ length: P }, () => []);
  for (let i = 0; i < X.rows; i++) idx[rng.int(P)].push(i);
  return idx.map((rows) => selectRows(X, rows));
}

const close = (a: number, b: number, tol = 1e-9) => expect(Math.abs(a - b)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b)));

describe('moments', () => {
  test('merged moments equal the one-pass moments of the concatenation', () => {
    const rng = createRng(1);
    const xs = Array.from({ length: 1000 }, () => Math.exp(rng.normal()) * 100);
    const whole = emptyMoments();
    xs.forEach((x) => pushValue(whole, x));
    const parts = [xs.slice(0, 10), xs.slice(10, 600), xs.slice(600), []].map((p) => {
      const m = emptyMoments();
      p.forEach((x) => pushValue(m, x));
      return m;
    });
    const merged = parts.reduce(mergeMoments, emptyMoments());
    expect(merged.n).toBe(1000);
    close(merged.mean, whole.mean);
    close(merged.m2, whole.m2);
    close(merged.m3, whole.m3);
    close(skewnessOf(merged), skewness(xs));
    expect(merged.min).toBe(Math.min(...xs));
    expect(merged.max).toBe(Math.max(...xs));
  });

  test.each([1, 4, 7])('review imputation and transforms fitted from %i partitions equal fitTransforms on all rows', (P) => {
    const imputation = fitReviewImputation(raw);
    const imputed = imputeReviews(raw, imputation);
    const expected = fitTransforms(imputed);
    const fitted = fitFromPartial(mergeTransformPartials(split(raw, P).map(transformPartial)));
    close(fitted.reviewImputation.onTime, imputation.onTime);
    close(fitted.reviewImputation.late, imputation.late);
    expect(fitted.transforms.map((t) => t.log)).toEqual(expected.map((t) => t.log));
    expect(expected.some((t) => t.log)).toBe(true);
    fitted.transforms.forEach((t, j) => {
      close(t.lo, expected[j].lo);
      close(t.hi, expected[j].hi);
      expect(t.weight).toBe(expected[j].weight);
    });
    expect(fitted.rows).toBe(raw.rows);
  });

  test.each([1, 4, 7])('column moments of the model coordinates merged from %i partitions give the exact mean column variance', (P) => {
    const imputed = imputeReviews(raw, fitReviewImputation(raw));
    const X = applyTransforms(imputed, fitTransforms(imputed));
    const parts = split(X, P).map((x) => partialStep(x, X.data.subarray(0, 3 * X.cols), 3, { columns: true }));
    close(meanColumnVarianceOf(mergePartials(parts).columns!), meanColumnVariance(X.data, X.rows, X.cols));
  });
});

describe('distributed Lloyd', () => {
  let X: Matrix;
  beforeAll(() => {
    X = applyTransforms(imputeReviews(raw, fitReviewImputation(raw)), fitTransforms(imputeReviews(raw, fitReviewImputation(raw))));
  });

  test.each([
    [4, 5, 11],
    [7, 8, 12345],
    [1, 3, 99],
  ])('P=%i, k=%i, seed %i: same centroids (1e-9) and labels as kmeansSingle from the same seeding', (P, k, seed) => {
    const tolAbs = 1e-4 * meanColumnVariance(X.data, X.rows, X.cols);
    const reference = kmeansSingle(X, k, seed);
    // The seeding's centres after one update are the start of both runs from there on (kmeansSingle stops at
    // the same criterion: shift <= tol * mean column variance).
    const start = kmeansSingle(X, k, seed, { maxIter: 1 }).centroids;
    const result = distributedLloyd(split(X, P, seed), start, k, { maxIter: 300, tolAbs });
    expect(result.converged).toBe(true);
    for (let i = 0; i < reference.centroids.length; i++) close(result.centroids[i], reference.centroids[i]);
    expect(nearest(X, result.centroids, k)).toEqual(reference.labels);
    // One update fewer (the run starts after the first one), or the same count when the reference stopped strictly.
    expect([reference.iterations - 1, reference.iterations]).toContain(result.iterations);
  });

  test('partials merge in any grouping; they are small and JSON round-trips exactly', () => {
    const parts = split(X, 6);
    const C = kmeansSingle(X, 6, 5, { maxIter: 1 }).centroids;
    const partials = parts.map((p) => partialStep(p, C, 6));
    const flat = mergePartials(partials);
    const tree = mergePartials([mergePartials(partials.slice(0, 2)), mergePartials(partials.slice(2))]);
    expect(tree.counts).toEqual(flat.counts);
    flat.sums.forEach((s, i) => close(tree.sums[i], s));
    expect(flat.counts.reduce((a, b) => a + b)).toBe(X.rows);
    const json = JSON.stringify(partials[0]);
    expect(json.length).toBeLessThan(8000);
    expect(JSON.parse(json)).toEqual(partials[0]);
  });

  test('an empty cluster is re-seeded with the farthest point of a cluster that keeps another point', () => {
    const X2 = createMatrix(5, 1, Float64Array.from([0, 1, 2, 10, 11]));
    // centre 2 sits far away: nothing is assigned to it.
    const C = Float64Array.from([0, 10, 100]);
    const update = lloydUpdate(mergePartials(split(X2, 2).map((p) => partialStep(p, C, 3))), C);
    expect(update.reseeded).toEqual([2]);
    // farthest from its centre: x=2 (distance 2 to centre 0)
    expect(Array.from(update.centroids)).toEqual([0.5, 10.5, 2]);
    expect(update.counts).toEqual([2, 2, 1]);
  });
});
