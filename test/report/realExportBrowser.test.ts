/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * The report pages of the real Olist export (../shared/olist) as people see them, in headless Chromium: no chart
 * has labels that overlap, an axis with the same tick label twice, or a bar axis running far beyond its largest
 * bar; on a 400 px phone screen chart text stays readable and the page does not overflow; and the pages carry the
 * context a reader needs (imputed review scores, what silhouette means, how to get a segment's customers).
 * `segments run`, a short `segments simulate` and `segments report --model` run as a user runs them (child
 * processes). Skipped with a message when the export is absent. Screenshots in test-artifacts/reports-olist/ with
 * SEGMENTS_TEST_SCREENSHOTS=1.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Browser, chromium } from 'playwright-core';
import { REPORT_FILES } from '../../lambdas/core/report';
import { describeWithOlist, OLIST_DIR } from '../helpers/olist';
import { realRunDir, realSimulationDir } from '../helpers/realRun';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = process.env.SEGMENTS_TEST_SCREENSHOTS === '1';
const ARTIFACTS = resolve(__dirname, '../../test-artifacts/reports-olist');
const BIN = resolve(__dirname, '../../bin/segments.js');
const segments = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 900_000, maxBuffer: 1 << 26 });

/** Bar charts whose value axis starts at zero, with the field of the embedded rows it measures. */
const BAR_AXES: { page: string; chart: string; orient: 'x' | 'y'; field: string }[] = [
  { page: 'exploration.html', chart: 'missing-values', orient: 'x', field: 'share' },
  { page: 'exploration.html', chart: 'order-status', orient: 'x', field: 'orders' },
  { page: 'exploration.html', chart: 'customers-by-state', orient: 'x', field: 'customers' },
  { page: 'exploration.html', chart: 'category-mix', orient: 'x', field: 'items' },
  { page: 'exploration.html', chart: 'orders-per-customer', orient: 'y', field: 'customers' },
  { page: 'exploration.html', chart: 'review-scores', orient: 'y', field: 'share' },
  { page: 'model-trials.html', chart: 'segment-sizes', orient: 'x', field: 'customers' },
  { page: 'segment-cards.html', chart: 'segment-shares', orient: 'x', field: 'share' },
];

interface Box {
  text: string;
  /** Corners of the text's box on the screen (rotated text gives a rotated rectangle). */
  corners: [number, number][];
  /** Centre, for axis labels. */
  x: number;
  y: number;
}
interface Axis {
  labels: Box[];
}
interface ChartView {
  id: string;
  axes: Axis[];
  texts: (Box & { fontPx: number })[];
  rows: Record<string, unknown>[];
}

/** Every chart of the open page: its visible texts with their boxes and rendered font size, its axes' labels, its rows. */
const readCharts = () =>
  Array.from((globalThis as any).document.querySelectorAll('figure[data-chart]') as any[]).map((fig: any) => {
    const svg = fig.querySelector('svg[data-chart-svg]');
    const scale = svg.getBoundingClientRect().width / Number(svg.getAttribute('width'));
    const visible = (t: any) => {
      for (let e = t; e && e !== svg; e = e.parentElement) if (e.getAttribute('opacity') === '0' || (globalThis as any).getComputedStyle(e).opacity === '0') return false;
      return String(t.textContent ?? '').trim() !== '';
    };
    const box = (t: any) => {
      const b = t.getBBox();
      const m = t.getScreenCTM();
      const at = (x: number, y: number): [number, number] => [m.a * x + m.c * y + m.e, m.b * x + m.d * y + m.f];
      const corners = [at(b.x, b.y), at(b.x + b.width, b.y), at(b.x + b.width, b.y + b.height), at(b.x, b.y + b.height)];
      const [x, y] = at(b.x + b.width / 2, b.y + b.height / 2);
      return { text: String(t.textContent), corners, x, y };
    };
    return {
      id: String(fig.getAttribute('data-chart')),
      axes: Array.from(svg.querySelectorAll('g.role-axis') as any[]).map((ax: any) => ({ labels: Array.from(ax.querySelectorAll('g.role-axis-label text') as any[]).filter(visible).map(box) })),
      texts: Array.from(svg.querySelectorAll('text') as any[])
        .filter(visible)
        .map((t: any) => ({ ...box(t), fontPx: Number.parseFloat((globalThis as any).getComputedStyle(t).fontSize) * scale })),
      rows: JSON.parse(fig.querySelector('script[type="application/json"]').textContent),
    };
  });

