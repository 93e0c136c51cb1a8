/**
 * Peak memory of `segments export` against the size of the segment: the export must stream (constant memory).
 *
 *   npx tsx bench/export-memory.ts [sizes=20000,1000000] [--cache DIR] [--runs N]
 *
 * For each size N a local state (cached in --cache, default .cache/export-bench/<N>/: seeding a million assignments into
 * dynalite takes a while and is done once) holds an active model whose segment 0 has N customers (synthetic ids and
 * features, with reasons, runner-up and margin, a sixth of them borderline), written in parts of 50,000 as the
 * distributed path writes them. Then `segments export --segment 0 --out FILE --json` runs as its own process, twice:
 *
 * - attached: the emulators run in this process and publish the state's endpoints.json (as `segments start --serve`
 *   does), so the exporter process holds only the client, as against a deployed table with --aws;
 * - self-contained: nothing serves the state, so the exporter opens it itself (s3rver and dynalite in its process), as
 *   `segments export` does after `npm start`.
 *
 * Peak memory is the exporter process's own maximum resident set (getrusage ru_maxrss, read by a preloaded module at
 * exit: bench/report-maxrss.js). The figure that says "constant memory" is the ratio of the peaks at the
 * largest and the smallest size, measured in the same run: near 1 when the export streams, near N_large / N_small
 * (times the per-customer bytes) when it holds the segment.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startEmulators } from '../lambdas/local/emulators';
import { serveEndpoints, writeEndpoints, removeEndpoints } from '../lambdas/local/serve-endpoints';
import { syntheticAssignments, syntheticModel } from '../lambdas/local/synthetic-segments';
import { createStores } from '../lambdas/store/config';

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bin/segments.js');
const PRELOAD = path.join(__dirname, 'report-maxrss.js');
const PART = 50_000;
const VERSION = 'export-bench';

async function seed(dir: string, n: number): Promise<void> {
  const marker = path.join(dir, 'seeded.json');
  if (existsSync(marker)) return;
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const emulators = await startEmulators({ dir: path.join(dir, 'emulators') });
  const stores = createStores(emulators.env);
  const segments = stores.segments;
  try {
    const model = syntheticModel(VERSION, { k: 2, customers: n });
    model.segments[0] = { ...model.segments[0], size: n, share: 1 };
    await segments.putModelDraft(model);
    const totals = { written: 0, segmentCounts: {} as Record<string, number>, borderlineCounts: {} as Record<string, number> };
    const started = Date.now();
    for (let from = 0; from < n; from += PART) {
      // Everyone in segment 0 (the runner-up is segment 1); ids from the part's own salt, features from its own seed.
      const part = syntheticAssignments(Math.min(PART, n - from), { k: 2, seed: 1000 + from, salt: `p${from}-`, why: true }).map((a) => ({ ...a, segmentId: 0, segmentName: 'Segment 0', runnerUp: 1 }));
      const res = await segments.writeAssignmentPart(VERSION, part, { concurrency: 8 });
      totals.written += res.written;
      for (const [s, c] of Object.entries(res.segmentCounts)) totals.segmentCounts[s] = (totals.segmentCounts[s] ?? 0) + c;
      for (const [s, c] of Object.entries(res.borderlineCounts)) totals.borderlineCounts[s] = (totals.borderlineCounts[s] ?? 0) + c;
      const done = from + part.length;
      process.stderr.write(`  seeding ${n}: ${done} written, ${Math.round(done / ((Date.now() - started) / 1000))} items/s\n`);
    }
    await segments.completeAssignmentParts(VERSION, totals);
    await segments.activateModel(VERSION, { indexTimeoutMs: 600_000 });
    await writeFile(marker, JSON.stringify({ customers: n, seededAt: new Date().toISOString(), seconds: (Date.now() - started) / 1000 }));
  } finally {
    stores.s3.destroy();
    stores.dynamo.destroy();
    await emulators.stop();
  }
}

interface Run {
  mode: 'attached' | 'self-contained';
  customers: number;
  rows: number;
  seconds: number;
  peakMb: number;
  fileMb: number;
}

function exportOnce(state: string, out: string): Promise<{ rows: number; seconds: number; peakMb: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--require', PRELOAD, BIN, 'export', '--segment', '0', '--state', state, '--out', out, '--json', '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => {
      const peak = /MAX_RSS_KB (\d+)/.exec(stderr);
      if (code !== 0 || !peak) return reject(new Error(`export failed (${code}): ${stderr}`));
      resolve({ rows: JSON.parse(stdout).rows, seconds: (Date.now() - started) / 1000, peakMb: Number(peak[1]) / 1024 });
    });
  });
}

async function main() {
  const args = process.argv.slice(2);
  const flag = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args.splice(i, 2)[1] : undefined;
  };
  const cache = path.resolve(flag('--cache') ?? path.join(ROOT, '.cache/export-bench'));
  const runs = Number(flag('--runs') ?? '1');
  const sizes = (args[0] ?? '20000,1000000').split(',').map(Number);
  console.log(`segments export peak memory: sizes ${sizes.join(', ')}, node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg()[0].toFixed(1)}`);
  const results: Run[] = [];
  for (const n of sizes) {
    const dir = path.join(cache, String(n));
    await seed(dir, n);
    const out = path.join(os.tmpdir(), `export-bench-${process.pid}-${n}.csv`);
    for (let r = 0; r < runs; r++) {
      // attached: this process serves the state
      const emulators = await startEmulators({ dir: path.join(dir, 'emulators') });
      await writeEndpoints(dir, serveEndpoints({ s3Endpoint: emulators.s3Endpoint, dynamoEndpoint: emulators.dynamoEndpoint, eventsEndpoint: 'http://127.0.0.1:1', rawBucket: emulators.rawBucket, artifactsBucket: emulators.artifactsBucket, tableName: emulators.tableName, eventsLog: path.join(dir, 'events.jsonl') }));
      try {
        const a = await exportOnce(dir, out);
        results.push({ mode: 'attached', customers: n, ...a, fileMb: (await stat(out)).size / 2 ** 20 });
      } finally {
        await removeEndpoints(dir);
        await emulators.stop();
      }
      const b = await exportOnce(dir, out);
      results.push({ mode: 'self-contained', customers: n, ...b, fileMb: (await stat(out)).size / 2 ** 20 });
    }
    await rm(out, { force: true });
  }
  console.log('mode            customers     rows  file (MB)  seconds  peak RSS (MB)');
  for (const r of results) {
    if (r.rows !== r.customers) throw new Error(`${r.mode} ${r.customers}: exported ${r.rows} rows`);
    console.log(`${r.mode.padEnd(15)} ${String(r.customers).padStart(9)} ${String(r.rows).padStart(8)} ${r.fileMb.toFixed(1).padStart(10)} ${r.seconds.toFixed(1).padStart(8)} ${r.peakMb.toFixed(0).padStart(14)}`);
  }
  const [small, large] = [Math.min(...sizes), Math.max(...sizes)];
  for (const mode of ['attached', 'self-contained'] as const) {
    const peak = (n: number) => Math.max(...results.filter((r) => r.mode === mode && r.customers === n).map((r) => r.peakMb));
    console.log(`${mode}: peak at ${large} / peak at ${small} = ${(peak(large) / peak(small)).toFixed(2)} (customers x${large / small})`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
