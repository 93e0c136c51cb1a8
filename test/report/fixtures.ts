/**
 * Hand-made report inputs: a summary.json of four segments and a stability.json in the shape
 * `segments simulate` writes (core/stability/simulate.ts StabilityReport), with per-feature drift.
 */
import { RunSummary } from '../../lambdas/core/model/summary';
import { Coverage } from '../../lambdas/core/model/coverage';
import { FEATURE_NAMES, FeatureName } from '../../lambdas/core/domain/types';
import { StabilityInput } from '../../lambdas/core/report/inputs';

const byFeature = (f: (n: FeatureName, j: number) => number) => Object.fromEntries(FEATURE_NAMES.map((n, j) => [n, f(n, j)])) as Record<FeatureName, number>;

const POP_MEAN = { recencyDays: 240, frequency: 1.03, monetary: 160, reviewScore: 4.1, deliveryDelayDays: -11, lateShare: 0.08, items: 1.14, categories: 1.02, installments: 2.9 };
const POP_MEDIAN = { recencyDays: 220, frequency: 1, monetary: 105, reviewScore: 5, deliveryDelayDays: -12, lateShare: 0, items: 1, categories: 1, installments: 2 };
const POP_STD = { recencyDays: 150, frequency: 0.2, monetary: 220, reviewScore: 1.3, deliveryDelayDays: 9, lateShare: 0.26, items: 0.5, categories: 0.15, installments: 2.7 };

interface SegmentSpec {
  name: string;
  traits: string[];
  size: number;
  mean: Partial<Record<FeatureName, number>>;
  median?: Partial<Record<FeatureName, number>>;
}

const SEGMENTS: SegmentSpec[] = [
  { name: 'Loyal high spenders', traits: ['repeat', 'high-spend'], size: 310, mean: { frequency: 2.2, monetary: 420, items: 2.6, categories: 1.6 }, median: { monetary: 336 } },
  { name: 'Big-ticket buyers paying in installments', traits: ['high-spend', 'installments'], size: 1800, mean: { monetary: 390, installments: 8.1 }, median: { monetary: 290 } },
  { name: 'Let down by late delivery', traits: ['unsatisfied', 'late-deliveries'], size: 820, mean: { reviewScore: 2.2, lateShare: 0.82, deliveryDelayDays: 9.5 } },
  { name: 'One-time buyers (recent)', traits: ['recent', 'low-spend'], size: 7070, mean: { recencyDays: 120, monetary: 95, installments: 2.1 }, median: { monetary: 60 } },
];

const coverageAt = (k: number): Coverage => ({
  unhappyInUnsatisfied: Math.min(1, 0.8 + 0.03 * k),
  unhappyInLowReviewSegments: Math.min(1, 0.82 + 0.03 * k),
  unhappy: 1200,
  repeatInRepeat: k >= 4 ? 0.95 : 0,
  repeat: 310,
  eta2: { recency: 0.1 * k, spend: 0.05 * k, review: 0.5 + 0.02 * k },
});

/** People without a delivered order, in the rule segments. */
const RULE_PEOPLE = { 'never-delivered': 80, 'in-transit': 10, canceled: 40 };

