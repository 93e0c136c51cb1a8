/**
 * The bad-input cases of test/helpers/badInputs.ts through `segments run --data DIR` (a child process):
 * a rejected export exits 1 with exactly one line on stderr naming the file, line, column, what was
 * expected and what was found, the same error as JSON on stdout with --json, and nothing written; the
 * input folder is left as it was. Accepted cases with tolerated rows or orphans report them in summary.json.
 * (The stack's own table, with run records and the active model, is test/pipeline/bad-input.test.ts.)
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliBatch, type CliResult } from '../helpers/cliBatch';
import { generateDataset } from '../../lambdas/core/generate/generator';
import { BadInputCase, CASES, Files, readExport } from '../helpers/badInputs';

const work = mkdtempSync(join(tmpdir(), 'segments-bad-cli-'));
let good: Files;

const outcomeOf = (c: BadInputCase) => (c.cli ? c.cli.outcome : c.outcome);
// Rejections all; of the accepted cases, those that must report what they tolerated (each one trains).
const cases = CASES.filter((c) => c.cli !== false && (outcomeOf(c) === 'rejected' || (c.outcome === 'accepted' && c.message)));
const runs = new Map<string, { dir: string; out: string; files: Files; result: CliResult }>();

beforeAll(async () => {
  await generateDataset({ customers: 1500, seed: 5, outDir: join(work, 'good') });
  good = readExport(join(work, 'good'));
  // Every case's export, then every `segments run` in one child process (test/helpers/cliBatch.ts): the same
  // command line, output and exit code as from a shell, without a Node start-up per case.
  const prepared = cases.map((c) => {
    const dir = mkdtempSync(join(work, 'case-'));
    const files: Files = Object.fromEntries(Object.entries(good).map(([f, b]) => [f, Buffer.from(b)]));
    c.mutate(files);
    for (const [f, b] of Object.entries(files)) writeFileSync(join(dir, f), b);
    const out = join(dir, 'out');
    mkdirSync(out);
    const tolerance = c.env?.MAX_INVALID_ROWS ? ['--max-invalid-rows', c.env.MAX_INVALID_ROWS] : [];
    return { c, dir, out, files, args: ['run', '--data', dir, '--out', out, '--k', '4', '--json', ...tolerance] };
  });
  const results = cliBatch(prepared.map((p) => ({ args: p.args })));
  prepared.forEach((p, i) => runs.set(p.c.name, { dir: p.dir, out: p.out, files: p.files, result: results[i] }));
}, 300_000);

describe('segments run on bad input: exit code, one line, nothing written', () => {
  test.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c: BadInputCase) => {
    const { dir, out, files, result: r } = runs.get(c.name)!;
    const message = (c.cli ? c.cli.message : undefined) ?? c.message!;

    if (outcomeOf(c) === 'rejected') {
      expect(r.status).toBe(1);
      const lines = r.stderr.split('\n').filter((l) => l.trim());
      expect(lines).toHaveLength(1);
      expect(lines[0].startsWith('segments run: ')).toBe(true);
      expect(lines[0].slice('segments run: '.length)).toMatch(message);
      const printed = JSON.parse(r.stdout) as { error: { message: string; file?: string; line?: number; column?: string } };
      expect(`segments run: ${printed.error.message}`).toBe(lines[0]);
      if (c.where && !c.cli) expect(printed.error).toMatchObject(c.where);
      expect(readdirSync(out)).toEqual([]); // no model, no partial folder
    } else {
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const summary = JSON.parse(r.stdout) as { warnings: string[]; modelVersion: string };
      expect(summary.warnings[0]).toMatch(message);
      expect(existsSync(join(out, 'model.json'))).toBe(true);
    }
    // the input is read, never changed
    for (const [f, b] of Object.entries(files)) expect(statSync(join(dir, f)).size).toBe(b.length);
  }, 60_000);
});
