// Preloaded with --require into a process whose memory is measured (never into a timed one): records its peak
// resident set size (KiB) at exit. CommonJS, so that it loads no ES module machinery the process would not.
'use strict'
process.on('exit', () => {
  if (process.env.BENCH_RSS_FILE) require('node:fs').writeFileSync(process.env.BENCH_RSS_FILE, String(process.resourceUsage().maxRSS))
})
