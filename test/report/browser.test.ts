/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * The report pages as a person sees them: `segments report` on a small generated export (with a
 * hand-made stability.json of the simulation's shape), each page opened from file:// in headless Debian
 * Chromium. No console error, no request at all besides the page itself, every chart drawn with its data,
 * every number equal to summary.json / stability.json, and a screenshot of each page in
 * test-artifacts/reports/ for a human to look at.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Browser, chromium, Page } from 'playwright-core';
import { reportCommand } from '../../lambdas/cli/commands/report';
import { generateDataset } from '../../lambdas/core/generate/generator';
import { RunSummary } from '../../lambdas/core/model/summary';
import { loadOlist } from '../../lambdas/core/olist/load';
import { directorySource } from '../../lambdas/core/olist/source';
import { buildReports, REPORT_FILES } from '../../lambdas/core/report';
import { explorationStats, ExplorationStats } from '../../lambdas/core/report/exploration';
import { fmt } from '../../lambdas/core/util/format';
import { StabilityInput } from '../../lambdas/core/report/inputs';
import { handStability } from './fixtures';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = resolve(__dirname, '../../test-artifacts/reports');
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let work: string;
let reportsDir: string;
let summary: RunSummary;
let stability: StabilityInput;
let exploration: ExplorationStats;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`headless Chromium not found at ${CHROMIUM}: npm test installs it (scripts/system-deps.sh: apt-get install -y chromium) or set CHROMIUM_PATH`);
  work = mkdtempSync(join(tmpdir(), 'report-browser-'));
  const data = join(work, 'data');
  await generateDataset({ customers: 1200, seed: 11, outDir: data });
  writeFileSync(join(work, 'stability.json'), JSON.stringify(handStability(), null, 2));
  await reportCommand(['--data', data, '--out', join(work, 'out'), '--stability', join(work, 'stability.json'), '--quiet']);
  reportsDir = join(work, 'out', 'reports');
  summary = JSON.parse(readFileSync(join(reportsDir, 'summary.json'), 'utf8'));
  stability = JSON.parse(readFileSync(join(reportsDir, 'stability.json'), 'utf8'));
  exploration = explorationStats(await loadOlist(directorySource(data)));
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}, 300_000);

afterAll(async () => {
  await browser?.close();
});

interface Visit {
  page: Page;
  problems: string[];
}

/** Opens a page with every console error, page error, failed or non-file request recorded. */
async function visit(dir: string, file: string, width = 1280): Promise<Visit> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  page.on('request', (r) => {
    if (!r.url().startsWith('file://')) problems.push(`network request: ${r.url()}`);
  });
  const url = pathToFileURL(join(dir, file)).href;
  const res = await page.goto(url, { waitUntil: 'load' });
  expect(res?.ok() ?? true).toBe(true);
  return { page, problems };
}

function resolvePath(root: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o == null ? undefined : (o as Record<string, unknown>)[k]), root);
}

const PAGES = REPORT_FILES;

test('the command wrote the five pages, summary.json and stability.json', () => {
  for (const f of [...PAGES, 'summary.json', 'stability.json']) expect(existsSync(join(reportsDir, f))).toBe(true);
  expect(PAGES).toEqual(['index.html', 'exploration.html', 'model-trials.html', 'maintenance.html', 'segment-cards.html']);
});

