/**
 * The `segments` command as a user runs it (a child process): generate, run, assign, --json, --help,
 * and errors as one clear line with a non-zero exit.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeMiniExport } from '../helpers/miniExport';

const BIN = resolve(__dirname, '../../bin/segments.js');
const segments = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 300_000 });

describe('segments CLI', () => {
  const work = mkdtempSync(join(tmpdir(), 'segments-cli-'));
  const data = join(work, 'data');
  const out = join(work, 'out');

  beforeAll(() => {
    const g = segments('generate', '--customers', '3000', '--seed', '11', '--out', data, '--quiet');
    expect(g.stderr).toBe('');
    expect(g.status).toBe(0);
  }, 120_000);

  test('--help lists every command', () => {
    const r = segments('--help');
    expect(r.status).toBe(0);
    for (const c of ['run', 'assign', 'generate', 'simulate', 'check', 'report', 'start']) expect(r.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
  });

  test('run --json writes the four outputs and prints summary.json on stdout', () => {
    const r = segments('run', '--data', data, '--out', out, '--json');
    expect(r.stderr).toBe(''); // progress is silent when stderr is not a terminal
    expect(r.status).toBe(0);
    const printed = JSON.parse(r.stdout);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(printed).toEqual(summary);
    expect(summary.customers).toBeGreaterThan(2800);
    expect(summary.k).toBeGreaterThanOrEqual(4);
    for (const key of ['silhouette', 'daviesBouldin', 'calinskiHarabasz', 'inertia']) expect(typeof summary.metrics[key]).toBe('number');
    expect(summary.sweep.map((s: { k: number }) => s.k)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const s of summary.segments) {
      for (const key of ['id', 'name', 'size', 'share', 'action']) expect(s[key]).toBeDefined();
      for (const f of ['recencyDays', 'frequency', 'monetary', 'reviewScore']) expect(typeof s.profile[f]).toBe('number');
    }
    // Every person of the export has a segment: the clustered customers and the rule segments.
    expect(summary.segments.reduce((a: number, s: { size: number }) => a + s.size, 0)).toBe(summary.people);
    expect(summary.people).toBe(3000);
    expect(summary.segments.filter((s: { kind: string }) => s.kind === 'cluster')).toHaveLength(summary.k);
    for (const stage of ['load', 'features', 'sweep', 'total']) expect(summary.timings[stage]).toBeGreaterThanOrEqual(0);

    const model = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    expect(model.version).toBe(summary.modelVersion);
    expect(model.features.map((f: { name: string }) => f.name)).toContain('monetary');
    expect(model.centroids).toHaveLength(model.k);
    expect(model.dataFingerprint).toMatch(/^[0-9a-f]{64}$/);
    const csv = readFileSync(join(out, 'assignments.csv'), 'utf8').trimEnd().split('\n');
    expect(csv[0]).toMatch(/^customer_unique_id,segment_id,segment_name,recencyDays,frequency,monetary,reviewScore/);
    expect(csv).toHaveLength(summary.people + 1);
    expect(readdirSync(out).filter((f) => f.startsWith('.partial'))).toEqual([]);
  }, 300_000);

  test('run prints a readable table; --k overrides the choice', () => {
    const r = segments('run', '--data', data, '--out', join(work, 'k5'), '--k', '5');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/k = 5 \(fixed\)/);
    expect(r.stdout).toMatch(/id\s+segment\s+people\s+share/);
    expect(r.stdout).toMatch(/Recommended actions:/);
    expect(r.stdout).toMatch(/^About this data: synthetic data \(segments generate\), no real customer in it\.$/m);
  }, 300_000);

  test('assign labels new data with the stored model, including customers the model never saw', () => {
    const other = join(work, 'other');
    expect(segments('generate', '--customers', '1500', '--seed', '12', '--out', other, '--quiet').status).toBe(0);
    const r = segments('assign', '--model', join(out, 'model.json'), '--data', other, '--out', join(work, 'assigned'), '--json');
    expect(r.status).toBe(0);
    const res = JSON.parse(r.stdout);
    const model = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    expect(res.modelVersion).toBe(model.version);
    expect(res.customers).toBeGreaterThan(1300);
    expect(res.segments.map((s: { id: number }) => s.id)).toEqual(model.segments.map((s: { id: number }) => s.id));
    expect(existsSync(join(work, 'assigned', 'assignments.csv'))).toBe(true);
  }, 120_000);

  test('report --model: the pages of the run’s model, nothing segmented again; other data is refused', () => {
    const r = segments('report', '--data', data, '--out', out, '--model', out, '--json');
    expect(r.status).toBe(0);
    const printed = JSON.parse(r.stdout);
    const reported = JSON.parse(readFileSync(printed.summary, 'utf8'));
    const run = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(reported.modelVersion).toBe(run.modelVersion);
    expect(reported.segments).toEqual(run.segments);
    expect(reported.sweep).toEqual(run.sweep);
    expect(readFileSync(join(out, 'reports', 'segment-cards.html'), 'utf8')).toContain(`npx segments export --segment ${run.segments[0].id}`);
    const other = join(work, 'other-data');
    expect(segments('generate', '--customers', '300', '--seed', '2', '--out', other, '--quiet').status).toBe(0);
    const wrong = segments('report', '--data', other, '--out', join(work, 'r2'), '--model', join(out, 'model.json'));
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/was trained on other data than --data .*segments assign/);
    const k = segments('report', '--data', data, '--out', join(work, 'r3'), '--model', out, '--k', '5');
    expect(k.status).toBe(2);
    expect(k.stderr).toMatch(/--k, --seed and --as-of do not apply/);
  }, 300_000);

  test('a malformed file: one line naming the file, line and column; exit 1; nothing written', () => {
    const bad = writeMiniExport({
      'olist_order_payments_dataset.csv': '"order_id","payment_sequential","payment_type","payment_installments","payment_value"\no1,1,credit_card,3,110.00\no2,1,pix,1,20.00\n',
    });
    const dest = join(work, 'bad-out');
    const r = segments('run', '--data', bad, '--out', dest);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe('segments run: olist_order_payments_dataset.csv, line 3, column payment_type (3): expected one of credit_card, boleto, voucher, debit_card, not_defined, found "pix"');
    expect(existsSync(join(dest, 'model.json'))).toBe(false);
  });

  test('missing tables and bad options are one-line errors', () => {
    mkdirSync(join(work, 'empty'));
    const r = segments('run', '--data', join(work, 'empty'), '--out', join(work, 'x'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/missing tables olist_customers_dataset\.csv, .*olist_orders_dataset\.csv/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const u = segments('run', '--data', data);
    expect(u.status).toBe(2);
    expect(u.stderr).toMatch(/missing --out/);
    const k = segments('run', '--data', data, '--out', join(work, 'x'), '--k', 'many');
    expect(k.status).toBe(2);
    expect(k.stderr).toMatch(/--k expects an integer/);
    const d = segments('run', '--data', data, '--out', join(work, 'x'), '--as-of', '31/12/2017');
    expect(d.stderr).toMatch(/--as-of expects a date YYYY-MM-DD/);
    writeFileSync(join(work, 'model.txt'), 'not json');
    expect(segments('assign', '--model', join(work, 'model.txt'), '--data', data, '--out', join(work, 'y')).stderr).toMatch(/not a readable model file/);
  });
});
