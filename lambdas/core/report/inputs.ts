/**
 * The plain inputs the reports are built from, and tolerant readers for the parts whose producers evolve
 * independently (the simulation's stability.json, the alternative algorithms' scores).
 */
import { RunSummary } from '../model/summary';
import { createRng } from '../util/random';
import { ExplorationStats } from './exploration';
import type { DatasetProvenance } from '../olist/provenance';

/** One date of the update-frequency simulation: how well a model fitted at day 0 still matches a fresh fit. */
export interface StabilityPoint {
  /** Days since the model was fitted. */
  days: number;
  /** ARI between the aged model's labels and a fresh fit's, over seeds: median and quartiles. */
  ariMedian: number;
  ariQ1: number;
  ariQ3: number;
  /** The same over the customers already present when the model was fitted (NaN when not measured). */
  ariKnownMedian: number;
  customers: number;
  newCustomers: number;
  /** Origins reaching this horizon. */
  origins?: number;
  date?: string;
  [extra: string]: unknown;
}

/** stability.json as written by `segments simulate` (core/stability/simulate.ts). */
export interface StabilityInput {
  threshold: number;
  points: StabilityPoint[];
  initStability?: { median: number; min?: number; pairs?: number; [extra: string]: unknown } | number;
  recommendation: { everyDays: number; rationale: string; contract?: string; checks?: string[]; triggers?: string[]; basis?: 'crossing' | 'horizon'; crossingDays?: number | null; [extra: string]: unknown };
  /** Days between two simulated dates (the stability check cadence). */
  stepDays?: number;
  /** Per-feature drift; several shapes are accepted (see driftRows). */
  drift?: unknown;
  driftMetric?: string;
  [extra: string]: unknown;
}

/** A sample of customers on the first two principal components, with their segment ids. */
export interface MapSample {
  x: number[];
  y: number[];
  segment: number[];
  /** Customers in the model (the sample is drawn from them). */
  total: number;
}

export interface ReportInput {
  exploration: ExplorationStats;
  summary: RunSummary;
  map?: MapSample;
  stability?: StabilityInput;
  /** Where the stability numbers came from (a file name), shown on the maintenance page. */
  stabilitySource?: string;
  /** ISO time of the report (defaults to now). */
  generatedAt?: string;
  /** Where the export comes from, when it says so (synthetic data, imputed reviews): every page tells its reader. */
  provenance?: DatasetProvenance;
  /** The campaign lists beside the pages (the stack writes them at activation): `dir` relative to the pages, ending in '/'. */
  campaignLists?: { dir: string };
}

/**
 * A seeded sample of at most `max` customers from interleaved 2-D coordinates (x0, y0, x1, y1, ...),
 * stratified by segment so that small segments stay visible in proportion.
 */
export function sampleMap(coords: ArrayLike<number>, labels: ArrayLike<number>, max = 4000, seed = 1): MapSample {
  const n = labels.length;
  if (coords.length < 2 * n) throw new Error(`map coordinates: ${coords.length} values for ${n} customers`);
  const rng = createRng(seed);
  const bySegment = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    if (!bySegment.has(l)) bySegment.set(l, []);
    bySegment.get(l)!.push(i);
  }
  const rate = Math.min(1, max / Math.max(1, n));
  const chosen: number[] = [];
  for (const [, rows] of [...bySegment.entries()].sort((a, b) => a[0] - b[0])) {
    const take = Math.min(rows.length, Math.max(1, Math.round(rows.length * rate)));
    // partial Fisher-Yates
    for (let i = 0; i < take; i++) {
      const j = i + rng.int(rows.length - i);
      [rows[i], rows[j]] = [rows[j], rows[i]];
    }
    chosen.push(...rows.slice(0, take));
  }
  chosen.sort((a, b) => a - b);
  const r4 = (v: number) => Math.round(v * 1e4) / 1e4;
  return { x: chosen.map((i) => r4(coords[2 * i])), y: chosen.map((i) => r4(coords[2 * i + 1])), segment: chosen.map((i) => labels[i]), total: n };
}

export interface DriftRow {
  feature: string;
  days: number;
  value: number;
}

const VALUE_KEYS = ['value', 'psi', 'drift', 'shift', 'smd', 'ks', 'distance', 'score'];

