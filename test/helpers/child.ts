/**
 * Runs a TypeScript module's default export in a child Node process (through tsx) and returns its JSON result.
 * Heavy numeric work on the real export runs there at full speed: Jest's sandbox makes global lookups in hot loops
 * 20-80x slower than plain Node.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const RUNNER = resolve(__dirname, 'childRunner.js');

export function runInChild<T>(modulePath: string, args: unknown = {}, timeoutMs = 900_000): T {
  const r = spawnSync(process.execPath, [RUNNER, resolve(modulePath), JSON.stringify(args)], {
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 1 << 28,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  if (r.status !== 0) throw new Error(`${modulePath} failed (status ${r.status}, signal ${r.signal}):\n${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
