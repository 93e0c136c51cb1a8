/**
 * The import rules of ARCHITECTURE.md, checked on the real import graph by dependency-cruiser (.dependency-cruiser.cjs):
 * the layers of lambdas/core (a folder imports only from layers below its own), a core free of AWS and of the store,
 * generic cluster/ and util/, and shipped code (lambdas/, lib/) that imports no benchmark, script or test.
 * dependency-cruiser runs as its CLI in a child process (an ES module, which Jest's module system does not load).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { CORE_LAYERS } = require(CONFIG) as { CORE_LAYERS: string[][] };

interface Violation {
  from: string;
  to: string;
  rule: { name: string; severity: string };
}

test('every folder and root file of lambdas/core has a layer in .dependency-cruiser.cjs', () => {
  const layered = new Set(CORE_LAYERS.flat());
  const members = readdirSync(join(ROOT, 'lambdas/core'), { withFileTypes: true })
    .filter((e) => e.isDirectory() || e.name.endsWith('.ts'))
    .map((e) => e.name);
  expect(members.filter((m) => !layered.has(m))).toEqual([]);
  expect([...layered].filter((m) => !members.includes(m))).toEqual([]);
});

test('the import graph keeps the layers (dependency-cruiser finds no violation)', () => {
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs'), '--config', CONFIG, '--output-type', 'json', 'lambdas', 'lib', 'bench', 'scripts', 'bin'], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  // Exit status is the number of errors; the JSON on stdout says which.
  if (!r.stdout) throw new Error(`dependency-cruiser did not run: status ${r.status}\n${r.stderr}`);
  const result = JSON.parse(r.stdout) as { summary: { violations: Violation[]; totalCruised: number } };
  const violations = result.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`);
  expect(violations).toEqual([]);
  // The graph is the real one: all of lambdas/ and lib/ (about 240 modules in December 2026), not an empty folder.
  expect(result.summary.totalCruised).toBeGreaterThan(200);
}, 120_000);
