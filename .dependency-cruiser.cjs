/**
 * The import rules of the project (ARCHITECTURE.md), checked by dependency-cruiser in the tests
 * (test/architecture/import-graph.test.ts) and by hand with `npm run depcruise`.
 *
 * CORE_LAYERS is the layer order of lambdas/core/, bottom first: a folder (or a file at the root of core/) may import
 * only from layers below its own, never from its own layer's other members nor from above. A new folder of core/ must
 * be given a layer here (the test fails on a folder that has none).
 */

/** lambdas/core, bottom first. Names ending in .ts are files at the root of core/. */
const CORE_LAYERS = [
  ['domain', 'util', 'ids.ts'], // the vocabulary (types, the id rule) and generic helpers: import nothing of core/
  ['cluster', 'csv', 'retention'], // generic k-means/PCA/metrics, the CSV reader and writer, the retention plan
  ['olist'], // the Olist export: tables, loading, provenance
  ['features', 'generate'], // per-customer features and their transforms; the synthetic export generator
  ['segments'], // profiles, traits, names and rule segments of a fitted partition
  ['model'], // training, describing, assigning and explaining a model
  ['stability'], // drift, the scheduled check, the update-frequency simulation
  ['report'], // the HTML pages and charts (a leaf: only the CLI and the pipeline use it)
  ['distributed'], // the distributed path's per-partition work (computes what the single path computes)
  ['erasure.ts'], // removing one person from any stored object
];

/** Folders of core/ that know nothing of the Olist domain: reusable as they are. */
const GENERIC = ['util', 'cluster'];

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The path regex of a member of core/: a folder and everything in it, or one file. */
const corePath = (name) => `^lambdas/core/${escape(name)}${name.endsWith('.ts') ? '$' : '/'}`;
const anyOf = (names) => `^lambdas/core/(${names.map((n) => `${escape(n)}${n.endsWith('.ts') ? '$' : '/'}`).join('|')})`;

const layerRules = CORE_LAYERS.flatMap((layer, rank) => {
  return layer.flatMap((name) => {
    const notBelow = CORE_LAYERS.slice(rank).flat().filter((other) => other !== name);
    if (notBelow.length === 0) return []; // the top layer's only member: nothing of core/ is above it
    return {
      name: `core-layer-${name.replace(/\.ts$/, '')}`,
      comment: `lambdas/core/${name} (layer ${rank}) imports only from layers below it: ${CORE_LAYERS.slice(0, rank).flat().join(', ') || 'nothing of core/'}`,
      severity: 'error',
      from: { path: corePath(name) },
      to: { path: anyOf(notBelow) },
    };
  });
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'generic-core-knows-no-domain',
      comment: `${GENERIC.join(', ')} are generic (numbers in, numbers out): they import only each other`,
      severity: 'error',
      from: { path: anyOf(GENERIC) },
      to: { path: '^lambdas/core/', pathNot: anyOf(GENERIC) },
    },
    {
      name: 'core-is-pure',
      comment: 'lambdas/core imports no AWS SDK, CDK or Powertools, and nothing of the store, handlers, pipeline, local runtime or CLI',
      severity: 'error',
      from: { path: '^lambdas/core/' },
      to: {
        path: [
          '^lambdas/(store|handlers|pipeline|local|cli|contract)/',
          '^lib/',
          'node_modules/(@aws-sdk|@smithy|aws-cdk-lib|constructs|@aws-lambda-powertools|aws-xray-sdk)',
        ],
      },
    },
    {
      name: 'shipped-code-imports-no-dev-code',
      comment: 'what ships (lambdas/, lib/) imports no benchmark, development script or test',
      severity: 'error',
      from: { path: '^(lambdas|lib)/' },
      to: { path: '^(bench|scripts|test)/' },
    },
    {
      name: 'shipped-code-imports-no-dev-dependency',
      comment: 'the functions and the CLI use runtime dependencies only (a devDependency is not installed where they run); the local runtime (emulators) and lib/ (synthesized on a development machine, cdk-nag) may use devDependencies',
      severity: 'error',
      from: { path: '^lambdas/', pathNot: '^lambdas/local/' },
      to: { dependencyTypes: ['npm-dev'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(cdk\\.out|\\.local|\\.cache)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js', '.cjs', '.mjs', '.json'] },
  },
};

// For the test that every folder of core/ has a layer (dependency-cruiser rejects unknown keys, hence not enumerable).
Object.defineProperty(module.exports, 'CORE_LAYERS', { value: CORE_LAYERS, enumerable: false });
