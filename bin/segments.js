#!/usr/bin/env node
// Entry point of the `segments` command: runs the TypeScript sources through tsx (no build step). It adds the
// benchmark commands (bench/, not shipped under lambdas/) to the product's commands.
// The CLI may run on Node 20; the Lambda functions run on Node 22, where this SDK notice does not apply.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('tsx/cjs');
const { BENCH_COMMANDS } = require('../bench/cli.ts');
require('../lambdas/cli/main.ts')
  .main(process.argv.slice(2), [BENCH_COMMANDS])
  .then((code) => {
    process.exitCode = code;
  });
