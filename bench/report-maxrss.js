// Preloaded with `node --require` by the benchmarks: prints the process's peak resident set (getrusage ru_maxrss, in
// KB) on stderr as it exits, so a command is measured as it runs for users, unmodified.
process.on('exit', () => {
  require('node:fs').writeSync(2, `\nMAX_RSS_KB ${process.resourceUsage().maxRSS}\n`);
});
