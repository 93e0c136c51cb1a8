/** Jest runs the TypeScript sources directly through SWC (no dependency on the TypeScript compiler API). */
// The AWS SDK warns on every client in every worker that Node 20 support ends; the functions run on nodejs22.x
// and bin/segments.js silences it the same way. Set here, before the workers start, so they inherit it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const esmPackages = ['ml-kmeans', 'ml-distance-euclidean', 'ml-nearest-vector', 'ml-random', 'ml-spectra-processing', 'ml-array-[a-z-]+', 'is-any-array', 'cheminfo-types', 'd3-[a-z-]+', 'vega[a-z-]*', 'internmap', 'delaunator', 'robust-predicates'];
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(t|j|mj)sx?$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages.join('|')})/)`],
  testTimeout: 120000,
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/test/closing-line-reporter.js'],
};
