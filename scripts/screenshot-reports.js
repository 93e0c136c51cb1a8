#!/usr/bin/env node
// Screenshots of report pages in headless Chromium (playwright-core), for people to look at and for docs/.
//   node scripts/screenshot-reports.js REPORTS_DIR OUT_DIR [--width 1280] [--pages a.html,b.html] [--selector CSS]
// Each page is written as OUT_DIR/<page>-<width>.png (full page, or the first element matching --selector).
const { chromium } = require('playwright-core');
const { mkdirSync } = require('node:fs');
const { join, resolve } = require('node:path');
const { pathToFileURL } = require('node:url');

async function main(argv) {
  const [dir, out, ...rest] = argv;
  if (!dir || !out) throw new Error('usage: node scripts/screenshot-reports.js REPORTS_DIR OUT_DIR [--width N] [--pages a.html,b.html] [--selector CSS]');
  const opt = (name, fallback) => (rest.includes(`--${name}`) ? rest[rest.indexOf(`--${name}`) + 1] : fallback);
  const width = Number(opt('width', '1280'));
  const pages = opt('pages', 'index.html,exploration.html,model-trials.html,maintenance.html,segment-cards.html').split(',');
  const selector = opt('selector', undefined);
  mkdirSync(out, { recursive: true });
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  try {
    for (const file of pages) {
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      await page.goto(pathToFileURL(resolve(dir, file)).href);
      const path = join(out, `${file.replace(/\.html$/, '')}-${width}.png`);
      if (selector) await page.locator(selector).first().screenshot({ path });
      else await page.screenshot({ path, fullPage: true });
      process.stdout.write(path + '\n');
      await page.close();
    }
  } finally {
    await browser.close();
  }
}

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`screenshot-reports: ${err.message}\n`);
  process.exitCode = 1;
});
