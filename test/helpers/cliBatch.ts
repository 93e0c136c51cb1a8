/**
 * Many `segments` invocations in one child process (cliBatchChild.js): each is what a user's shell would run (its own
 * arguments and environment, its stdout, stderr and exit code), without paying a Node and tsx start-up per command.
 * For commands that only parse, print help or refuse their options; commands that do real work run as separate
 * processes (bin/segments.js).
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

export interface CliResult {
  args: string[];
  status: number;
  stdout: string;
  stderr: string;
}

export function cliBatch(invocations: { args: string[]; env?: NodeJS.ProcessEnv }[]): CliResult[] {
  const r = spawnSync(process.execPath, [resolve(__dirname, 'cliBatchChild.js')], { input: JSON.stringify(invocations), encoding: 'utf8', timeout: 120_000, maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`cliBatch failed (status ${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as CliResult[];
}
