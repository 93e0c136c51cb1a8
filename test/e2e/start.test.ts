/**
 * `npm start` as a newcomer runs it again and again on a local state that outlives each run: it always says what
 * became of the dataset it was given and which model is active and from which dataset, its hints work on the model
 * it printed (`export --segment 0` writes what `query --segment 0` pages through, the campaign lists match their
 * manifest), --fresh starts from an empty state, and `query --segment` on a segment that does not exist names the
 * ones that do. Child processes on a temporary --state (the emulators on random ports).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateDataset } from '../../lambdas/core/generate/generator';

const BIN = resolve(__dirname, '../../bin/segments.js');
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_')));
const segments = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 600_000, env });

describe('npm start on a local state that outlives each run', () => {
  const work = mkdtempSync(join(tmpdir(), 'segments-start-'));
  const state = join(work, 'state');
  const other = join(work, 'other-export');
  // Small exports: what is tested is what start says and does on a state that outlives it, not the size it handles.
  const start = (...args: string[]) => segments('start', '--state', state, '--customers', '600', ...args);
  let first: ReturnType<typeof segments>;

  beforeAll(async () => {
    // seed 9: its data ends after the default dataset's (2018-09-17 against 2018-09-11), so its model replaces the default one.
    await generateDataset({ customers: 500, seed: 9, outDir: other });
    first = start();
  }, 600_000);

  test('first run: the default dataset is processed now, its model is active, and the hints work on it', () => {
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    const out = first.stdout;
    expect(out).toMatch(/^Processed dataset generated-600-seed1-[0-9a-f]{8} now \(the generated default dataset, 600 customers, seed 1\): model \S+ is active\.$/m);
    expect(out).toMatch(/^Active model \S+: 600 people, [\d,]+ customers in \d+ clustered segments and [\d,]+ without a delivered order in rule segments, data as of \d{4}-\d\d-\d\d, from dataset generated-600-seed1-[0-9a-f]{8}$/m);
    expect(out).toMatch(/id\s+segment\s+customers\s+share\s+mean orders\s+median spend\s+mean review/);
    expect(out).toMatch(/^Path: single function \(ingest, then train\): [\d,]+ people \(estimated from the customers table's size\): within 60% of the single function's limits/m);
    expect(out).toMatch(/^IAM: \d+ distinct requests of the functions checked against their roles as synthesized from lib\/, 0 denied$/m);
    // The hints name a segment of this model, and running them lists customers of that segment, then one customer's why.
    const hint = /npx segments query --segment (\d+) --limit 5 --state (\S+), then npx segments query --customer ID/.exec(out);
    expect(hint).not.toBeNull();
    const q = segments('query', '--segment', hint![1], '--limit', '5', '--state', state);
    expect(q.status).toBe(0);
    expect(q.stdout).toMatch(new RegExp(`^Segment ${hint![1]} "[^"]+": [\\d,]+ people in model`));
    const ids = q.stdout.split('\n').filter((l) => /^[0-9a-f]{32}\s/.test(l));
    expect(ids).toHaveLength(5);
    const who = segments('query', '--customer', ids[0].split(/\s/)[0], '--state', state);
    expect(who.stdout).toMatch(/^ {2}why: .+\n {2}next nearest: segment \d+ "[^"]+", margin [\d.]+/m);
    const lists = /npx segments export --segment (\d+) --out segment-\d+\.csv --state \S+ +\("[^"]+"; every segment's list: (\S+)\)/.exec(out);
    expect(lists).not.toBeNull();
    expect(existsSync(join(lists![2], 'manifest.json'))).toBe(true);
    // The reports the stack wrote say the data is synthetic (the generated export's provenance.json went up with it).
    const reports = /^ {2}the reports: +(\S+index\.html)$/m.exec(out);
    expect(reports).not.toBeNull();
    expect(readFileSync(reports![1], 'utf8')).toMatch(/data-provenance="synthetic"><strong>Synthetic data\.<\/strong>/);
  });

  test('export --segment 0 writes exactly the customers query --segment 0 pages through; the lists match their manifest', () => {
    const file = join(work, 'segment-0.csv');
    const e = segments('export', '--segment', '0', '--out', file, '--state', state);
    expect(e.status).toBe(0);
    expect(e.stdout).toMatch(new RegExp(`^Wrote [\\d,]+ customers of segment 0 "[^"]+" \\(model \\S+\\) to ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    const paged: string[] = [];
    let cursor: string | undefined;
    do {
      const page = JSON.parse(segments('query', '--segment', '0', '--limit', '1000', '--json', '--state', state, ...(cursor ? ['--cursor', cursor] : [])).stdout);
      paged.push(...page.customers.map((c: { customerId: string }) => c.customerId));
      cursor = page.nextCursor;
    } while (cursor);
    const exported = readFileSync(file, 'utf8').trimEnd().split('\n').slice(1).map((l) => l.split(',')[0]);
    expect(exported).toEqual(paged);
    // The lists the stack wrote at activation, copied into STATE/exports/<version>/: each file as its manifest says.
    const version = /^Active model (\S+):/m.exec(first.stdout)![1];
    const dir = join(state, 'exports', version);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(manifest.modelVersion).toBe(version);
    for (const f of manifest.files) {
      const bytes = readFileSync(join(dir, `segment-${f.segmentId}.csv`));
      expect([bytes.length, createHash('sha256').update(bytes).digest('hex'), bytes.toString('utf8').trimEnd().split('\n').length - 1]).toEqual([f.bytes, f.sha256, f.rows]);
    }
    expect(readFileSync(join(dir, 'segment-0.csv')).equals(readFileSync(file))).toBe(true);
  }, 120_000);

  test('query --segment on a segment the model does not have: exit 1, naming the segments it has', () => {
    const q = segments('query', '--segment', '99', '--state', state);
    expect(q.status).toBe(1);
    expect(q.stderr.trim()).toMatch(/^segments query: segment 99 is not in the active model; its segments are \d+ "[^"]+"(, \d+ "[^"]+")+$/);
  });

  test('the same dataset again: said to be processed earlier, nothing redone', () => {
    const again = start();
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(/^Dataset generated-600-seed1-[0-9a-f]{8} \(the generated default dataset, .*\) was already processed on \d{4}-\d\d-\d\d \d\d:\d\d UTC \(model \S+\); nothing to do\./m);
    expect(again.stdout).not.toMatch(/Uploading/);
  }, 300_000);

  test('another export above --distributed-above takes the distributed path and says so; then the default again: the active model comes from the other dataset', () => {
    const mine = start('--data', other, '--distributed-above', '400');
    expect(mine.status).toBe(0);
    expect(mine.stdout).toMatch(/^Path: distributed \(Step Functions state machine, execution other-export-[0-9a-f]{8}-1, run locally from its synthesized definition\): [\d,]+ people \(estimated from the customers table's size\) above the configured threshold of 400 \(distributedAbove\)\.$/m);
    const otherId = /Processed dataset (other-export-[0-9a-f]{8}) now \(the export in .*\)/.exec(mine.stdout)?.[1];
    expect(otherId).toBeDefined();
    const back = start();
    expect(back.status).toBe(0);
    expect(back.stdout).toMatch(/was already processed on/);
    expect(back.stdout).toMatch(new RegExp(`from dataset ${otherId} \\(not generated-600-seed1-[0-9a-f]{8}: npm start -- --fresh starts afresh\\)`));
  }, 600_000);

  test('--fresh: an empty state, the default dataset processed again', () => {
    const fresh = start('--fresh');
    expect(fresh.status).toBe(0);
    expect(fresh.stdout).toMatch(/^Fresh start: emptied the local state/m);
    expect(fresh.stdout).toMatch(/^Processed dataset generated-600-seed1-[0-9a-f]{8} now .*: model \S+ is active\.$/m);
    expect(fresh.stdout).not.toMatch(/\(not generated/);
  }, 300_000);
});
