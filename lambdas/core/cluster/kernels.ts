/**
 * The O(n) loops that dominate k-means, each in two interchangeable versions:
 *
 * - `generic`: plain TypeScript, any number of features d;
 * - `generated`: the same loop compiled per fit with `new Function`, with the d-long inner loops unrolled, the
 *   fixed vector (candidate centre, or the point being scanned) held in local variables, and the typed arrays bound
 *   in the closure rather than passed as arguments.
 *
 * Why generate code: with d known at compile time V8 keeps the coordinates in registers and drops the inner loops;
 * with the arrays bound in a closure that exists once (each `new Function` is a fresh script), TurboFan treats them
 * as constants and drops the per-access map checks and base-pointer reloads; `(i + t) | 0` indices drop the
 * overflow checks. On 93,000 x 9 points this roughly halves the instructions per distance, which is most of
 * k-means' running time. Only integers (d) go into the generated source, never data.
 *
 * Both versions add the squared differences left to right starting from 0 and take the same branches, so they
 * produce bit-identical results (the tests check this). The generated version is used for 1 <= d <= MAX_UNROLLED_D
 * and when the runtime allows code generation from strings; otherwise the generic one.
 */
import { compile, shouldGenerate, sumOfSquares, unroll } from './codegen';

export type KernelMode = 'auto' | 'generic' | 'generated';

/** The arrays of the k-means++ seeding (see kmeansPlusPlus.ts), bound once per fit. */
export interface SeedingBuffers {
  /** n x d rows. */
  x: Float64Array;
  /** Nearest chosen centre of each row. */
  labels: Int32Array;
  /** Squared distance of each row to its nearest chosen centre. */
  closest: Float64Array;
  /** Lower bound on the distance of each row to its second nearest centre. */
  lower: Float64Array;
  /** Per chosen centre j: |z - c_j|^2 / 4 for the trial or committed centre z. */
  threshold: Float64Array;
  /** Per chosen centre j: |z - c_j| for the committed centre z. */
  centerDist: Float64Array;
  /** commitRange's results: sum and max of `closest` over the range. */
  out: Float64Array;
}

export interface SeedingKernels {
  readonly generated: boolean;
  /**
   * k-means++ trial over rows start..end-1: sum of min(closest[i], |x_i - z|^2) for the candidate z at row offset
   * `co`. Rows with closest[i] <= threshold[labels[i]] cannot get closer (triangle inequality) and are not computed.
   */
  candidateRange(start: number, end: number, co: number): number;
  /**
   * k-means++ commit of the row at offset `co` as centre number c over rows start..end-1: updates nearest centre,
   * squared distance and second-centre lower bound; writes the range's new sum and max of `closest` to out[0..1].
   */
  commitRange(start: number, end: number, co: number, c: number): void;
}

/** The arrays of the Hamerly iterations (see hamerly.ts), bound once per fit. */
export interface AssignBuffers {
  x: Float64Array;
  /** k x d centres. */
  centers: Float64Array;
  labels: Int32Array;
  /** Upper bound on the distance to the own centre, minus the drift of that centre. */
  upper: Float64Array;
  /** Lower bound on the distance to the other centres, plus the lower drift of the own centre. */
  lower: Float64Array;
  /** Per centre c: [3c] drift, [3c + 1] lower drift, [3c + 2] half the distance to its nearest other centre. */
  clusterBounds: Float64Array;
  /** Row c (k - 1 entries): the other centres by increasing distance from centre c, and those distances. */
  neighbours: Int32Array;
  neighbourDist: Float64Array;
  /** k x d cluster sums and k counts, kept up to date when rows change cluster. */
  sums: Float64Array;
  counts: Float64Array;
  /** Range summary: max upper, min lower, common label (-1 if mixed). */
  out: Float64Array;
}

/**
 * Hamerly assignment over rows start..end-1. A row whose bounds do not rule out a change is checked exactly against
 * its own centre, then, if needed, against the centres within 2u of its own only, nearest first (a centre c with
 * |c - c_a| > 2u cannot be closer than c_a since |x - c| >= |c - c_a| - u). With updateSums, cluster sums and counts
 * follow the rows that change cluster. Writes the range summary to out[0..2]; returns the number of changes.
 */