export function handSummary(): RunSummary {
  const customers = SEGMENTS.reduce((s, g) => s + g.size, 0);
  const people = customers + Object.values(RULE_PEOPLE).reduce((a, b) => a + b, 0);
  const sweep = [2, 3, 4, 5, 6, 7, 8, 9, 10].map((k) => ({
    k,
    silhouette: 0.42 - 0.03 * k + (k === 4 ? 0.05 : 0),
    silhouetteSE: 0.002,
    daviesBouldin: 1.05 + 0.04 * k,
    calinskiHarabasz: 5200 - 300 * k,
    inertia: 60000 / Math.sqrt(k),
    initStability: k === 4 ? 0.97 : 0.8 + 0.01 * k,
    smallestShare: k === 8 ? 0.012 : 0.03,
    coverage: coverageAt(k),
    ...(k >= 4 && k <= 7 ? { modelStability: k === 4 ? 0.99 : 0.9 } : {}),
  }));
  return {
    modelVersion: '20240102T030405Z-abcdef12',
    asOf: '2018-08-29T15:00:37.000Z',
    asOfRule: 'where the data effectively ends',
    dataFingerprint: 'f'.repeat(64),
    customers,
    people,
    counts: { customersInExport: people, customersWithOrders: customers + 120, customersSegmented: customers, customersWithoutCountedOrder: 120, peopleInRuleSegments: { ...RULE_PEOPLE }, orders: customers + 400 },
    orderStatusRule: 'an order counts once it reached the customer',
    reviewImputation: { rule: 'mean review score of reviewed customers with the same delivery outcome', onTime: 4.2, late: 2.6, customersImputed: 95 },
    featureSpace: {
      rule: 'coordinate = weight x clamp((t(x) - lo) / (hi - lo), 0, 1)',
      features: FEATURE_NAMES.map((name) => ({ name, log: name === 'monetary', lo: 0, hi: 10, weight: name === 'recencyDays' ? 1.5 : 1, why: `why ${name}` })),
    },
    features: FEATURE_NAMES.map((name) => ({ name, log: name === 'monetary', lo: 0, hi: 10, weight: name === 'recencyDays' ? 1.5 : 1 })),
    k: 4,
    kChoice: {
      k: 4,
      rule: 'k in 4..8 among the usable candidates: the best silhouette, ties within noise broken by marketing coverage',
      usableFound: true,
      why: 'k = 4: 4 of 5 candidates usable (4, 5, 6, 7); best silhouette 0.350 at k = 4',
      scores: [4, 5, 6, 7, 8].map((k) => ({
        k,
        usable: k !== 8,
        reasons: k === 8 ? ['smallest segment 1.2% < 2%'] : [],
        silhouette: sweep[k - 2].silhouette,
        silhouetteSE: 0.002,
        tiedWithBest: k === 4,
        marketingScore: k === 4 ? 0.7 : 0.6 - 0.02 * k,
        modelStability: sweep[k - 2].modelStability,
      })),
    },
    metrics: { silhouette: sweep[2].silhouette, daviesBouldin: sweep[2].daviesBouldin, calinskiHarabasz: sweep[2].calinskiHarabasz, inertia: sweep[2].inertia },
    sweep,
    initStability: { k: 4, median: 0.97, min: 0.91, pairs: 45 },
    modelStability: { ariMedian: 0.99, ariMin: 0.985, fits: 3 },
    coverage: coverageAt(4),
    traitSupport: { rule: 'a segment has a trait when at least 70% of its members have it individually', minShare: 0.7, thresholds: { spendLow: 75, spendHigh: 152, recentDays: 153, lapsedDays: 294 } },
    ruleSegments: [
      { id: 100, group: 'never-delivered', name: 'Order overdue, never delivered', rule: 'no delivered order, and an order past its date' },
      { id: 101, group: 'in-transit', name: 'First order on its way', rule: 'no delivered order, an order within its promise' },
      { id: 102, group: 'canceled', name: 'Order canceled or unavailable', rule: 'every order canceled or unavailable' },
    ],
    alternatives: [
      { algorithm: 'k-means (chosen)', k: 4, customers, silhouette: sweep[2].silhouette, daviesBouldin: sweep[2].daviesBouldin, calinskiHarabasz: sweep[2].calinskiHarabasz, ariVsKmeans: 1, sizes: SEGMENTS.map((g) => g.size).sort((a, b) => b - a), seconds: 0.4, note: 'best of 10 seeded runs' },
      { algorithm: 'Gaussian mixture (diagonal)', k: 4, customers, silhouette: 0.21, daviesBouldin: 1.4, calinskiHarabasz: 3100, ariVsKmeans: 0.55, sizes: [6000, 2500, 1000, 500], seconds: 1.2, note: 'EM from the k-means partition' },
      { algorithm: 'Agglomerative Ward', k: 4, customers: 4000, silhouette: 0.25, daviesBouldin: 1.3, calinskiHarabasz: 2900, ariVsKmeans: 0.71, sizes: [2400, 900, 500, 200], seconds: 3.1, note: 'on a seeded sample of 4000 customers' },
    ],
    pca: { explainedVariance: [0.31, 0.18] },
    population: { mean: { ...POP_MEAN }, median: { ...POP_MEDIAN } },
    segments: [
      ...SEGMENTS.map((g, id) => {
        const mean = byFeature((n) => g.mean[n] ?? POP_MEAN[n] * (1 + 0.01 * id));
        return {
          id,
          kind: 'cluster' as const,
          name: g.name,
          description: `Description of ${g.name.toLowerCase()}.`,
          action: `Action for ${g.name.toLowerCase()}.`,
          traits: g.traits,
          size: g.size,
          share: g.size / people,
          profile: mean,
          median: byFeature((n) => g.median?.[n] ?? POP_MEDIAN[n]),
          zScore: byFeature((n) => (mean[n] - POP_MEAN[n]) / POP_STD[n]),
          fidelity: Object.fromEntries(g.traits.map((t) => [t, 0.9])),
        };
      }),
      ...Object.entries(RULE_PEOPLE).map(([group, size], i) => {
        const mean = byFeature((n) => (n === 'deliveryDelayDays' || n === 'lateShare' ? NaN : n === 'reviewScore' ? 1.8 : POP_MEAN[n]));
        return {
          id: 100 + i,
          kind: 'rule' as const,
          name: ['Order overdue, never delivered', 'First order on its way', 'Order canceled or unavailable'][i],
          description: `People in the ${group} group.`,
          action: 'Service recovery.',
          traits: ['unsatisfied'],
          size,
          share: size / people,
          profile: mean,
          median: mean,
          zScore: byFeature((n) => (Number.isNaN(mean[n]) ? NaN : (mean[n] - POP_MEAN[n]) / POP_STD[n])),
          fidelity: { [group]: 1 },
        };
      }),
    ],
    namingRules: [
      { trait: 'unsatisfied', rule: 'mean review score at most 3 out of 5' },
      { trait: 'repeat', rule: 'at least 1.5 orders per customer on average' },
    ],
    tables: [{ table: 'orders', file: 'olist_orders_dataset.csv', rows: customers + 400, bytes: 123456, sha256: '0'.repeat(64), extraColumns: [], invalidRows: 0 }],
    loadIssues: { orphanItems: 0, orphanPayments: 0, orphanReviews: 0, itemsWithUnknownProduct: 0, ordersWithoutPayment: 1, unknownStates: 0, firstUnknownStateLine: 0 },
    timings: { load: 1, total: 2 },
  };
}