describe.each(PAGES)('%s', (file) => {
  let v: Visit;
  beforeAll(async () => {
    v = await visit(reportsDir, file);
  });
  afterAll(async () => {
    await v.page.close();
  });

  test('opens with no console error and loads nothing from anywhere', async () => {
    const html = readFileSync(join(reportsDir, file), 'utf8');
    const external = html.replace(/xmlns(:\w+)?="[^"]*"/g, '').match(/(src|href)\s*=\s*"(https?:)?\/\/[^"]*"|<link\b[^>]*>|<img\b[^>]*>|<iframe\b|@import|url\((?!#)[^)]*\)/gi);
    expect(external).toBeNull();
    expect(await v.page.evaluate(() => String((globalThis as any).document.documentElement.lang))).toBe('en');
    expect(await v.page.title()).toMatch(/Olist customer segments$/);
    expect(v.problems).toEqual([]);
  });

  test('every chart is drawn and carries its data', async () => {
    // (callbacks run in the page: the repository's TypeScript has no DOM types, hence the `any`)
    const charts = await v.page.evaluate(() =>
      Array.from((globalThis as any).document.querySelectorAll('figure[data-chart]') as any[]).map((fig: any) => {
        const id = String(fig.getAttribute('data-chart'));
        const svg = fig.querySelector(`svg[data-chart-svg="${id}"]`);
        const script = fig.querySelector(`script[type="application/json"][data-chart="${id}"]`);
        const box = svg?.getBoundingClientRect();
        return {
          id,
          hasSvg: !!svg as boolean,
          label: String(svg?.getAttribute('aria-label') ?? ''),
          width: Number(box?.width ?? 0),
          height: Number(box?.height ?? 0),
          marks: Number(svg ? svg.querySelectorAll('g[class~="role-mark"] > *').length : 0),
          texts: svg ? Array.from(svg.querySelectorAll('text') as any[]).map((t: any) => String(t.textContent ?? '')) : [],
          rows: script ? (JSON.parse(script.textContent ?? 'null') as unknown[]) : null,
        };
      }),
    );
    const expected: Record<string, number> = { 'index.html': 0, 'exploration.html': 10, 'model-trials.html': 11, 'maintenance.html': 3, 'segment-cards.html': 1 + summary.segments.length };
    expect(charts.length).toBe(expected[file]);
    for (const c of charts) {
      expect({ id: c.id, hasSvg: c.hasSvg }).toEqual({ id: c.id, hasSvg: true });
      expect(Array.isArray(c.rows) && c.rows.length > 0).toBe(true);
      expect(c.marks).toBeGreaterThan(0);
      expect(c.width).toBeGreaterThan(150);
      expect(c.height).toBeGreaterThan(80);
      expect(c.label.length).toBeGreaterThan(30);
      expect(c.texts.join(' ')).not.toMatch(/NaN|undefined|null|Infinity/);
    }
  });

  test('every number on the page is the one in summary.json, stability.json or the export', async () => {
    const values = await v.page.evaluate(() =>
      Array.from((globalThis as any).document.querySelectorAll('[data-source][data-metric]') as any[]).map((el: any) => ({
        source: String(el.getAttribute('data-source')),
        path: String(el.getAttribute('data-metric')),
        value: String(el.getAttribute('data-value')),
        text: String(el.textContent ?? '').trim(),
      })),
    );
    expect(values.length).toBeGreaterThan(3);
    const roots: Record<string, unknown> = { summary, stability, exploration };
    for (const v2 of values) {
      const expected = resolvePath(roots[v2.source], v2.path);
      if (expected === null) {
        // A statistic over no value (NaN, null in JSON: a rule segment's delivery delay, a segment without a review) shows as a dash.
        expect({ at: `${v2.source}.${v2.path}`, value: v2.value, text: v2.text }).toEqual({ at: `${v2.source}.${v2.path}`, value: '', text: '–' });
        continue;
      }
      if (typeof expected !== 'number') throw new Error(`${file}: ${v2.source}.${v2.path} is ${JSON.stringify(expected)}, not a number`);
      expect({ at: `${v2.source}.${v2.path}`, value: Number(v2.value) }).toEqual({ at: `${v2.source}.${v2.path}`, value: expected });
      expect(v2.text.length).toBeGreaterThan(0);
      if (Number.isFinite(expected)) expect(v2.text).not.toBe('–');
    }
  });

  test('says the data is synthetic (the generated export carries provenance.json)', async () => {
    const notice = (await v.page.locator('[data-provenance="synthetic"]').textContent()) ?? '';
    expect(notice).toMatch(/^Synthetic data\. This export was generated by segments generate .*\(1,200 customers, seed 11\).*no real customer is in it/);
    expect(await v.page.locator('[data-provenance="imputed-reviews"]').count()).toBe(0);
  });

  test('screenshot', async () => {
    const path = join(ARTIFACTS, file.replace(/\.html$/, '.png'));
    await v.page.screenshot({ path, fullPage: true });
    expect(readFileSync(path).length).toBeGreaterThan(10_000);
  });
});

test('the headline numbers read as people expect them', async () => {
  const v = await visit(reportsDir, 'index.html');
  const text = async (sel: string) => (await v.page.locator(sel).first().textContent())?.trim();
  expect(await text('[data-metric="customers"]')).toBe(fmt.int(summary.customers));
  expect(await text('[data-metric="k"]')).toBe(String(summary.k));
  expect(await text('[data-metric="metrics.silhouette"]')).toBe(summary.metrics.silhouette.toFixed(3));
  // ... explained in words, not left as a bare number
  expect(await v.page.locator('.kpi', { has: v.page.locator('[data-metric="metrics.silhouette"]') }).textContent()).toMatch(/how distinct the segments are \(silhouette\)On a scale from -1 to 1 \(0: a customer is as close to the next segment as to their own/);
  expect(await text('[data-metric="recommendation.everyDays"]')).toBe(`${stability.recommendation.everyDays} days`);
  for (let i = 0; i < summary.k; i++) expect(await text(`[data-metric="segments.${i}.share"]`)).toBe(`${(summary.segments[i].share * 100).toFixed(1)}%`);
  const links = await v.page.$$eval('a[href$=".html"]', (as: any[]) => as.map((a: any) => String(a.getAttribute('href'))));
  for (const f of PAGES) expect(links).toContain(f);
  for (const l of links) expect(existsSync(join(reportsDir, l))).toBe(true);
  await v.page.close();
});

test('segment cards: one per segment, with its name, size, plain sentences and the action', async () => {
  const v = await visit(reportsDir, 'segment-cards.html');
  const cards = await v.page.$$eval('article.card', (els: any[]) =>
    els.map((el: any) => ({
      id: Number(el.getAttribute('data-segment')),
      name: String(el.querySelector('[data-segment-name]')?.textContent ?? '').trim(),
      action: String(el.querySelector('[data-action]')?.textContent ?? '').trim(),
      bullets: Array.from(el.querySelectorAll('ul > li') as any[]).map((li: any) => String(li.textContent ?? '').trim()),
      charts: Number(el.querySelectorAll('figure[data-chart] svg').length),
      segmentId: String(el.querySelector('[data-segment-id]')?.textContent ?? ''),
      list: String(el.querySelector('[data-campaign-list]')?.textContent ?? ''),
    })),
  );
  expect(cards.map((c) => c.id)).toEqual(summary.segments.map((g) => g.id));
  cards.forEach((c, i) => {
    expect(c.name).toBe(summary.segments[i].name);
    expect(c.action).toBe(summary.segments[i].action);
    expect(c.bullets.length).toBeGreaterThanOrEqual(1);
    expect(c.bullets.some((b) => /typical customer/.test(b))).toBe(true); // spend is always compared
    expect(c.charts).toBe(1);
    // which segment it is, and how to get its customers
    expect(c.segmentId).toBe(String(summary.segments[i].id));
    expect(c.list).toContain(`npx segments export --segment ${summary.segments[i].id} --out segment-${summary.segments[i].id}.csv`);
    expect(c.list).toContain(`segment_id ${summary.segments[i].id} in assignments.csv`);
  });
  await v.page.close();
});

test('maintenance: the cadence, the threshold and the contract from stability.json', async () => {
  const v = await visit(reportsDir, 'maintenance.html');
  const body = (await v.page.textContent('main')) ?? '';
  expect(body).toContain(`Retrain every ${stability.recommendation.everyDays} days`);
  const contract = (await v.page.textContent('[data-contract]')) ?? '';
  expect(contract).toContain(`every ${stability.recommendation.everyDays} days`);
  for (const t of stability.recommendation.triggers as string[]) expect(contract).toContain(t);
  expect(await v.page.locator('[data-metric="threshold"]').first().textContent()).toBe(stability.threshold.toFixed(2));
  await v.page.close();
});

test('without a simulation, the maintenance page says so plainly and still opens cleanly', async () => {
  const dir = join(work, 'no-simulation');
  mkdirSync(dir, { recursive: true });
  const files = await buildReports({ exploration, summary });
  for (const [name, html] of Object.entries(files)) writeFileSync(join(dir, name), html);
  const v = await visit(dir, 'maintenance.html');
  expect(await v.page.textContent('main')).toContain('No update-frequency simulation was run for this report');
  expect(await v.page.locator('figure[data-chart]').count()).toBe(0);
  expect(v.problems).toEqual([]);
  await v.page.screenshot({ path: join(ARTIFACTS, 'maintenance-no-simulation.png'), fullPage: true });
  // and on a phone-sized screen the cards stack and nothing overflows the page
  const phone = await visit(dir, 'segment-cards.html', 390);
  const overflow = await phone.page.evaluate(() => {
    const root = (globalThis as any).document.documentElement;
    return Number(root.scrollWidth - root.clientWidth);
  });
  expect(overflow).toBeLessThanOrEqual(0);
  await phone.page.screenshot({ path: join(ARTIFACTS, 'segment-cards-phone.png'), fullPage: true });
  await v.page.close();
  await phone.page.close();
});