export type AssignKernel = (start: number, end: number, updateSums: boolean) => number;

// ---------------------------------------------------------------------------------------------------------------
// Generic versions (the reference semantics).
// ---------------------------------------------------------------------------------------------------------------

function genericSeeding(d: number, b: SeedingBuffers): SeedingKernels {
  const { x, labels, closest, lower, threshold, centerDist, out } = b;
  return {
    generated: false,
    candidateRange(start, end, co) {
      let sum = 0;
      for (let i = start; i < end; i++) {
        const ci = closest[i];
        if (ci <= threshold[labels[i]]) {
          sum += ci;
          continue;
        }
        let s = 0;
        const xo = i * d;
        for (let t = 0; t < d; t++) {
          const e = x[xo + t] - x[co + t];
          s += e * e;
        }
        sum += s < ci ? s : ci;
      }
      return sum;
    },
    commitRange(start, end, co, c) {
      let sum = 0;
      let max = 0;
      for (let i = start; i < end; i++) {
        let ci = closest[i];
        const a = labels[i];
        if (ci <= threshold[a]) {
          // Not computed: |x - new| >= |new - c_a| - |x - c_a| is still a valid lower bound for the second centre.
          const lb = centerDist[a] - Math.sqrt(ci);
          if (lb < lower[i]) lower[i] = lb;
        } else {
          let s = 0;
          const xo = i * d;
          for (let t = 0; t < d; t++) {
            const e = x[xo + t] - x[co + t];
            s += e * e;
          }
          if (s < ci) {
            // The old nearest centre becomes the second nearest: it was closer than every other one.
            lower[i] = Math.sqrt(ci);
            closest[i] = s;
            labels[i] = c;
            ci = s;
          } else {
            const e = Math.sqrt(s);
            if (e < lower[i]) lower[i] = e;
          }
        }
        sum += ci;
        if (ci > max) max = ci;
      }
      out[0] = sum;
      out[1] = max;
    },
  };
}

