/**
 * Hostile exports (test/helpers/hostileInputs.ts) through the stack (s3rver + dynalite, the Lambda handlers) and the
 * CLI (a child process) with one emulator for the whole file: each case gets its documented outcome, with the same
 * message in both (the CLI's error line is `segments <command>: ` + the stack's run reason, character for character;
 * an accepted case's warnings are the same list), nothing lost (raw objects intact, the previous model active when
 * rejected), and every assignments.csv reads back in Python's csv module with the same rows as the product's reader,
 * no text cell starting a formula and no skipped id anywhere.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { generateDataset } from '../../lambdas/core/generate/generator';
import { readAssignments } from '../../lambdas/core/model/assignmentsCsv';
import { isValidId } from '../../lambdas/core/ids';
import { LocalStack, startLocalStack } from '../../lambdas/local/runtime';
import { artifactKeys, datasetPrefix } from '../../lambdas/pipeline/datasets';
import type { DatasetFacts } from '../../lambdas/pipeline/ingest';
import { Files, readExport } from '../helpers/badInputs';
import { HOSTILE_CASES, HostileCase } from '../helpers/hostileInputs';

const BIN = resolve(__dirname, '../../bin/segments.js');
const work = mkdtempSync(join(tmpdir(), 'segments-hostile-'));
let stack: LocalStack;
let good: Files;

async function upload(datasetId: string, files: Files): Promise<void> {
  for (const [file, body] of Object.entries(files)) {
    await stack.runtime.stores.raw.putStream(datasetPrefix(datasetId) + file, Readable.from([body]), { contentLength: body.length });
  }
}

/** The active version and what the table serves for a few of its people. */
async function snapshot() {
  const { segments, artifacts } = stack.runtime.stores;
  const version = (await segments.getActivePointer())!.version;
  const ids: string[] = [];
  await readAssignments('assignments.csv', await artifacts.get(artifactKeys.assignments(version)), (id) => ids.push(id));
  const sample = [1, 97, 303, ids.length - 1].map((i) => ids[i]);
  return { version, customers: await Promise.all(sample.map((id) => segments.getCustomer(id))) };
}

/**
 * An assignments.csv read by Python's csv module and by the product's reader: the same rows, one per person, every id
 * under the rule, no text cell beginning a formula (a cell may begin with "-" only as a number), no skipped id.
 */
async function checkAssignments(text: string, people: number, absent: string[] = []): Promise<void> {
  const file = join(mkdtempSync(join(work, 'csv-')), 'assignments.csv');
  writeFileSync(file, text);
  const py = spawnSync('/usr/bin/python3', ['-c', 'import csv, json, sys\nwith open(sys.argv[1], newline="", encoding="utf-8") as f: print(json.dumps(list(csv.reader(f))))', file], { encoding: 'utf8', maxBuffer: 1 << 28 });
  expect(py.stderr).toBe('');
  const rows = JSON.parse(py.stdout) as string[][];
  expect(rows).toHaveLength(people + 1);
  const ours: [string, string][] = [];
  await readAssignments(file, Readable.from([text]), (id, segment) => ours.push([id, String(segment)]));
  expect(rows.slice(1).map((r) => [r[0], r[1]])).toEqual(ours);
  for (const row of rows.slice(1)) {
    expect(row).toHaveLength(rows[0].length);
    expect(isValidId(row[0])).toBe(true);
    for (const c of row) {
      expect(/^[=+@\t\r]/.test(c)).toBe(false);
      if (c.startsWith('-')) expect(Number.isFinite(Number(c))).toBe(true);
    }
  }
  for (const id of absent) expect(text.includes(id)).toBe(false);
}

