// Preloaded (--import) into the benchmark's mock and gateway processes: exit when the parent is gone,
// so an interrupted benchmark leaves nothing running.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(0);
}, 500).unref();
