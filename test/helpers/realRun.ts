/**
 * One `segments run` and one coarse `segments simulate` of the real export per test session, shared by the test files
 * that need their outputs (summary.json, model.json, assignments.csv; stability.json): each takes half a minute or
 * more, and Jest runs those files in parallel workers. The outputs are cached in the system's temporary folder under a key of the sources and the
 * data, so a change to either runs it again; a lock folder makes the other workers wait for the first.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { OLIST_DIR } from './olist';

const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'bin/segments.js');

/** Hash of every source file the run executes, and of the data files' names, sizes and times. */
function cacheKey(): string {
  const h = createHash('sha256');
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|js|json)$/.test(name)) h.update(p).update(readFileSync(p));
    }
  };
  walk(join(ROOT, 'lambdas'));
  walk(join(ROOT, 'bin'));
  h.update(readFileSync(join(ROOT, 'package-lock.json')));
  for (const f of readdirSync(OLIST_DIR).sort()) {
    const s = statSync(join(OLIST_DIR, f));
    if (s.isFile()) h.update(`${f}:${s.size}:${s.mtimeMs}`);
  }
  return h.digest('hex').slice(0, 16);
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** The folder holding the outputs of `segments run --data OLIST_DIR` (run now, or by another worker, or earlier). */
export function realRunDir(timeoutMs = 900_000): string {
  return shared('run', ['run', '--data', OLIST_DIR, '--quiet'], timeoutMs);
}

/**
 * The arguments of the session's one coarse simulation of the real export: a fixed k, 8-week steps over 32 weeks, 2
 * seeds, the whole horizon. Enough for the maintenance page's charts and for the shape of the curve; the full method
 * (k chosen at each origin, 2-week steps) is `segments simulate`'s default and the benchmark's.
 */
export const REAL_SIMULATION_ARGS = ['--step', '8w', '--horizon', '32w', '--seeds', '2', '--k', '7', '--full-horizon'];

/** The folder holding stability.json of the session's coarse simulation of the real export. */
export function realSimulationDir(timeoutMs = 900_000): string {
  return shared('simulate', ['simulate', '--data', OLIST_DIR, ...REAL_SIMULATION_ARGS, '--quiet'], timeoutMs);
}

/** The output folder of one shared CLI invocation (args get `--out <folder>`), computed once per sources and data. */
function shared(name: string, args: string[], timeoutMs: number): string {
  const base = join(tmpdir(), `segments-real-${name}-${cacheKey()}`);
  const out = join(base, 'out');
  const done = join(base, 'done');
  const lock = `${base}.lock`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (existsSync(done)) return out;
    try {
      mkdirSync(lock);
    } catch {
      // Another worker runs it; a lock older than the timeout was left by a dead run: take it over.
      if (Date.now() - statSync(lock).mtimeMs > timeoutMs) rmSync(lock, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`waited ${timeoutMs / 1000} s for the shared real-export run (${lock})`);
      else sleep(1000);
      continue;
    }
    try {
      rmSync(base, { recursive: true, force: true });
      mkdirSync(base, { recursive: true });
      const r = spawnSync(process.execPath, [BIN, ...args, '--out', out], { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 1 << 26 });
      if (r.status !== 0) throw new Error(`segments ${args[0]} on the real export failed: ${r.stderr}`);
      writeFileSync(done, new Date().toISOString());
      return out;
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}
