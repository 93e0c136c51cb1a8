/**
 * Streaming / memory check for the generator (a script, not a test):
 *
 *   npx tsx bench/generate.ts [customers=1000000] [outDir=<tmpdir>/olist-synth-bench] [seed=1]
 *
 * Prints the elapsed time, the peak resident set size (process.resourceUsage().maxRSS) and the files
 * written. Memory should stay flat as the customer count grows: only the product/seller pools are held.
 */
import { statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateDataset } from '../lambdas/core/generate/generator';

async function main(): Promise<void> {
  const customers = Number(process.argv[2] ?? 1_000_000);
  const outDir = process.argv[3] ?? path.join(tmpdir(), 'olist-synth-bench');
  const seed = Number(process.argv[4] ?? 1);
  const t0 = process.hrtime.bigint();
  let lastTenth = -1;
  const result = await generateDataset({
    customers,
    seed,
    outDir,
    onProgress: (done, total) => {
      const tenth = Math.floor((10 * done) / total);
      if (tenth === lastTenth) return;
      lastTenth = tenth;
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      const rss = process.memoryUsage().rss / 2 ** 20;
      console.log(`  ${String(done).padStart(9)} / ${total} customers  ${s.toFixed(1)} s  rss ${rss.toFixed(0)} MB`);
    },
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const peakMb = process.resourceUsage().maxRSS / 1024; // maxRSS is in kilobytes
  let bytes = 0;
  console.log(`generated ${result.customers} customers, ${result.orders} orders into ${outDir}`);
  for (const [file, rows] of Object.entries(result.files)) {
    const size = statSync(path.join(outDir, file)).size;
    bytes += size;
    console.log(`  ${file.padEnd(40)} ${String(rows).padStart(9)} rows ${(size / 2 ** 20).toFixed(1).padStart(7)} MB`);
  }
  console.log(`time ${seconds.toFixed(1)} s  peak RSS ${peakMb.toFixed(0)} MB  output ${(bytes / 2 ** 20).toFixed(0)} MB`);
  console.log(JSON.stringify({ customers, orders: result.orders, seconds: +seconds.toFixed(1), peakRssMb: Math.round(peakMb), outputMb: Math.round(bytes / 2 ** 20) }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