/** A stability.json as `segments simulate` writes it, plus per-feature drift (PSI) at every date. */
export function handStability(): StabilityInput {
  const days = [0, 14, 28, 42, 56, 70, 84, 98, 112, 126];
  const points = days.map((d, i) => {
    const m = Math.round((0.97 - 0.035 * i) * 1e4) / 1e4;
    return {
      days: d,
      ariMedian: m,
      ariQ1: Math.round((m - 0.04) * 1e4) / 1e4,
      ariQ3: Math.round(Math.min(1, m + 0.03) * 1e4) / 1e4,
      ariMin: m - 0.1,
      ariKnownMedian: m + 0.01,
      ariKnownQ1: m - 0.03,
      ariKnownQ3: m + 0.03,
      customers: 8000 + 180 * i,
      newCustomers: 180 * i,
      origins: 5,
      samples: 15,
    };
  });
  return {
    threshold: 0.8,
    k: 4,
    kChosenBy: 'rule',
    stepDays: 14,
    horizonDays: 126,
    seeds: 3,
    dataEnd: '2018-08-29T00:00:00.000Z',
    origins: ['2017-06-01T00:00:00.000Z', '2017-09-01T00:00:00.000Z'],
    points,
    initStability: { median: 0.97, q1: 0.95, q3: 0.99, min: 0.9, pairs: 15, singleInitMedian: 0.8 },
    recommendation: {
      everyDays: 56,
      everyWeeks: 8,
      rationale: [
        'Proposal (maintenance contract): retrain the segmentation every 8 weeks (56 days) and run the stability check every 2 weeks in between.',
        'Evidence: the median ARI stays above 0.80 for 8 weeks and falls to 0.76 after 10 weeks.',
        'Each check (every 2 weeks): (1) ARI against a fresh fit; (2) per-feature drift; (3) age of the model.',
        'Early retraining when: median ARI below 0.80; or PSI above 0.25.',
      ].join('\n'),
      ariAtCadence: points[4].ariMedian,
      firstBelowDays: 70,
      checks: ['adjusted Rand index of the active model against a fresh fit on the latest data', 'per-feature drift (population stability index)', 'age of the model against the 8 weeks cadence'],
      triggers: ['median ARI against the fresh fit below 0.80', 'population stability index above 0.25 on any feature'],
    },
    drift: days.map((d, i) => ({ days: d, features: FEATURE_NAMES.map((name, j) => ({ name, psi: Math.round(i * (0.004 + 0.003 * j) * 1e4) / 1e4, ks: i * 0.01 })) })),
    retraining: { customers: 9000, seconds: 2.1, asOf: '2018-08-29T00:00:00.000Z' },
  };
}
