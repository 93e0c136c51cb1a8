/**
 * Chart definitions to static SVG at build time: Vega-Lite compiles the spec, Vega renders it headless
 * (renderer 'none', no DOM, no canvas), so the pages need no script and no network to show their charts.
 */
import { ChartDef, THEME, VlSpec } from './chartKit';
import { esc } from '../util/format';
import { textWidth } from './textWidth';
import { loadVega } from './vegaRuntime';

export interface RenderedChart {
  def: ChartDef;
  svg: string;
}

export interface RenderOptions {
  /** Receives Vega-Lite and Vega warnings (e.g. a field that is not in the data); tests make them errors. */
  onWarning?: (chartId: string, message: string) => void;
}

/** The full Vega-Lite spec of a chart: its spec with the data inline, the title and the theme. */
export function fullSpec(def: ChartDef): VlSpec {
  // Titles wider than the plot would widen the SVG (and shrink the whole chart on the page): wrap them.
  const w = typeof def.spec.width === 'number' ? Math.max(def.spec.width + 40, 280) : undefined;
  const text = w ? wrapText(def.title, w, 15, 600) : def.title;
  const sub = def.subtitle && w && typeof def.subtitle === 'string' ? wrapText(def.subtitle, w, 12, 400) : def.subtitle;
  const title = sub ? { text, subtitle: sub } : text;
  const config = { ...THEME, ...((def.spec.config as VlSpec | undefined) ?? {}) };
  return { ...def.spec, ...(def.hideTitle ? {} : { title }), description: def.description, data: { values: def.data }, config };
}

export async function renderChart(def: ChartDef, opts: RenderOptions = {}): Promise<RenderedChart> {
  const { vega, vl } = loadVega();
  const warn = (msg: unknown) => opts.onWarning?.(def.id, String(msg));
  const logger = {
    level: (_?: number) => logger,
    error: (...m: unknown[]) => {
      throw new Error(`chart ${def.id}: ${m.join(' ')}`);
    },
    warn: (...m: unknown[]) => {
      warn(m.join(' '));
      return logger;
    },
    info: () => logger,
    debug: () => logger,
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const compiled = vl.compile(fullSpec(def) as any, { logger: logger as any }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.Warn, logger: logger as never });
  try {
    const raw = await view.toSVG();
    return { def, svg: accessibleSvg(raw, def) };
  } finally {
    view.finalize();
  }
}

export async function renderCharts(defs: ChartDef[], opts: RenderOptions = {}): Promise<Map<string, RenderedChart>> {
  const ids = new Set<string>();
  for (const d of defs) {
    if (ids.has(d.id)) throw new Error(`duplicate chart id ${d.id}`);
    ids.add(d.id);
  }
  const out = new Map<string, RenderedChart>();
  for (const d of defs) out.set(d.id, await renderChart(d, opts));
  return out;
}

/**
 * On narrow screens a chart shrinks with the page (CSS max-width) but never below this share of its size, so its
 * text stays readable (11-12 px labels stay at 10 px or more); beyond that its frame scrolls sideways instead.
 */
export const MIN_CHART_SCALE = 0.9;

/** Marks the SVG as one image with a text alternative, and lets CSS scale it down on narrow screens, not too far. */
function accessibleSvg(svg: string, def: ChartDef): string {
  const label = `${def.title}. ${def.description}`;
  const width = Number(/^<svg\b[^>]*?\swidth="([\d.]+)"/.exec(svg)?.[1]);
  const minWidth = Number.isFinite(width) && width > 0 ? ` style="min-width:${Math.round(width * MIN_CHART_SCALE)}px"` : '';
  return svg.replace(/^<svg\b/, `<svg role="img" aria-label="${esc(label)}" focusable="false" data-chart-svg="${esc(def.id)}"${minWidth}`).replace(/\s+class="marks"/, ' class="marks chart-svg"');
}

/** Greedy word wrap to a pixel width; a single line stays a string. */
export function wrapText(text: string, width: number, fontSize: number, fontWeight: number): string | string[] {
  const words = text.split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    const next = line ? `${line} ${word}` : word;
    if (line && textWidth(next, fontSize, fontWeight) > width) {
      lines.push(line);
      line = word;
    } else line = next;
  }
  if (line) lines.push(line);
  return lines.length <= 1 ? text : lines;
}
