/**
 * `segments bench-distributed`: the distributed path on generated exports (1 and 5 million people by default), run
 * locally from the state machine's definition (bench/distributed.ts), with time and peak memory per stage, and
 * from those figures the estimated wall time and cost of the path in AWS (bench/aws-estimate.ts) for the sizes
 * of --estimate-for. Long: about 20 minutes for a million people on 2 cores, most of it writing to dynalite.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { estimateAws, LAMBDA_TIMEOUT_S, type AwsEstimate } from '../aws-estimate';
import { benchDistributed, type DistributedBenchResult } from '../distributed';
import { intOption, parse } from '../../lambdas/cli/args';
import { BENCH_DISTRIBUTED } from '../specs';
import { fmt, renderTable } from '../../lambdas/cli/table';
import { ensureDataset, parseSizes } from './benchScale';

const ROOT = resolve(__dirname, '../..');

const duration = (s: number) => (s >= 3600 ? `${(s / 3600).toFixed(1)} h` : s >= 90 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(1)} s`);

export async function benchDistributedCommand(argv: string[]): Promise<void> {
  const o = parse(argv, BENCH_DISTRIBUTED);
  const sizes = parseSizes(o.customers ?? BENCH_DISTRIBUTED.options.customers.default);
  const targets = parseSizes(o['estimate-for'] ?? BENCH_DISTRIBUTED.options['estimate-for'].default);
  const seed = intOption(o.seed ?? '1', '--seed', 0, 2 ** 32 - 1)!;
  const rate = intOption(o['write-rate'] ?? '1000', '--write-rate', 1, 40_000)!;
  const cache = resolve(o.cache ?? join(ROOT, '.cache/scale'));
  const quiet = Boolean(o.quiet || o.json);
  const log = (s: string) => !quiet && process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`);

  const runs: DistributedBenchResult[] = [];
  // --from: the runs of earlier --out files (e.g. 1M and 5M measured on different days), estimated again.
  for (const file of o.from ? o.from.split(',') : []) runs.push(...(JSON.parse(await readFile(resolve(file), 'utf8')) as { runs: DistributedBenchResult[] }).runs);
  for (const n of o.from ? [] : sizes) {
    const data = await ensureDataset(cache, n, seed, log);
    log(`${fmt.int(n)} customers: the distributed path, locally`);
    runs.push(await benchDistributed({ data: data.dir, state: join(cache, `distributed-state-${n}`), customers: n, log }));
    if (o.out) await writeFile(resolve(o.out), JSON.stringify({ runs }, null, 1) + '\n');
  }
  const estimates: AwsEstimate[] = targets.map((people) => estimateAws(runs, people, rate));
  if (o.out) await writeFile(resolve(o.out), JSON.stringify({ runs, estimates }, null, 1) + '\n');
  if (o.json) {
    process.stdout.write(JSON.stringify({ runs, estimates }) + '\n');
    return;
  }
  const say = (s = '') => process.stdout.write(s + '\n');
  for (const r of runs) {
    say(`${fmt.int(r.people)} people (${(r.exportBytes / 2 ** 30).toFixed(2)} GB of CSV), ${r.partitions} partitions, ${r.iterations} Lloyd iterations: ${duration(r.runSeconds)} (upload ${duration(r.uploadSeconds)}; load ${r.load.map((l) => l.toFixed(1)).join(' -> ')} on ${r.cores} cores)`);
    say(
      renderTable(
        ['stage', 'wall', 'cpu s', 'peak RSS MB', 'peak heap MB', 'tasks', 'longest task s'],
        r.stages.map((s) => [s.stage, duration(s.seconds), s.cpuSeconds.toFixed(0), s.peakRssMb, s.peakHeapMb, s.tasks, s.maxTaskSeconds.toFixed(1)]),
      ),
    );
    say();
  }
  say(`Estimated in AWS (items of each map in parallel, writes at ${fmt.int(rate)} items/s):`);
  say(
    renderTable(
      ['people', 'partitions', 'wall', 'of which writing', 'Lambda', 'Step Functions', 'DynamoDB', 'S3', 'total'],
      estimates.map((e) => [
        fmt.int(e.people),
        e.partitions,
        duration(e.wallSeconds),
        duration(e.stages.find((s) => s.stage === 'write')!.wallSeconds),
        `$${e.cost.lambda.toFixed(2)}`,
        `$${e.cost.stepFunctions.toFixed(2)}`,
        `$${e.cost.dynamodb.toFixed(2)}`,
        `$${e.cost.s3.toFixed(2)}`,
        `$${e.cost.total.toFixed(2)}`,
      ]),
    ),
  );
  for (const e of estimates) {
    for (const s of e.stages.filter((x) => x.longestTaskSeconds > LAMBDA_TIMEOUT_S)) {
      say(`At ${fmt.int(e.people)} people one ${s.stage} task would take ${duration(s.longestTaskSeconds)}, over Lambda's ${LAMBDA_TIMEOUT_S / 60} minutes: that step must be split first.`);
    }
  }
}
