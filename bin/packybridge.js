#!/usr/bin/env node
// Entry point. Runs the compiled CLI (dist/, built by `npm ci` through the `prepare` script).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { supportedNodeFor } from './supported-node.js';

// An older Node.js (these machines' 20): in a checkout, run on its Node 24 from .tools/ (see supported-node.js)
const newer = supportedNodeFor('packybridge');
if (newer !== undefined) {
  const child = spawn(newer, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  // Ctrl-C reaches both processes (one process group): the child shuts down, this one waits for it
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  process.on('SIGHUP', () => child.kill('SIGHUP'));
  child.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGINT' || signal === 'SIGTERM' ? 0 : 1)));
  await new Promise(() => {}); // the child's exit ends this process
}
// Memory: V8 and glibc defaults suit a batch job, not a gateway holding hundreds of streams. Under streaming
// load the young generation grows to 128 MB, the old one to about four times what is alive before V8
// collects it, and every thread gets its own malloc arena; measured at 256 streams, resident memory went
// from ~260 MB to under 150 MB with these (see the README's performance notes). process.execve (Node
// 22.15+) restarts this same process once with them; a flag or variable given by the user wins, and
// PACKYBRIDGE_NO_REEXEC=1 skips it. The young generation is 4 MB a semi-space (issue 11, round 16): each
// scavenge frees the Buffers of the requests since the last (the socket reads of a reply that echoes a long
// request, ~250 KB for a Claude Code request, and the request and upstream bodies), and with 8 MB ~50 requests'
// worth, ~20 MB of them, piled up between two scavenges and reached V8's global limit (the external-memory flag
// below): a full collection every ~100 requests at 16 streams, whose concurrent marking took 0.5-0.8 ms of CPU
// a request on V8's worker threads. With 4 MB, ~3 full collections in 3,000 requests, 10-30 % less CPU a
// request at 16 and 64 streams (1.9-2.1 against 2.2-2.6 ms), 35 % less at 300 KB, and 10-15 MB less peak RSS.
// The old generation grows by 50% of what is alive, not 20%: with 20 the slack was smaller than the young
// generation, and V8 ran a full collection every few requests (every 5-12 with 300 KB-1 MB bodies); 50 took a
// fifth to a quarter off the CPU per request at 64-256 streams of 76 KB and 300 KB requests, for ~15-20 MB more
// RSS.
const DEFAULT_FLAGS = { 'max-semi-space-size': '4', 'heap-growing-percent': '50' };
// Asked of this node before they are added (an unknown V8 flag stops node at start), each group all or
// nothing, and left out when the user gave any flag of the group (as --f, --no-f or --f=...):
// - Buffers (socket reads, request and upstream bodies) counted in V8's global heap limit, not against a limit
//   of their own: otherwise their bytes start a full collection whenever scavenges are far apart, and a reply
//   that echoes a long request (the Responses API repeats instructions and tools in three events) made ~1 MB
//   of them a request: at 300 KB requests 3.4-4.9 ms of CPU a request with ~1 full collection per request
//   against 2.0-2.6 with it (issue 11). Node 24's V8 has the flag.
// - No Maglev (V8's middle compiler tier), and TurboFan from 1,000 calls instead of 3,000. Maglev compiles
//   every function called a few hundred times, on V8's worker threads, and glibc keeps the memory of those
//   compilations once freed: ~15-25 MB of the gateway's resident memory at 64 streams of 76 KB requests
//   (issue 11: peak 148-154 MB against 166-172 with wrk, CPU per request the same or lower). Without Maglev a
//   function called once a request would run unoptimised for its first 3,000 requests; from 1,000 it is
//   TurboFan's sooner (the first text at 1 stream after 1,500 requests: 0.94-1.07 ms added with 3,000, 0.81-
//   0.88 with 1,000, as with Maglev). V8's queue of 8 concurrent TurboFan jobs still lets the ~230 functions that
//   turn hot together in a few at a time, all of them by ~5,000 requests (bench/warmup.ts); a longer queue
//   takes them at once for more peak memory, so it is left to the operator (README, Left).
const PROBED_GROUPS = [
  { given: ['external-memory-accounted-in-global-limit'], flags: ['--external-memory-accounted-in-global-limit'] },
  { given: ['maglev', 'invocation-count-for-turbofan'], flags: ['--no-maglev', '--invocation-count-for-turbofan=1000'] },
];
const given = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' ').replaceAll('_', '-');
const extra = Object.entries(DEFAULT_FLAGS).filter(([f]) => !given.includes(`--${f}`)).map(([f, v]) => `--${f}=${v}`);
if (typeof process.execve === 'function' && process.platform !== 'win32' && process.env.PACKYBRIDGE_NO_REEXEC !== '1'
    && extra.length > 0) {
  const known = (flags) => spawnSync(process.execPath, [...flags, '-e', ''], { stdio: 'ignore', env: {} }).status === 0;
  const wanted = PROBED_GROUPS.filter((g) => !g.given.some((f) => given.includes(f)));
  // one probe when this node knows them all (Node 24), one a group otherwise, none when the user gave them all
  const flags = wanted.flatMap((g) => g.flags);
  if (flags.length > 0 && known(flags)) extra.push(...flags);
  else for (const g of wanted) if (known(g.flags)) extra.push(...g.flags);
  const env = { ...process.env };
  // glibc: one malloc arena, not eight per core. What V8's worker threads free (compilations, marking) is then
  // reused by the main thread's Buffers instead of kept apart: 5-9 MB less at 64 streams, CPU the same (issue 11)
  env.MALLOC_ARENA_MAX ??= '1';
  // glibc: allocations up to 4 MB (socket reads are 64 KB, request bodies 76 KB to a few MB, and the upstream
  // body as large) come from the arenas and are reused. Served by mmap instead, every one is fresh zeroed pages
  // and an munmap, and a page fault costs 15-25 us on the VMs measured: with a 32 KB threshold, at 64 streams
  // of 76 KB requests, 30-40 faults a request and twice the CPU (3.6-5.0 ms -> 1.8-2.1 ms); with 128 KB, a
  // 1 MB request 250-350 faults and 15-23 ms of CPU (-> 9-12 ms). MALLOC_MMAP_THRESHOLD_=32768 trades back.
  env.MALLOC_MMAP_THRESHOLD_ ??= '4194304';
  process.execve(process.execPath, [process.execPath, ...extra, ...process.execArgv, ...process.argv.slice(1)], env);
}
const compiled = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(compiled))) {
  process.stderr.write('packybridge is not built yet: run `npm ci` (or `npm run build`) first.\n');
  process.exit(1);
}
const { main } = await import(compiled.href);
await main(process.argv);
