/** What each page builder receives: the inputs, a chart renderer and the page wrapper with shared facts. */
import { ChartDef } from './chartKit';
import { page, PageOptions } from './html';
import { ReportInput } from './inputs';
import { renderCharts, RenderedChart, RenderOptions } from './render';

export interface PageContext {
  input: ReportInput;
  generatedAt: string;
  renderAll(defs: ChartDef[]): Promise<Map<string, RenderedChart>>;
  page(o: Omit<PageOptions, 'meta'>): string;
}

export function pageContext(input: ReportInput, opts: RenderOptions = {}): PageContext {
  const generatedAt = input.generatedAt ?? new Date().toISOString();
  const meta = { modelVersion: input.summary.modelVersion, asOf: input.summary.asOf, generatedAt, customers: input.summary.customers };
  return {
    input,
    generatedAt,
    renderAll: (defs) => renderCharts(defs, opts),
    page: (o) => page({ ...o, meta }),
  };
}