const numberOf = (label: string) => Number(label.replace(/\u2212/g, '-').replace(/[^\d.-]/g, '')) / (label.includes('%') ? 100 : 1);
const isHorizontal = (a: Axis) => a.labels.length > 1 && Math.max(...a.labels.map((l) => l.y)) - Math.min(...a.labels.map((l) => l.y)) < 2;
/**
 * Two text boxes (rectangles, rotated or not) closer than `gap` pixels (negative: overlapping by more than that):
 * separating-axis test on the rectangles' edge directions.
 */
function tooClose(a: Box, b: Box, gap: number): boolean {
  for (const poly of [a.corners, b.corners])
    for (let i = 0; i < 2; i++) {
      const [x0, y0] = poly[i];
      const [x1, y1] = poly[i + 1];
      const len = Math.hypot(x1 - x0, y1 - y0) || 1;
      const axis = [(x1 - x0) / len, (y1 - y0) / len];
      const project = (p: [number, number][]) => p.map(([x, y]) => x * axis[0] + y * axis[1]);
      const pa = project(a.corners);
      const pb = project(b.corners);
      if (Math.max(Math.min(...pa), Math.min(...pb)) - Math.min(Math.max(...pa), Math.max(...pb)) >= gap) return false;
    }
  return true;
}

describeWithOlist('the report pages of the real Olist export in a browser', () => {
  const work = mkdtempSync(join(tmpdir(), 'olist-report-'));
  const run = join(work, 'run');
  let reports: string;
  let browser: Browser;
  const charts = new Map<string, ChartView[]>();
  const texts = new Map<string, string>();

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`headless Chromium not found at ${CHROMIUM}: npm test installs it (scripts/system-deps.sh), or set CHROMIUM_PATH`);
    // The session's one run and one coarse simulation of the real export (test/helpers/realRun.ts), then the pages.
    const model = realRunDir();
    const simulation = realSimulationDir();
    for (const args of [['report', '--data', OLIST_DIR, '--out', run, '--model', model, '--stability', join(simulation, 'stability.json'), '--quiet']]) {
      const r = segments(...args);
      if (r.status !== 0) throw new Error(`segments ${args[0]}: ${r.stderr}`);
    }
    reports = join(run, 'reports');
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
    for (const file of REPORT_FILES) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(pathToFileURL(join(reports, file)).href);
      charts.set(file, (await page.evaluate(readCharts)) as ChartView[]);
      texts.set(file, (await page.textContent('main')) ?? '');
      // Screenshots for people to look at, when asked (they cost seconds a page): SEGMENTS_TEST_SCREENSHOTS=1.
      if (SCREENSHOTS) await page.screenshot({ path: join(ARTIFACTS, file.replace('.html', '-1280.png')), fullPage: true });
      await page.close();
    }
  }, 900_000);

  afterAll(async () => {
    await browser?.close();
  });

  test('the maintenance page has its charts (the simulation ran)', () => {
    expect(charts.get('maintenance.html')!.map((c) => c.id)).toEqual(expect.arrayContaining(['ari-over-time', 'feature-drift']));
  });

  test.each(REPORT_FILES.filter((f) => f !== 'index.html'))('%s: no chart has labels that overlap or run together', (file) => {
    const problems: string[] = [];
    for (const c of charts.get(file)!) {
      // Any two texts: no overlap beyond a pixel (glyph boxes of neighbouring lines may touch).
      for (let i = 0; i < c.texts.length; i++)
        for (let j = i + 1; j < c.texts.length; j++) if (tooClose(c.texts[i], c.texts[j], -1)) problems.push(`${c.id}: "${c.texts[i].text}" overlaps "${c.texts[j].text}"`);
      // Neighbouring tick labels side by side on a horizontal axis: at least 3 px apart, or they read as one number.
      for (const a of c.axes.filter(isHorizontal))
        for (let i = 0; i + 1 < a.labels.length; i++) if (tooClose(a.labels[i], a.labels[i + 1], 3)) problems.push(`${c.id}: tick labels "${a.labels[i].text}" and "${a.labels[i + 1].text}" run together`);
    }
    expect(problems).toEqual([]);
  });

  test.each(REPORT_FILES.filter((f) => f !== 'index.html'))('%s: no axis repeats a tick label', (file) => {
    const problems: string[] = [];
    for (const c of charts.get(file)!)
      for (const a of c.axes) {
        const labels = a.labels.map((l) => l.text);
        if (new Set(labels).size !== labels.length) problems.push(`${c.id}: ${labels.join(' ')}`);
      }
    expect(problems).toEqual([]);
  });

  test.each(BAR_AXES.map((b) => [`${b.page} ${b.chart}`, b] as const))('%s: the value axis ends at the first tick past the largest bar', (_, b) => {
    const chart = charts.get(b.page)!.find((c) => c.id === b.chart)!;
    expect(chart).toBeDefined();
    const axis = chart.axes.find((a) => a.labels.length > 1 && isHorizontal(a) === (b.orient === 'x') && a.labels.every((l) => Number.isFinite(numberOf(l.text))))!;
    const ticks = axis.labels.map((l) => numberOf(l.text)).sort((p, q) => p - q);
    const max = Math.max(...chart.rows.map((r) => Number(r[b.field])));
    const step = ticks[ticks.length - 1] - ticks[ticks.length - 2];
    expect(ticks[0]).toBe(0);
    expect(ticks[ticks.length - 1]).toBeLessThan(max + step + 1e-9);
  });

  test.each(REPORT_FILES)('%s says most review scores in the export are imputed (its provenance/real_reviews.txt)', (file) => {
    expect(texts.get(file)).toMatch(/Most review scores in this export are imputed\. Only 16,124 of its 99,224 review rows \(16%\) are real \(listed in provenance\/real_reviews\.txt\); the other 84%/);
    expect(texts.get(file)).not.toMatch(/Synthetic data/);
  });

  test('drift: in PSI, one scale per feature, the 0.25 trigger shown', () => {
    const drift = charts.get('maintenance.html')!.find((c) => c.id === 'feature-drift')!;
    const heading = drift.texts.map((t) => t.text).join(' ');
    expect(heading).toMatch(/Drift of each feature \(PSI\)/);
    expect(heading).toMatch(/own scale/);
    expect(heading).toMatch(/red line: 0\.25/);
    // Nine panels, each with its own y axis: recency's runs far higher than the others'.
    const yTops = drift.axes.filter((a) => a.labels.length > 1 && !isHorizontal(a)).map((a) => Math.max(...a.labels.map((l) => numberOf(l.text))));
    expect(yTops).toHaveLength(9);
    expect(Math.max(...yTops) / Math.min(...yTops)).toBeGreaterThan(2);
    expect(Math.min(...yTops)).toBeGreaterThanOrEqual(0.25); // the trigger line is inside every panel
  });

  test('algorithms: an index that depends on the number of customers is only compared on the same customers', () => {
    const alt = charts.get('model-trials.html')!.find((c) => c.id === 'alternatives')!;
    const ch = alt.rows.filter((r) => /Calinski/.test(String(r.metric))).map((r) => r.algorithm);
    expect(ch).not.toContain('Agglomerative Ward');
    expect(ch.length).toBeGreaterThan(0);
  });

  test.each(REPORT_FILES)('%s on a 400 px phone: chart text stays readable, nothing overflows the page', async (file) => {
    const page = await browser.newPage({ viewport: { width: 400, height: 860 } });
    await page.goto(pathToFileURL(join(reports, file)).href);
    const phone = (await page.evaluate(readCharts)) as ChartView[];
    const small = phone.flatMap((c) => c.texts.filter((t) => t.fontPx < 9).map((t) => `${c.id}: "${t.text}" at ${t.fontPx.toFixed(1)} px`));
    expect(small).toEqual([]);
    const bodyText = await page.evaluate(() => Number.parseFloat((globalThis as any).getComputedStyle((globalThis as any).document.querySelector('main p')).fontSize));
    expect(bodyText).toBeGreaterThanOrEqual(14);
    const overflow = await page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth - (globalThis as any).document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    if (SCREENSHOTS) await page.screenshot({ path: join(ARTIFACTS, file.replace('.html', '-400.png')), fullPage: true });
    await page.close();
  });

  (SCREENSHOTS ? test : test.skip)('the exported PNGs exist for people to look at', () => {
    expect(readFileSync(join(ARTIFACTS, 'exploration-400.png')).length).toBeGreaterThan(10_000);
  });
});
