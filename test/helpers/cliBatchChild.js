// Child side of test/helpers/cliBatch.ts (cliBatchChild.js): runs `segments` invocations one after the other in this one process
// (through tsx), each with its own environment, capturing what main() writes to stdout and stderr and its exit code.
require('tsx/cjs');
const { main } = require('../../lambdas/cli/main.ts');
const { BENCH_COMMANDS } = require('../../bench/cli.ts');

async function run() {
  const invocations = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
  const results = [];
  const write = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
  const baseEnv = { ...process.env };
  for (const { args, env } of invocations) {
    let stdout = '';
    let stderr = '';
    process.stdout.write = (chunk) => ((stdout += String(chunk)), true);
    process.stderr.write = (chunk) => ((stderr += String(chunk)), true);
    for (const k of Object.keys(process.env)) delete process.env[k];
    Object.assign(process.env, env ?? baseEnv);
    let status;
    try {
      status = await main(args, [BENCH_COMMANDS]);
    } catch (err) {
      stderr += String(err && err.stack ? err.stack : err);
      status = 99;
    } finally {
      process.stdout.write = write.out;
      process.stderr.write = write.err;
    }
    results.push({ args, status, stdout, stderr });
  }
  for (const k of Object.keys(process.env)) delete process.env[k];
  Object.assign(process.env, baseEnv);
  write.out(JSON.stringify(results));
}
run().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err));
  process.exitCode = 1;
});
