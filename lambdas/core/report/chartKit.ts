/**
 * What every chart of the reports shares: its definition (a Vega-Lite spec plus the rows it draws, kept
 * apart so the page can embed the rows next to the rendered SVG), the visual theme and the segment colours.
 */

/** A Vega-Lite spec without its data (typed loosely: the specs are plain literals checked by rendering). */
export type VlSpec = Record<string, unknown>;

export type ChartRow = Record<string, string | number | boolean | null>;

export interface ChartDef {
  /** Unique on its page; the embedded data carries it as data-chart="id". */
  id: string;
  title: string;
  subtitle?: string | string[];
  /** What the chart shows, for screen readers and as the figure caption. */
  description: string;
  /** The rows the chart draws (also embedded in the page as JSON). */
  data: ChartRow[];
  spec: VlSpec;
  /** Layout hint for the page: a full-width chart or one of two side by side. */
  size?: 'full' | 'half';
  /** Leave the title out of the SVG (the page shows it as a heading next to the chart). */
  hideTitle?: boolean;
}

export const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Liberation Sans", "DejaVu Sans", sans-serif';

export const COLORS = {
  ink: '#1f2937',
  muted: '#4b5563',
  grid: '#e5e7eb',
  primary: '#2563eb',
  primaryLight: '#93c5fd',
  accent: '#d97706',
  good: '#15803d',
  bad: '#b91c1c',
  neutral: '#9ca3af',
} as const;

/** Segment colours, by segment id (Tableau 10, then Tableau 20's lighter tones). */
export const SEGMENT_PALETTE = [
  '#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac',
  '#a0cbe8', '#ffbe7d', '#ff9d9a', '#86bcb6', '#8cd17d', '#f1ce63', '#d4a6c8', '#fabfd2', '#d7b5a6', '#79706e',
];

export function segmentColor(id: number): string {
  return SEGMENT_PALETTE[((id % SEGMENT_PALETTE.length) + SEGMENT_PALETTE.length) % SEGMENT_PALETTE.length];
}

export const THEME: VlSpec = {
  font: FONT,
  // The page marks each SVG as one image with a text alternative; per-mark ARIA labels would only bloat it.
  aria: false,
  background: '#ffffff',
  padding: { left: 4, right: 12, top: 4, bottom: 4 },
  view: { stroke: null },
  title: { anchor: 'start', fontSize: 15, fontWeight: 600, color: COLORS.ink, subtitleFontSize: 12, subtitleColor: COLORS.muted, offset: 12, subtitlePadding: 4 },
  axis: {
    labelFontSize: 12,
    titleFontSize: 12,
    titleFontWeight: 600,
    labelColor: COLORS.muted,
    titleColor: COLORS.ink,
    gridColor: COLORS.grid,
    domainColor: COLORS.neutral,
    tickColor: COLORS.neutral,
    titlePadding: 8,
    labelLimit: 220,
  },
  axisBand: { grid: false },
  // Numbers never run into each other: labels that would overlap are thinned out (every other one kept).
  axisQuantitative: { labelOverlap: true, labelSeparation: 6 },
  legend: { labelFontSize: 12, titleFontSize: 12, titleFontWeight: 600, labelColor: COLORS.ink, titleColor: COLORS.ink, labelLimit: 320, symbolType: 'circle' },
  header: { labelFontSize: 12, titleFontSize: 12, labelColor: COLORS.ink },
  bar: { color: COLORS.primary },
  line: { color: COLORS.primary, strokeWidth: 2 },
  point: { color: COLORS.primary, filled: true, size: 50 },
  area: { color: COLORS.primaryLight },
  rule: { color: COLORS.neutral },
  text: { fontSize: 11, color: COLORS.ink },
  range: { category: SEGMENT_PALETTE },
};

/** A colour scale mapping segment names (in id order) to their colours. */
export function segmentColorScale(segments: { id: number; name: string }[]): VlSpec {
  return { domain: segments.map((s) => s.name), range: segments.map((s) => segmentColor(s.id)) };
}

/** Finite number or null (Vega-Lite skips nulls; NaN and Infinity would break JSON and the scales). */
export function num(x: number | undefined | null, digits?: number): number | null {
  if (typeof x !== 'number' || !Number.isFinite(x)) return null;
  if (digits === undefined) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/**
 * At most `max` items, spread evenly over the list (the first and the last kept): a chart fed by an uploaded file (the
 * team's stability.json) never grows with it.
 */
export function thinned<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max) return [...items];
  const step = (items.length - 1) / (max - 1);
  return Array.from({ length: max }, (_, i) => items[Math.round(i * step)]);
}

/** Points of one line of a chart over days (the maintenance page's ARI, customers and drift lines). */
export const MAX_LINE_POINTS = 200;

export const FULL_WIDTH = 920;
export const HALF_WIDTH = 400;

/**
 * Ticks for a zero-based axis of values up to `max`: about `count` round steps (1, 2 or 5 x 10^n), ending at the
 * first tick at or above the largest value, so the axis never runs far beyond the data.
 */
export function zeroBasedTicks(max: number, count = 5): { values: number[]; step: number; end: number } {
  const top = max > 0 && Number.isFinite(max) ? max : 1;
  const raw = top / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  const n = Math.ceil(top / step - 1e-9);
  const values = Array.from({ length: n + 1 }, (_, i) => Math.round(i * step * 1e9) / 1e9);
  return { values, step, end: values[values.length - 1] };
}

/** A share axis (0..max as a fraction) whose tick labels are distinct: as many decimals as the step needs. */
export function shareAxis(max: number, count = 5): { scale: VlSpec; axis: VlSpec } {
  const t = zeroBasedTicks(max, count);
  const decimals = Math.max(0, -Math.floor(Math.log10(t.step * 100) + 1e-9));
  return { scale: { domain: [0, t.end], nice: false }, axis: { values: t.values, format: `.${decimals}%` } };
}
