import { adjustedRandIndex } from '../../../lambdas/core/cluster/ari';
import { cutTree, ward, wardClusters, wardMerges } from '../../../lambdas/core/cluster/ward';
import { fromRows } from '../../../lambdas/core/util/matrix';
import { blobs, randomCentres } from './helpers';

describe('Ward (nearest-neighbour chain, Lance-Williams)', () => {
  test('hand example: 1-D points 0, 1, 5, 6, 20', () => {
    // Ward height between clusters A and B: sqrt(2 |A||B| / (|A| + |B|)) * |mean A - mean B| (scipy's convention).
    // {0} + {1}: 1;  {5} + {6}: 1;  {0,1} + {5,6}: sqrt(2*2*2/4) * (5.5 - 0.5) = sqrt(2) * 5 = 7.0711
    // ({0,1} + {20} would be sqrt(4/3) * 19.5, {5,6} + {20} sqrt(4/3) * 14.5 = 16.74: both larger)
    // {0,1,5,6} + {20}: sqrt(2*4*1/5) * (20 - 3) = sqrt(1.6) * 17 = 21.5035
    const X = fromRows([[0], [1], [5], [6], [20]]);
    const merges = wardMerges(X);
    expect(merges.map((m) => m.height)).toEqual([1, 1, Math.sqrt(2) * 5, Math.sqrt(1.6) * 17].map((h) => expect.closeTo(h, 12)));
    expect(merges.map((m) => m.size)).toEqual([2, 2, 4, 5]);
    expect(merges.slice(0, 2).map((m) => [m.a, m.b])).toEqual([[0, 1], [2, 3]]);
    expect(Array.from(wardClusters(X, 2))).toEqual([0, 0, 0, 0, 1]);
    expect(Array.from(wardClusters(X, 3))).toEqual([0, 0, 1, 1, 2]);
    expect(Array.from(wardClusters(X, 5))).toEqual([0, 1, 2, 3, 4]);
    expect(Array.from(wardClusters(X, 1))).toEqual([0, 0, 0, 0, 0]);
  });

  test('same tree and partitions as scipy / scikit-learn', () => {
    // python (data = blobs(300, randomCentres(4, 3, 5, 8), 1, 9) from ./helpers, written to CSV):
    //   Z = scipy.cluster.hierarchy.linkage(Y, method='ward'); Z[-5:, 2]; Z[:, 2].sum()
    //   AgglomerativeClustering(n_clusters=4, linkage='ward').fit(Y).labels_
    const { X } = blobs(300, randomCentres(4, 3, 5, 8), 1, 9);
    const merges = wardMerges(X);
    expect(merges.slice(-5).map((m) => m.height)).toEqual(
      [11.247386677151026, 11.768193787840604, 22.09256596646813, 25.16124105391881, 63.74074401140659].map((h) => expect.closeTo(h, 10)),
    );
    expect(merges.reduce((s, m) => s + m.height, 0)).toBeCloseTo(533.3533303133852, 9);
    const sklearnK4 = Array.from('002112212130132203013021101030020000120103220112131300023231213211310301212111001110132010001122101201013030200020112003103220002011212112100310030230032220220130002031100310332002010000022113332100110020312302102112113131300222112001123033002131023031101132311121122130023330002200030333101021001011', Number);
    expect(adjustedRandIndex(wardClusters(X, 4), sklearnK4)).toBe(1);
  });

  test('recovers well separated blobs', () => {
    const { X, truth } = blobs(800, randomCentres(5, 4, 20, 3), 1, 4);
    expect(adjustedRandIndex(wardClusters(X, 5), truth)).toBe(1);
  });

  test('on a sample: sampled rows from the tree, the others by nearest centroid', () => {
    const { X, truth } = blobs(3000, [[0, 0, 0], [20, 0, 0], [0, 20, 0], [0, 0, 20]], 1, 6);
    const r = ward(X, 4, { sampleSize: 500, seed: 1 });
    expect(r.sample).toHaveLength(500);
    expect(r.labels).toHaveLength(3000);
    expect(adjustedRandIndex(r.labels, truth)).toBeGreaterThan(0.99);
    const again = ward(X, 4, { sampleSize: 500, seed: 1 });
    expect(Array.from(again.labels)).toEqual(Array.from(r.labels));
    for (let s = 0; s < r.sample.length; s++) expect(r.labels[r.sample[s]]).toBe(r.sampleLabels[s]);
  });

  test('duplicates and tiny inputs', () => {
    const X = fromRows([[1, 1], [1, 1], [1, 1], [9, 9], [9, 9]]);
    expect(Array.from(wardClusters(X, 2))).toEqual([0, 0, 0, 1, 1]);
    expect(wardMerges(fromRows([[3]]))).toEqual([]);
    expect(() => cutTree([], 2, 3)).toThrow(/k must be/);
    expect(() => wardMerges(fromRows([[0], [NaN]]))).toThrow(/non-finite/);
  });
});
