/**
 * Helpers to compile numeric loops specialised for a fixed number of features d (see kernels.ts for why).
 * Only integers (d, loop constants) are spliced into the generated source, never data.
 */

/** Beyond this the unrolled source gets long and the register benefit is gone anyway. */
export const MAX_UNROLLED_D = 32;

/** Joins f(0..d-1) with `sep`. */
export function unroll(d: number, f: (t: number) => string, sep = ''): string {
  let s = '';
  for (let t = 0; t < d; t++) s += (t ? sep : '') + f(t);
  return s;
}

/** `e0 * e0 + e1 * e1 + ...`: the same left-to-right order as a generic `s += e * e` loop starting from 0. */
export function sumOfSquares(d: number): string {
  return unroll(d, (t) => `e${t} * e${t}`, ' + ');
}

/**
 * A strict-mode function from parameter names and body; throws where code generation from strings is disabled.
 * `Math` and `Infinity` reach the generated code as parameters, not as globals: under a vm context (Jest's sandbox)
 * every global lookup goes through the context's interceptors, which made the generated loops 10-30x slower there
 * (a 12,000-row silhouette: 28 s under Jest before, 3 s after).
 */
export function compile<F>(params: string[], body: string): F {
  const factory = new Function('Math', 'Infinity', ...params, `'use strict';\n${body}`) as (math: Math, inf: number, ...args: unknown[]) => unknown;
  return ((...args: unknown[]) => factory(Math, Infinity, ...args)) as unknown as F;
}

/** Whether to use generated code for d features in mode 'auto'. */
export function shouldGenerate(d: number): boolean {
  return Number.isInteger(d) && d >= 1 && d <= MAX_UNROLLED_D;
}
