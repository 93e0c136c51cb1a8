/**
 * `npm run bench -- --simulate`: how long the update-frequency simulation takes against one `segments run` of the
 * same data, both as a user runs them (child processes, alternating, on the same machine state), with the ratio;
 * with `--verify`, the unoptimised simulation too (the whole horizon, model stability at every candidate k), and
 * whether every point the optimised one measured is the same (within 0.005 ARI) and the recommendation identical.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { StabilityReport } from '../../lambdas/core/stability/simulate';
import { fmt, renderTable } from '../../lambdas/cli/table';

const ROOT = resolve(__dirname, '../..');

interface Timed {
  wall: number;
  report?: StabilityReport;
}

function segments(args: string[]): { wall: number; stdout: string } {
  const t = performance.now();
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/segments.js'), ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const wall = (performance.now() - t) / 1000;
  if (r.status !== 0) throw new Error(`segments ${args[0]} failed: ${r.stderr.trim().split('\n').pop()}`);
  return { wall, stdout: r.stdout };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function simulate(data: string, extra: string[]): Timed {
  const out = mkdtempSync(join(tmpdir(), 'segments-bench-sim-'));
  const r = segments(['simulate', '--data', data, '--out', out, '--quiet', ...extra]);
  return { wall: r.wall, report: JSON.parse(readFileSync(join(out, 'stability.json'), 'utf8')) };
}

export interface Verification {
  points: number;
  maxDifference: number;
  sameRecommendation: boolean;
  optimised: { everyDays: number; basis: string; crossingDays: number | null };
  unoptimised: { everyDays: number; basis: string; crossingDays: number | null };
  unoptimisedWall: number;
}

/** Largest difference of both medians over the horizons both measured, and whether the recommendations agree. */
export function compareReports(a: StabilityReport, b: StabilityReport, unoptimisedWall: number): Verification {
  let max = 0;
  let n = 0;
  for (const p of a.points) {
    const q = b.points.find((x) => x.days === p.days);
    if (!q) continue;
    n++;
    max = Math.max(max, Math.abs(p.ariMedian - q.ariMedian), Math.abs(p.ariKnownMedian - q.ariKnownMedian));
  }
  const pick = (r: StabilityReport) => ({ everyDays: r.recommendation.everyDays, basis: r.recommendation.basis, crossingDays: r.recommendation.crossingDays });
  return {
    points: n,
    maxDifference: max,
    sameRecommendation: JSON.stringify(pick(a)) === JSON.stringify(pick(b)),
    optimised: pick(a),
    unoptimised: pick(b),
    unoptimisedWall,
  };
}

export function benchSimulate(o: { data: string; runs: number; verify: boolean; json: boolean }): void {
  const log = (s: string) => !o.json && process.stderr.write(s + '\n');
  const runs: number[] = [];
  const sims: Timed[] = [];
  for (let i = 0; i < o.runs; i++) {
    const order = i % 2 === 0 ? ['run', 'simulate'] : ['simulate', 'run'];
    for (const what of order) {
      if (what === 'run') {
        const r = segments(['run', '--data', o.data, '--out', mkdtempSync(join(tmpdir(), 'segments-bench-run-')), '--quiet']);
        runs.push(r.wall);
        log(`run ${i + 1}/${o.runs} segments run      ${r.wall.toFixed(1)} s`);
      } else {
        const s = simulate(o.data, []);
        sims.push(s);
        log(`run ${i + 1}/${o.runs} segments simulate ${s.wall.toFixed(1)} s (${s.report!.timings.freshFits} fresh fits, ${s.report!.timings.modelFits} models, measured to ${s.report!.measuredDays} days)`);
      }
    }
  }
  let verification: Verification | undefined;
  if (o.verify) {
    log('unoptimised simulation (the whole horizon, model stability at every candidate k)...');
    const u = simulate(o.data, ['--unoptimised']);
    verification = compareReports(sims[0].report!, u.report!, u.wall);
  }
  const run = median(runs);
  const sim = median(sims.map((s) => s.wall));
  const last = sims[sims.length - 1].report!;
  const result = { data: o.data, runs: o.runs, runSeconds: run, simulateSeconds: sim, ratio: sim / run, stages: last.timings.stages, recommendation: last.recommendation.everyDays, verification };
  if (o.json) {
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return;
  }
  const lines = [
    `Simulation against one run on ${o.data}: median of ${o.runs} alternating runs of each (child processes, wall time)`,
    '',
    renderTable(
      ['command', 'wall (s)'],
      [
        ['segments run', run.toFixed(1)],
        ['segments simulate', sim.toFixed(1)],
      ],
    ),
    '',
    `ratio simulate / run: ${(sim / run).toFixed(2)}x (simulation stages, seconds: ${Object.entries(last.timings.stages)
      .map(([k, v]) => `${k} ${fmt.num(v, 1)}`)
      .join(', ')})`,
  ];
  if (verification)
    lines.push(
      `unoptimised method (${verification.unoptimisedWall.toFixed(0)} s): ${verification.points} horizons compared, largest difference of a median ${verification.maxDifference.toFixed(4)} ARI; recommendation ${verification.sameRecommendation ? 'identical' : 'DIFFERENT'} (every ${verification.optimised.everyDays} days, ${verification.optimised.basis}${verification.optimised.crossingDays !== null ? ` at ${verification.optimised.crossingDays} days` : ''})`,
    );
  process.stdout.write(lines.join('\n') + '\n');
}