beforeAll(async () => {
  await generateDataset({ customers: 600, seed: 5, outDir: join(work, 'good') });
  good = readExport(join(work, 'good'));
  const env = { FIXED_K: '4', TRAIN_SWEEP: 'false', TRAIN_COMPARE: 'false', TRAIN_REPORTS: 'false' };
  stack = await startLocalStack({ dir: join(work, 'state'), inMemoryDynamo: true, env });
  await upload('good', good);
  await stack.idle();
  expect(stack.failures).toEqual([]);
  expect((await stack.runtime.stores.segments.getRun('good'))!.status).toBe('succeeded');
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('hostile exports: the documented outcome, the same message in the stack and the CLI, nothing lost', () => {
  test.each(HOSTILE_CASES.map((c, i) => [c.name, c, i] as const))('%s', async (_name, c: HostileCase, i: number) => {
    const { segments, artifacts, raw } = stack.runtime.stores;
    const files: Files = Object.fromEntries(Object.entries(good).map(([f, b]) => [f, Buffer.from(b)]));
    c.mutate(files);

    // The stack: upload, the functions run on the S3 events.
    const datasetId = c.datasetId ?? `hostile-${String(i).padStart(2, '0')}`;
    const before = await snapshot();
    // The functions' environment, as a Lambda configuration update sets it (their runtimes are their own).
    if (c.maxInvalidRows !== undefined) stack.updateFunctionEnv({ MAX_INVALID_ROWS: String(c.maxInvalidRows) });
    try {
      await upload(datasetId, files);
      await stack.idle();
    } finally {
      stack.updateFunctionEnv({ MAX_INVALID_ROWS: undefined });
    }
    expect(stack.failures).toEqual([]); // an outcome, never a fault that Lambda would retry
    const run = (await segments.getRun(datasetId))!;

    // The CLI on the same files.
    const dir = mkdtempSync(join(work, 'case-'));
    for (const [f, b] of Object.entries(files)) writeFileSync(join(dir, f), b);
    const out = join(dir, 'out');
    mkdirSync(out);
    const tolerance = c.maxInvalidRows !== undefined ? ['--max-invalid-rows', String(c.maxInvalidRows)] : [];
    const args = c.cli ? c.cli(dir, out, join(dir, 'state')) : ['run', '--data', dir, '--out', out, '--k', '4', '--json', ...tolerance];
    const cli = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 90_000 });

    if (c.outcome === 'rejected') {
      expect(run.status).toBe('rejected');
      expect(run.reasons).toEqual([expect.stringMatching(c.message)]);
      if (c.where) expect((await artifacts.getJson<{ error: unknown }>(artifactKeys.error(datasetId))).error).toMatchObject(c.where);
      expect(await snapshot()).toEqual(before); // the previous model stays active, its people as they were
      expect(cli.status).toBe(c.cliExit ?? 1);
      expect(cli.stderr.split('\n').filter((l) => l.trim())).toEqual([`segments ${args[0]}: ${run.reasons[0]}`]);
    } else {
      expect(run.status).toBe('succeeded');
      expect(run.reasons[0]).toMatch(c.message);
      expect(cli.stderr).toBe('');
      expect(cli.status).toBe(0);
      expect((JSON.parse(cli.stdout) as { warnings: string[] }).warnings).toEqual(run.reasons);
      const record = (await segments.getModel(run.modelVersion!))!;
      await checkAssignments(await artifacts.getText(artifactKeys.assignments(run.modelVersion!)), record.model.people!, c.absent);
      await checkAssignments(readFileSync(join(out, 'assignments.csv'), 'utf8'), record.model.people!, c.absent);
      for (const id of c.absent ?? []) expect(await segments.getCustomer(id)).toBeUndefined();
      // Whatever the free text of the export, the facts behind the reports stay bounded.
      const facts = await artifacts.getJson<DatasetFacts>(artifactKeys.datasetFacts(datasetId));
      expect(facts.exploration.customersByState.length).toBeLessThanOrEqual(29);
      expect(facts.exploration.counts.states).toBeLessThanOrEqual(27);
    }

    // The raw data stays, object for object.
    const stored = await raw.list(datasetPrefix(datasetId));
    expect(Object.fromEntries(stored.map((o) => [o.key.slice(datasetPrefix(datasetId).length), o.size]))).toEqual(Object.fromEntries(Object.entries(files).map(([f, b]) => [f, b.length])));
  }, 120_000);
});
