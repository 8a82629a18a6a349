// Diagnosis preload (--import) for the gateway: prints process.memoryUsage() and the V8 heap spaces to
// stderr every BENCH_MEMORY_LOG ms. bench/procs.ts adds it when BENCH_MEMORY_LOG is set.
import { getHeapSpaceStatistics } from 'node:v8';

const every = Number(process.env.BENCH_MEMORY_LOG ?? 0);
if (every > 0) {
  const mb = (n) => (n / 1048576).toFixed(1);
  setInterval(() => {
    const m = process.memoryUsage();
    const spaces = getHeapSpaceStatistics().filter((x) => x.space_size > 0)
      .map((x) => `${x.space_name.replace('_space', '')} ${mb(x.space_size)}/${mb(x.space_used_size)}`).join(' ');
    process.stderr.write(`memory rss ${mb(m.rss)} heapTotal ${mb(m.heapTotal)} heapUsed ${mb(m.heapUsed)} external ${mb(m.external)} arrayBuffers ${mb(m.arrayBuffers)} | ${spaces}\n`);
  }, every).unref();
}