function pickValue(o: Record<string, unknown>): number | undefined {
  for (const k of VALUE_KEYS) if (typeof o[k] === 'number') return o[k] as number;
  return undefined;
}

function daysOf(o: Record<string, unknown>, fallback?: number): number | undefined {
  for (const k of ['days', 'day', 'ageDays', 'age']) if (typeof o[k] === 'number') return o[k] as number;
  return fallback;
}

/**
 * Per-feature drift over time as flat rows, from any of the shapes a simulation may write:
 * drift: [{feature, points: [{days, value}]}] | [{feature, days, value}] | {feature: number[] (aligned
 * with points)} | {feature: [{days, value}]}; or points[i].drift: {feature: value}.
 * Values are the simulation's own drift measure (driftMetric names it).
 */
export function driftRows(s: StabilityInput): DriftRow[] {
  const rows: DriftRow[] = [];
  const push = (feature: string, days: number | undefined, value: number | undefined) => {
    if (typeof days === 'number' && Number.isFinite(days) && typeof value === 'number' && Number.isFinite(value)) rows.push({ feature, days, value });
  };
  const d = s.drift;
  if (Array.isArray(d)) {
    for (const e of d as Record<string, unknown>[]) {
      if (!e || typeof e !== 'object') continue;
      const feature = String(e.feature ?? e.name ?? '');
      if (Array.isArray(e.features)) {
        // [{days, features: [{name, psi, ks}]}]
        for (const f of e.features as Record<string, unknown>[]) if (f && typeof f === 'object') push(String(f.feature ?? f.name ?? ''), daysOf(e), pickValue(f));
      } else if (Array.isArray(e.points)) for (const p of e.points as Record<string, unknown>[]) push(feature, daysOf(p), pickValue(p));
      else if (Array.isArray(e.values)) (e.values as unknown[]).forEach((v, i) => push(feature, s.points[i]?.days, typeof v === 'number' ? v : undefined));
      else push(feature, daysOf(e), pickValue(e));
    }
  } else if (d && typeof d === 'object') {
    const byFeature = ((d as Record<string, unknown>).features as Record<string, unknown> | undefined) ?? (d as Record<string, unknown>);
    for (const [feature, v] of Object.entries(byFeature)) {
      if (Array.isArray(v)) {
        v.forEach((x, i) => {
          if (typeof x === 'number') push(feature, s.points[i]?.days, x);
          else if (x && typeof x === 'object') push(feature, daysOf(x as Record<string, unknown>, s.points[i]?.days), pickValue(x as Record<string, unknown>));
        });
      }
    }
  }
  if (!rows.length) {
    for (const p of s.points) {
      const pd = p.drift;
      if (Array.isArray(pd)) {
        for (const f of pd as Record<string, unknown>[]) if (f && typeof f === 'object') push(String(f.feature ?? f.name ?? ''), p.days, pickValue(f));
      } else if (pd && typeof pd === 'object') {
        for (const [feature, v] of Object.entries(pd as Record<string, unknown>)) {
          if (typeof v === 'number') push(feature, p.days, v);
          else if (v && typeof v === 'object') push(feature, p.days, pickValue(v as Record<string, unknown>));
        }
      }
    }
  }
  return rows.sort((a, b) => a.feature.localeCompare(b.feature) || a.days - b.days);
}

export function driftMetricName(s: StabilityInput): string {
  const d = s.drift as Record<string, unknown> | undefined;
  const m = s.driftMetric ?? (d && !Array.isArray(d) && typeof d.metric === 'string' ? d.metric : undefined);
  if (typeof m === 'string' && m) return m;
  // `segments simulate` writes points[].drift as bare numbers beside psiRecency / psiOtherMax: PSI too.
  if (s.points.some((p) => typeof p.psiRecency === 'number' || typeof p.psiOtherMax === 'number')) return 'PSI';
  return /"psi"\s*:/.test(JSON.stringify(s.drift ?? s.points.map((p) => p.drift ?? null))) ? 'PSI' : 'drift';
}

/** The initialisation stability of the simulation, as {median, min?}. */
export function initStabilityOf(s: StabilityInput): { median: number; min?: number; pairs?: number } | undefined {
  const v = s.initStability;
  if (typeof v === 'number') return { median: v };
  if (v && typeof v === 'object' && typeof v.median === 'number') return v;
  return undefined;
}

