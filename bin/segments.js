#!/usr/bin/env node
// Entry point of the `segments` command: runs the TypeScript sources through tsx (no build step).
require('tsx/cjs');
require('../lambdas/cli/main.ts')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
