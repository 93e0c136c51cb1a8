/**
 * One k-means initialisation on a k-d tree (seeding + Hamerly iterations) with its buffers, shared by the main
 * thread (kmeans.ts) and the worker threads (kmeansWorker.ts), so that both run exactly the same code.
 */
import { createRng } from '../util/random';
import { createHamerlyState, lloydHamerly, type HamerlyState } from './hamerly';
import type { KdTree } from './kdTree';
import { assignKernel, seedingKernels, type AssignKernel, type KernelMode, type SeedingKernels } from './kernels';
import { createSeedingState, kmeansPlusPlus, type SeedingState } from './kmeansPlusPlus';

/** The tree of the data plus the buffers and compiled loops of one fit. */
export interface Workspace {
  tree: KdTree;
  k: number;
  seeding: SeedingState;
  lloyd: HamerlyState;
  seedingKernels: SeedingKernels;
  assignKernel: AssignKernel;
}

export interface InitOutcome {
  inertia: number;
  iterations: number;
  converged: boolean;
}

export function createWorkspace(tree: KdTree, k: number, mode: KernelMode = 'auto'): Workspace {
  const seeding = createSeedingState(tree, k);
  const lloyd = createHamerlyState(tree, k, seeding);
  return {
    tree,
    k,
    seeding,
    lloyd,
    seedingKernels: seedingKernels(tree.d, { x: tree.x, ...seeding }, mode),
    assignKernel: assignKernel(tree.d, k, { x: tree.x, ...lloyd }, mode),
  };
}

/** One initialisation from its seed; leaves the centres and the labels (in leaf order) in ws.lloyd. */
export function runInit(ws: Workspace, seed: number, maxIter: number, tolAbs: number): InitOutcome {
  const { tree, k } = ws;
  kmeansPlusPlus(tree, k, createRng(seed), ws.seeding, ws.seedingKernels);
  const { iterations, converged } = lloydHamerly(tree, k, maxIter, tolAbs, ws.lloyd, ws.assignKernel);
  return { inertia: inertiaOf(tree.x, tree.n, tree.d, ws.lloyd.centers, ws.lloyd.labels), iterations, converged };
}

/** Sum of squared distances of the rows to their centre. */
export function inertiaOf(x: Float64Array, n: number, d: number, centers: Float64Array, labels: Int32Array): number {
  let total = 0;
  for (let i = 0; i < n; i++) {
    const xo = i * d;
    const co = labels[i] * d;
    for (let t = 0; t < d; t++) {
      const diff = x[xo + t] - centers[co + t];
      total += diff * diff;
    }
  }
  return total;
}

/** Labels from leaf order back to the caller's row order. */
export function unpermute(labels: Int32Array, perm: Int32Array, out: Int32Array): Int32Array {
  for (let j = 0; j < perm.length; j++) out[perm[j]] = labels[j];
  return out;
}
