/**
 * The benchmark commands as a set the `segments` entry point adds to the CLI (bin/segments.js): their specs for the
 * help and the parsing, and their modules, loaded only when one runs.
 */
import type { CommandSet } from '../lambdas/cli/main';
import { BENCH_SPECS } from './specs';

export const BENCH_COMMANDS: CommandSet = {
  specs: BENCH_SPECS,
  runners: {
    bench: () => (require('./commands/bench') as typeof import('./commands/bench')).benchCommand,
    'bench-worker': () => (require('./commands/bench') as typeof import('./commands/bench')).benchWorkerCommand,
    'bench-scale': () => (require('./commands/benchScale') as typeof import('./commands/benchScale')).benchScaleCommand,
    'bench-distributed': () => (require('./commands/benchDistributed') as typeof import('./commands/benchDistributed')).benchDistributedCommand,
    'bench-scale-worker': () => (require('./commands/benchScale') as typeof import('./commands/benchScale')).benchScaleWorkerCommand,
  },
};
