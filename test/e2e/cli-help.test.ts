/**
 * The help a newcomer gets from `segments`: every command's --help lists each option with its default and an
 * example; mistyped commands and options get the nearest suggestion; internal commands stay hidden; usage mistakes
 * are one line and exit 2. Run as a user runs it (child processes).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliBatch, type CliResult } from '../helpers/cliBatch';
import { SPECS as PRODUCT_SPECS, SIMULATE, RUN, CHECK, MODELS } from '../../lambdas/cli/specs';
import { BENCH_SPECS } from '../../bench/specs';
import { SIMULATION_DEFAULTS, DEFAULT_CADENCE_DAYS } from '../../lambdas/core/stability';
import { DEFAULT_SEED } from '../../lambdas/core/model/train';
import { DEFAULT_RETENTION_POLICY } from '../../lambdas/core/retention/plan';

/** Without the variables npm sets for `npm test`, as a user's shell has them. */
const cleanEnv = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_')));
/** Every command `segments` offers: the product's and the benchmarks bin/segments.js adds. */
const SPECS = [...PRODUCT_SPECS, ...BENCH_SPECS];
const dir = mkdtempSync(join(tmpdir(), 'cli-help-'));
const file = join(dir, 'olist_orders_dataset.csv');
writeFileSync(file, 'order_id\n');
const npmEnv = (extra: Record<string, string>) => ({ ...cleanEnv(), npm_lifecycle_event: 'start', npm_lifecycle_script: 'node bin/segments.js start', ...extra });

/** Every invocation of this file, run in one child process (test/helpers/cliBatch.ts) before the tests read them. */
const INVOCATIONS: { args: string[]; env?: NodeJS.ProcessEnv }[] = [
  { args: ['--help'] },
  ...SPECS.filter((s) => !s.hidden).map((s) => ({ args: [s.name, '--help'] })),
  ...[['rnu'], ['run', '--kk', '3'], ['run', '--dat', 'x'], ['query', '--segmnet', '2'], ['start', 'extra']].map((args) => ({ args })),
  ...[['run', '--out', dir], ['report', '--out', dir], ['simulate'], ['start']].map((cmd) => ({ args: [...cmd, '--data', file] })),
  { args: ['run', '--out', dir, '--data', join(dir, 'nowhere')] },
  { args: ['start', '../shared/olist'], env: npmEnv({ npm_config_data: 'true' }) },
  { args: ['start'], env: npmEnv({ npm_config_fresh: 'true' }) },
];
let results: CliResult[] = [];
beforeAll(() => {
  results = cliBatch(INVOCATIONS.map((i) => ({ args: i.args, env: i.env ?? cleanEnv() })));
}, 120_000);
const segments = (args: string[], env?: NodeJS.ProcessEnv): CliResult => {
  const at = INVOCATIONS.findIndex((i) => JSON.stringify(i.args) === JSON.stringify(args) && (env === undefined ? i.env === undefined : JSON.stringify(i.env) === JSON.stringify(env)));
  if (at < 0) throw new Error(`segments ${args.join(' ')}: not in INVOCATIONS`);
  return results[at];
};
const flat = (s: string) => s.replace(/\s+/g, ' ');

test('--help lists the commands people use, not the internal ones', () => {
  const r = segments(['--help']);
  expect(r.status).toBe(0);
  for (const spec of SPECS) {
    const listed = new RegExp(`^  ${spec.name} `, 'm').test(r.stdout);
    expect({ command: spec.name, listed }).toEqual({ command: spec.name, listed: !spec.hidden });
  }
  expect(r.stdout).not.toMatch(/bench-worker|bench-scale-worker/);
  expect(r.stdout).toMatch(/Examples:\n {2}npm start/);
});

test.each(SPECS.filter((s) => !s.hidden).map((s) => [s.name, s] as const))('segments %s --help: every option, its default, an example', (name, spec) => {
  const r = segments([name, '--help']);
  expect(r.status).toBe(0);
  const help = flat(r.stdout);
  for (const [option, def] of Object.entries(spec.options)) {
    expect(help).toContain(`--${option}${def.value ? ` <${def.value}>` : ''} `);
    const shown = def.default ?? def.defaultText;
    if (shown !== undefined) expect(help).toContain(flat(`(default: ${shown})`));
    if (def.required) expect(help).toContain(`${flat(def.help)} (required)`);
  }
  expect(spec.examples.length).toBeGreaterThan(0);
  expect(help).toContain(`Examples: ${flat(spec.examples[0])}`);
});

test('the defaults the help shows are the ones the code applies', () => {
  expect(SIMULATE.options.step.defaultText).toBe(`${SIMULATION_DEFAULTS.stepDays}d`);
  expect(SIMULATE.options.horizon.defaultText).toBe(`${SIMULATION_DEFAULTS.horizonDays / 7}w`);
  expect(SIMULATE.options.threshold.defaultText).toBe(String(SIMULATION_DEFAULTS.threshold));
  expect(SIMULATE.options.seeds.defaultText).toBe(String(SIMULATION_DEFAULTS.seeds));
  expect(CHECK.options.threshold.defaultText).toMatch(new RegExp(`^${SIMULATION_DEFAULTS.threshold}\\b`));
  expect(CHECK.options['cadence-days'].defaultText).toMatch(new RegExp(`^${DEFAULT_CADENCE_DAYS}\\b`));
  expect(RUN.options.seed.defaultText).toBe(String(DEFAULT_SEED));
  expect(MODELS.options.keep.defaultText).toBe(String(DEFAULT_RETENTION_POLICY.keepVersions));
});

test('a mistyped command or option gets the nearest suggestion, exit 2, one line', () => {
  const cases: [string[], RegExp][] = [
    [['rnu'], /^segments: unknown command "rnu" \(did you mean run\?\); see segments --help$/],
    [['run', '--kk', '3'], /^segments run: unknown option --kk \(did you mean --k\?\); see segments run --help$/],
    [['run', '--dat', 'x'], /unknown option --dat \(did you mean --data\?\)/],
    [['query', '--segmnet', '2'], /unknown option --segmnet \(did you mean --segment\?\)/],
    [['start', 'extra'], /^segments start: unexpected "extra": every value follows its option/],
  ];
  for (const [args, expected] of cases) {
    const r = segments(args);
    expect({ args, status: r.status }).toEqual({ args, status: 2 });
    expect(r.stderr.trim()).toMatch(expected);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  }
});

test('--data pointing at a file or nowhere says so', () => {
  for (const cmd of [['run', '--out', dir], ['report', '--out', dir], ['simulate'], ['start']]) {
    const r = segments([...cmd, '--data', file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`--data ${file} is a file, not a folder`);
  }
  const r = segments(['run', '--out', dir, '--data', join(dir, 'nowhere')]);
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('no such folder');
});

test('`npm start --data DIR` without `--`: npm keeps the option, the CLI says how to pass it', () => {
  // What npm does with it: npm_config_data=true, and DIR passed on as a bare word.
  const r = segments(['start', '../shared/olist'], npmEnv({ npm_config_data: 'true' }));
  expect(r.status).toBe(2);
  expect(r.stderr.trim()).toBe('segments start: npm kept --data for itself: options for the command go after `--`, as in `npm start -- --data ../shared/olist`');
  const fresh = segments(['start'], npmEnv({ npm_config_fresh: 'true' }));
  expect(fresh.stderr).toContain('as in `npm start -- --fresh`');
});
