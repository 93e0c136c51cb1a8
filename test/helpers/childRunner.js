// Child side of test/helpers/child.ts: loads a TypeScript module through tsx, awaits its default export with the
// JSON arguments and prints the JSON result on stdout.
require('tsx/cjs');
const [, , modulePath, args] = process.argv;
Promise.resolve(require(modulePath).default(JSON.parse(args)))
  .then((result) => process.stdout.write(JSON.stringify(result)))
  .catch((err) => {
    process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
    process.exitCode = 1;
  });
