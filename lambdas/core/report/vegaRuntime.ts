/**
 * Loads Vega and Vega-Lite for rendering charts to SVG in Node.
 *
 * Why not `import 'vega'`: Vega 6's ES module build pulls in vega-canvas, whose Node entry probes for the
 * optional `canvas` package with a top-level `await import('canvas')`. Top-level await cannot be loaded
 * through require(), and this project is CommonJS everywhere it runs (tsx, Jest through SWC, esbuild cjs
 * bundles). Both packages also ship self-contained UMD builds of the same code without that probe (they
 * fall back to estimated text widths, replaced here by real font metrics), so we evaluate them once, lazily.
 * Nothing here touches the network: charts carry their data inline and fonts are named, never fetched.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type * as VegaModule from 'vega';
import type * as VegaLiteModule from 'vega-lite';
import { vegaTextWidth } from './textWidth';

export type Vega = typeof VegaModule;
export type VegaLite = typeof VegaLiteModule;

let cached: { vega: Vega; vl: VegaLite } | undefined;

function evaluateUmd(file: string, deps: Record<string, unknown>): unknown {
  const source = readFileSync(file, 'utf8');
  const module = { exports: {} as Record<string, unknown> };
  const requireDep = (name: string) => {
    if (!(name in deps)) throw new Error(`${file} requires "${name}", which is not provided`);
    return deps[name];
  };
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  new Function('exports', 'module', 'require', `${source}\n//# sourceURL=${file}`)(module.exports, module, requireDep);
  return module.exports;
}

/**
 * The build directory of a package, found through its main entry (package exports hide other files);
 * in a Lambda bundle there is no node_modules and the builds sit next to the bundle (lib/ copies them).
 */
function buildDir(pkg: string, file: string): string {
  try {
    return dirname(require.resolve(pkg));
  } catch {
    if (existsSync(join(__dirname, file))) return __dirname;
    throw new Error(`cannot find ${pkg}'s ${file}: neither in node_modules nor next to ${__dirname}`);
  }
}

export function loadVega(): { vega: Vega; vl: VegaLite } {
  if (!cached) {
    const vega = evaluateUmd(join(buildDir('vega', 'vega.js'), 'vega.js'), {}) as Vega;
    // Measure text with real font metrics instead of the crude no-canvas estimate (see textWidth.ts).
    (vega as unknown as { textMetrics: { width: typeof vegaTextWidth } }).textMetrics.width = vegaTextWidth;
    const vl = evaluateUmd(join(buildDir('vega-lite', 'vega-lite.min.js'), 'vega-lite.min.js'), { vega }) as VegaLite;
    cached = { vega, vl };
  }
  return cached;
}