function genericAssign(d: number, k: number, b: AssignBuffers): AssignKernel {
  const { x, centers, labels, upper, lower, clusterBounds, neighbours, neighbourDist, sums, counts, out } = b;
  return (start, end, updateSums) => {
    let changed = 0;
    let maxU = -Infinity;
    let minL = Infinity;
    let common = labels[start];
    for (let i = start; i < end; i++) {
      const a = labels[i];
      let lab = a;
      let U = upper[i];
      let L = lower[i];
      const pa = clusterBounds[3 * a];
      let u = U + pa;
      const l = L - clusterBounds[3 * a + 1];
      const g = clusterBounds[3 * a + 2];
      const bound = g > l ? g : l;
      if (u > bound) {
        // Tighten the upper bound to the exact distance before looking at other centres.
        const xo = i * d;
        const ao = a * d;
        let da = 0;
        for (let t = 0; t < d; t++) {
          const e = x[xo + t] - centers[ao + t];
          da += e * e;
        }
        u = Math.sqrt(da);
        if (u <= bound) upper[i] = U = u - pa;
        else {
          // Ties go to the lowest index, as an argmin would.
          let best = da;
          let second = Infinity;
          let bc = a;
          const no = a * (k - 1);
          const reach = 2 * u;
          let m = 0;
          for (; m < k - 1; m++) {
            if (neighbourDist[no + m] > reach) break;
            const c = neighbours[no + m];
            const cto = c * d;
            let s = 0;
            for (let t = 0; t < d; t++) {
              const e = x[xo + t] - centers[cto + t];
              s += e * e;
            }
            if (s < best || (s === best && c < bc)) {
              second = best;
              best = s;
              bc = c;
            } else if (s < second) second = s;
          }
          let l2 = Math.sqrt(second);
          // The centres not scanned are at least |c - c_a| - u away.
          if (m < k - 1 && neighbourDist[no + m] - u < l2) l2 = neighbourDist[no + m] - u;
          if (bc !== a) {
            labels[i] = lab = bc;
            changed++;
            if (updateSums) {
              counts[a] -= 1;
              counts[bc] += 1;
              const bo = bc * d;
              for (let t = 0; t < d; t++) {
                const v = x[xo + t];
                sums[ao + t] -= v;
                sums[bo + t] += v;
              }
            }
          }
          upper[i] = U = Math.sqrt(best) - clusterBounds[3 * bc];
          lower[i] = L = l2 + clusterBounds[3 * bc + 1];
        }
      }
      if (U > maxU) maxU = U;
      if (L < minL) minL = L;
      if (lab !== common) common = -1;
    }
    out[0] = maxU;
    out[1] = minL;
    out[2] = common;
    return changed;
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Generated versions: the same statements with the t-loops unrolled and the arrays bound in the closure.
// ---------------------------------------------------------------------------------------------------------------

const SEEDING_PARAMS = ['x', 'labels', 'closest', 'lower', 'threshold', 'centerDist', 'out'];

function seedingSource(d: number): string {
  const hoist = unroll(d, (t) => `const c${t} = x[(co + ${t}) | 0];`);
  const diffs = unroll(d, (t) => `const e${t} = x[(xo + ${t}) | 0] - c${t};`);
  return `
  return {
    generated: true,
    candidateRange(start, end, co) {
      ${hoist}
      let sum = 0;
      const stop = end | 0;
      for (let i = start | 0, xo = (start * ${d}) | 0; i < stop; i = (i + 1) | 0, xo = (xo + ${d}) | 0) {
        const ci = closest[i];
        if (ci <= threshold[labels[i]]) { sum += ci; continue; }
        ${diffs}
        const s = ${sumOfSquares(d)};
        sum += s < ci ? s : ci;
      }
      return sum;
    },
    commitRange(start, end, co, c) {
      ${hoist}
      let sum = 0;
      let max = 0;
      const stop = end | 0;
      for (let i = start | 0, xo = (start * ${d}) | 0; i < stop; i = (i + 1) | 0, xo = (xo + ${d}) | 0) {
        let ci = closest[i];
        const a = labels[i];
        if (ci <= threshold[a]) {
          const lb = centerDist[a] - Math.sqrt(ci);
          if (lb < lower[i]) lower[i] = lb;
        } else {
          ${diffs}
          const s = ${sumOfSquares(d)};
          if (s < ci) {
            lower[i] = Math.sqrt(ci);
            closest[i] = s;
            labels[i] = c;
            ci = s;
          } else {
            const e = Math.sqrt(s);
            if (e < lower[i]) lower[i] = e;
          }
        }
        sum += ci;
        if (ci > max) max = ci;
      }
      out[0] = sum;
      out[1] = max;
    },
  };`;
}

const ASSIGN_PARAMS = ['k', 'x', 'centers', 'labels', 'upper', 'lower', 'clusterBounds', 'neighbours', 'neighbourDist', 'sums', 'counts', 'out'];

function assignSource(d: number): string {
  return `
  return function assignRange(start, end, updateSums) {
    let changed = 0;
    let maxU = -Infinity;
    let minL = Infinity;
    let common = labels[start];
    const stop = end | 0;
    for (let i = start | 0, xo = (start * ${d}) | 0; i < stop; i = (i + 1) | 0, xo = (xo + ${d}) | 0) {
      const a = labels[i];
      let lab = a;
      let U = upper[i];
      let L = lower[i];
      const a3 = (a * 3) | 0;
      const pa = clusterBounds[a3];
      let u = U + pa;
      const l = L - clusterBounds[(a3 + 1) | 0];
      const g = clusterBounds[(a3 + 2) | 0];
      const bound = g > l ? g : l;
      if (u > bound) {
        ${unroll(d, (t) => `const x${t} = x[(xo + ${t}) | 0];`)}
        const ao = a * ${d};
        let da;
        {
          ${unroll(d, (t) => `const e${t} = x${t} - centers[(ao + ${t}) | 0];`)}
          da = ${sumOfSquares(d)};
        }
        u = Math.sqrt(da);
        if (u <= bound) upper[i] = U = u - pa;
        else {
          let best = da;
          let second = Infinity;
          let bc = a;
          const no = a * (k - 1);
          const reach = 2 * u;
          let m = 0;
          for (; m < k - 1; m++) {
            if (neighbourDist[(no + m) | 0] > reach) break;
            const c = neighbours[(no + m) | 0];
            const cto = c * ${d};
            ${unroll(d, (t) => `const e${t} = x${t} - centers[(cto + ${t}) | 0];`)}
            const s = ${sumOfSquares(d)};
            if (s < best || (s === best && c < bc)) { second = best; best = s; bc = c; }
            else if (s < second) second = s;
          }
          let l2 = Math.sqrt(second);
          if (m < k - 1 && neighbourDist[(no + m) | 0] - u < l2) l2 = neighbourDist[(no + m) | 0] - u;
          if (bc !== a) {
            labels[i] = lab = bc;
            changed++;
            if (updateSums) {
              counts[a] -= 1;
              counts[bc] += 1;
              const bo = bc * ${d};
              ${unroll(d, (t) => `sums[(ao + ${t}) | 0] -= x${t}; sums[(bo + ${t}) | 0] += x${t};`)}
            }
          }
          upper[i] = U = Math.sqrt(best) - clusterBounds[(bc * 3) | 0];
          lower[i] = L = l2 + clusterBounds[(bc * 3 + 1) | 0];
        }
      }
      if (U > maxU) maxU = U;
      if (L < minL) minL = L;
      if (lab !== common) common = -1;
    }
    out[0] = maxU;
    out[1] = minL;
    out[2] = common;
    return changed;
  };`;
}

// ---------------------------------------------------------------------------------------------------------------
// Binding
// ---------------------------------------------------------------------------------------------------------------

type Factory = (...args: unknown[]) => unknown;
/** Generated source per (kind, d); it is compiled anew for every fit, see bindGenerated. */
const sources = new Map<string, string>();
let codegenAvailable: boolean | undefined;

/**
 * Compiles the factory source anew and calls it with the arrays. A fresh `new Function` per fit is deliberate: its
 * inner closure is then the only one of its kind, which lets TurboFan specialise it to the bound arrays.
 */
function bindGenerated(kind: string, d: number, source: (d: number) => string, params: string[], args: unknown[]): unknown {
  const key = `${kind}:${d}`;
  let src = sources.get(key);
  if (!src) {
    src = source(d);
    sources.set(key, src);
  }
  return compile<Factory>(params, src)(...args);
}

function useGenerated(d: number, mode: KernelMode): boolean {
  if (!Number.isInteger(d) || d < 1) throw new Error(`kernels need a positive integer number of features, got ${d}`);
  if (mode === 'generic') return false;
  if (mode === 'auto' && !shouldGenerate(d)) return false;
  if (codegenAvailable === undefined) {
    try {
      compile<() => number>([], 'return 1;')();
      codegenAvailable = true;
    } catch {
      codegenAvailable = false; // e.g. node --disallow-code-generation-from-strings
    }
  }
  if (!codegenAvailable && mode === 'generated') throw new Error('code generation from strings is disabled in this runtime');
  return codegenAvailable;
}

/** k-means++ kernels for d features over the given arrays. */
export function seedingKernels(d: number, buffers: SeedingBuffers, mode: KernelMode = 'auto'): SeedingKernels {
  if (!useGenerated(d, mode)) return genericSeeding(d, buffers);
  const b = buffers;
  return bindGenerated('seeding', d, seedingSource, SEEDING_PARAMS, [b.x, b.labels, b.closest, b.lower, b.threshold, b.centerDist, b.out]) as SeedingKernels;
}

/** Hamerly assignment kernel for d features and k centres over the given arrays. */
export function assignKernel(d: number, k: number, buffers: AssignBuffers, mode: KernelMode = 'auto'): AssignKernel {
  if (!useGenerated(d, mode)) return genericAssign(d, k, buffers);
  const b = buffers;
  return bindGenerated('assign', d, assignSource, ASSIGN_PARAMS, [
    k,
    b.x,
    b.centers,
    b.labels,
    b.upper,
    b.lower,
    b.clusterBounds,
    b.neighbours,
    b.neighbourDist,
    b.sums,
    b.counts,
    b.out,
  ]) as AssignKernel;
}

/** Whether kernels for d features in this mode are generated code (false: the generic loops). */
export function kernelsAreGenerated(d: number, mode: KernelMode = 'auto'): boolean {
  return useGenerated(d, mode);
}
